/**
 * Compiles a validated manifest's steps into the runner's nodes: graph steps bound to the
 * loaded graphs (every graph input bound, every name checked against the signature), host
 * op steps with their roles and parameters, loops and breaks. Also checks custom host ops'
 * step schemas. Everything here runs at load, before anything executes.
 */
import AjvModule from 'ajv';
import { describeValue } from '../errors.js';
import type { Context, Graph, TensorSpec } from '../backend/types.js';
import type { PerfProfile } from '../backend/power.js';
import type { HostOpDefinition } from './hostops.js';
import { OP_STEP_KEYS, isBreakStep, isGraphStep, isLoopStep, type Condition, type GraphStep, type OpStep, type PipelineManifest, type Step } from './manifest.js';
import type { NodeAdapter } from './adapters.js';
import { BUILTIN_HOST_OPS } from './ops/builtin.js';
import { allocationError, loopLimitError, tensorBytes, type PipelineLimits } from './limits.js';
import { manifestError, type ManifestIssue } from './validate.js';
import { nameRecord } from './records.js';
import type { ContextNames } from './names.js';
import { findGraph, NO_NAMES } from './graph-ref.js';
import { resolveQuantLike } from './quant-like.js';

type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;

export type Node = GraphNode | OpNode | LoopNode | BreakNode;

export interface GraphNode {
  readonly kind: 'graph';
  readonly id: number;
  readonly path: string;
  readonly name: string;
  readonly context: string;
  readonly graph: Graph;
  readonly inputs: readonly (readonly [spec: TensorSpec, value: string])[];
  readonly outputs: readonly (readonly [spec: TensorSpec, value: string])[];
  readonly reuse: boolean;
  /** The step's own performance profile (the run's default applies otherwise). */
  readonly perfProfile?: PerfProfile;
  /** Present when the graph's context declares adapters. */
  readonly adapter?: NodeAdapter;
}

export interface OpNode {
  readonly kind: 'host';
  readonly id: number;
  readonly path: string;
  readonly name: string;
  readonly def: HostOpDefinition;
  readonly step: OpStep;
  readonly roles: readonly (readonly [role: string, ref: string | number])[];
  readonly list: boolean;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface LoopNode {
  readonly kind: 'loop';
  readonly id: number;
  readonly path: string;
  readonly count?: number | string;
  readonly max?: number | string;
  readonly until?: Condition;
  readonly index?: string;
  readonly body: readonly Node[];
}

export interface BreakNode {
  readonly kind: 'break';
  readonly id: number;
  readonly path: string;
  readonly cond: Condition;
}

/** Validates custom ops' step schemas (built-ins are covered by the manifest schema). */
export function checkCustomOpSchemas(manifest: PipelineManifest, ops: ReadonlyMap<string, HostOpDefinition>, source: string): void {
  const ajv = new Ajv({ allErrors: false, strict: false });
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  const issues: ManifestIssue[] = [];
  const walk = (steps: readonly Step[], base: string): void => {
    steps.forEach((step, i) => {
      const path = `${base}/${i}`;
      if (isLoopStep(step)) return walk(step.steps, `${path}/steps`);
      if (isGraphStep(step) || isBreakStep(step)) return;
      const op = step as OpStep;
      const def = ops.get(op.op);
      if (!def?.schema || BUILTIN_HOST_OPS.get(op.op) === def) return;
      let validate = compiled.get(op.op);
      if (!validate) compiled.set(op.op, (validate = ajv.compile(def.schema)));
      if (!validate(op)) {
        const e = validate.errors![0];
        issues.push({ path: `${path}${e.instancePath}`, expected: `${e.message ?? 'a valid value'} (schema of host op ${JSON.stringify(op.op)})`, received: describeValue((op as Record<string, unknown>)[e.instancePath.split('/')[1]] ?? op) });
      }
    });
  };
  walk(manifest.steps, '/steps');
  if (issues.length) throw manifestError(issues, source);
}

/** What compiling needs: the loaded contexts, the host ops, the manifest's name for messages and the limits. */
export interface CompileEnv {
  readonly contexts: ReadonlyMap<string, Context>;
  readonly ops: ReadonlyMap<string, HostOpDefinition>;
  readonly source: string;
  readonly limits: Required<PipelineLimits>;
  /** Each context's name table (steps' names -> the binary's names). */
  readonly names?: ReadonlyMap<string, ContextNames>;
  /** The adapter part of a graph step's node (lib/pipeline/adapters.ts); undefined: none. */
  readonly adapterFor?: (step: GraphStep, context: string, path: string) => NodeAdapter | undefined;
}

const withAdapter = (adapter: NodeAdapter | undefined): { adapter?: NodeAdapter } => (adapter ? { adapter } : {});

export function compile(steps: readonly Step[], base: string, env: CompileEnv, counter: { n: number }): Node[] {
  const { ops, source, limits } = env;
  return steps.map((step, i): Node => {
    const path = `${base}/${i}`;
    const id = counter.n++;
    if (isGraphStep(step)) {
      const [ctxName, graph] = findGraph(env, step, path);
      const names = env.names?.get(ctxName) ?? NO_NAMES;
      const graphLabel = `${ctxName}/${names.logical(graph.name)}`;
      const issues: ManifestIssue[] = [];
      const inNames = graph.inputs.map((s) => s.name);
      const outNames = graph.outputs.map((s) => s.name);
      const listOf = (real: readonly string[]): string => real.map((n) => names.label(n)).join(', ');
      const mentioned = (key: string): string => (names.real(key) === key ? JSON.stringify(key) : `${JSON.stringify(key)} (binary name ${JSON.stringify(names.real(key))})`);
      for (const key of Object.keys(step.inputs)) {
        if (!inNames.includes(names.real(key))) issues.push({ path: `${path}/inputs/${key}`, expected: `an input of graph ${graphLabel} (${listOf(inNames)})`, received: mentioned(key) });
      }
      const boundReal = new Map(Object.entries(step.inputs).map(([k, v]) => [names.real(k), v]));
      for (const spec of graph.inputs) {
        if (!boundReal.has(spec.name)) issues.push({ path: `${path}/inputs`, expected: `a binding for input ${names.label(spec.name)} (${spec.dtype} [${spec.dims.join(', ')}]) of graph ${graphLabel}`, received: describeValue(step.inputs) });
      }
      for (const key of Object.keys(step.outputs ?? {})) {
        if (!outNames.includes(names.real(key))) issues.push({ path: `${path}/outputs/${key}`, expected: `an output of graph ${graphLabel} (${listOf(outNames)})`, received: mentioned(key) });
      }
      if (issues.length) throw manifestError(issues, source);
      // The backend allocates the outputs the signature declares (inline signatures come from the manifest).
      for (const spec of graph.outputs) {
        const bytes = tensorBytes(spec.dtype, spec.dims);
        if (bytes > limits.maxAllocationBytes) throw allocationError(`${path}/graph`, `output ${JSON.stringify(spec.name)} of graph ${ctxName}/${graph.name} (${spec.dtype} [${spec.dims.join(', ')}])`, bytes, limits.maxAllocationBytes);
      }
      return {
        kind: 'graph',
        id,
        path,
        name: `${ctxName}/${graph.name}`,
        context: ctxName,
        graph,
        inputs: graph.inputs.map((s) => [s, boundReal.get(s.name)!] as const),
        outputs: Object.entries(step.outputs ?? {}).map(([k, v]) => [graph.outputs.find((s) => s.name === names.real(k))!, v] as const),
        reuse: step.reuseOutputs ?? true,
        ...(step.perfProfile !== undefined ? { perfProfile: step.perfProfile } : {}),
        ...withAdapter(env.adapterFor?.(step, ctxName, path)),
      };
    }
    if (isLoopStep(step)) {
      for (const key of ['count', 'max'] as const) {
        const n = step.loop[key];
        if (typeof n === 'number' && n > limits.maxLoopIterations) throw loopLimitError(`${path}/loop/${key}`, `${key} ${n}`, n, limits.maxLoopIterations);
      }
      const body = compile(step.steps, `${path}/steps`, env, counter);
      return { kind: 'loop', id, path, count: step.loop.count, max: step.loop.max, until: step.loop.until, index: step.loop.index, body };
    }
    if (isBreakStep(step)) return { kind: 'break', id, path, cond: step.break };
    const op = step as OpStep;
    const def = ops.get(op.op)!;
    const list = Array.isArray(op.inputs);
    const roles: (readonly [string, string | number])[] = list
      ? (op.inputs as readonly string[]).map((r, k) => [String(k), r] as const)
      : Object.entries((op.inputs ?? {}) as Record<string, string | number>);
    const params = nameRecord<unknown>();
    for (const [k, v] of Object.entries(op)) if (!OP_STEP_KEYS.has(k)) params[k] = v;
    if (op.op === 'quantize' && def === BUILTIN_HOST_OPS.get('quantize') && params.like !== undefined) resolveQuantLike(params, path, env);
    return { kind: 'host', id, path, name: op.op, def, step: op, roles, list, params };
  });
}

/** Params used as a loop's `count` or `max`, with the pointer of the first loop that uses each. */
export function loopCountParams(nodes: readonly Node[], out = new Map<string, string>()): Map<string, string> {
  for (const node of nodes) {
    if (node.kind !== 'loop') continue;
    for (const key of ['count', 'max'] as const) {
      const ref = node[key];
      if (typeof ref === 'string' && !out.has(ref.slice(1))) out.set(ref.slice(1), `${node.path}/loop/${key}`);
    }
    loopCountParams(node.body, out);
  }
  return out;
}
