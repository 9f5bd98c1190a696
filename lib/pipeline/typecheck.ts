/**
 * The load-time type check: follows every value's static type (lib/pipeline/static-types.ts)
 * from the pipeline inputs through host ops (their `infer` hooks) and graph outputs (the
 * signatures), and reports a graph input fed a value of another dtype or element count
 * before anything runs — not at the first run, maybe minutes into it.
 *
 * It never guesses: a value whose type an op does not state is unknown and not checked;
 * a value rebound in a loop with another type becomes what both types share (a differing
 * dimension unknown, a differing dtype unknown); a custom op without `infer` makes its
 * outputs and its input values unknown (it may rebind them). Equal element counts with
 * other dims pass, as QNN accepts them.
 *
 * A "$param" in a step is the manifest's value at load (its default, or the selected
 * variant's, which lib/pipeline/variants.ts applies before this runs). A run whose
 * `params` override one a type depends on is checked again with the run's values before
 * anything runs (StaticTypeCheck.checkRun), so an override can never slip a mismatch past.
 */
import { QnnNodeError } from '../errors.js';
import type { TensorSpec } from '../backend/types.js';
import type { GraphNode, Node, OpNode } from './compile.js';
import type { HostOpDefinition } from './hostops.js';
import type { PipelineManifest } from './manifest.js';
import type { ContextNames } from './names.js';
import { BUILTIN_HOST_OPS } from './ops/builtin.js';
import { BUILTIN_INFER } from './ops/infer.js';
import { describeType, joinTypes, sameType, type HostOpInfer, type InferredTypes, type StaticType } from './static-types.js';

/** A value's type and the step that bound it (for messages). */
interface Known {
  readonly type: StaticType | undefined;
  readonly from: string;
}
type Env = Map<string, Known>;

/** One mismatch between a value and the graph input it feeds. */
export interface TypeMismatch {
  readonly code: 'DTYPE_MISMATCH' | 'SHAPE_MISMATCH';
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** The op's infer hook: its own, or the built-in one for a built-in op. */
function inferOf(node: OpNode): HostOpInfer | undefined {
  const def: HostOpDefinition = node.def;
  if (def.infer) return def.infer;
  return BUILTIN_HOST_OPS.get(node.name) === def ? BUILTIN_INFER.get(node.name) : undefined;
}

/** Marks a "$param" the manifest does not declare: the step is then not inferred. */
const UNRESOLVED = Symbol('unresolved param');

/** `v` with every "$param" string replaced by its value (UNRESOLVED when there is none). */
function resolveRefs(v: unknown, params: ReadonlyMap<string, unknown>): unknown {
  if (typeof v === 'string') return v.startsWith('$') ? (params.has(v.slice(1)) ? params.get(v.slice(1)) : UNRESOLVED) : v;
  if (Array.isArray(v)) return v.map((x) => resolveRefs(x, params));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, x] of Object.entries(v)) out[k] = resolveRefs(x, params);
    return out;
  }
  return v;
}

function hasUnresolved(v: unknown): boolean {
  if (v === UNRESOLVED) return true;
  if (Array.isArray(v)) return v.some(hasUnresolved);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasUnresolved);
  return false;
}

/** Every "$param" name in `v`. */
function paramRefs(v: unknown, out: Set<string>): Set<string> {
  if (typeof v === 'string' && v.startsWith('$')) out.add(v.slice(1));
  else if (Array.isArray(v)) for (const x of v) paramRefs(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) paramRefs(x, out);
  return out;
}

function joinEnv(a: Env, b: Env): Env {
  const out: Env = new Map(a);
  for (const [k, vb] of b) {
    const va = a.get(k);
    // A name bound only inside the loop body takes the body's type.
    out.set(k, va === undefined ? vb : sameType(va.type, vb.type) ? va : { type: joinTypes(va.type, vb.type), from: `${va.from} and ${vb.from}` });
  }
  return out;
}

function sameEnv(a: Env, b: Env): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.has(k) || !sameType(v.type, b.get(k)!.type)) return false;
  return true;
}

export interface TypeCheckEnv {
  readonly manifest: PipelineManifest;
  readonly names?: ReadonlyMap<string, ContextNames>;
  /** A tensor asset's type as loaded (the runner passes the opened assets); default: as the manifest declares it. */
  readonly tensorAsset?: (name: string) => StaticType | undefined;
}

/** What the check knows about one graph input binding. */
export interface GraphInputType {
  readonly step: string;
  readonly pointer: string;
  readonly graph: string;
  /** The input's name in the manifest (the name table's logical name). */
  readonly input: string;
  readonly value: string;
  readonly expected: { readonly dtype: string; readonly dims: readonly number[] };
  readonly type: StaticType | undefined;
  /** The step that bound the value (or `/inputs/x`). */
  readonly from: string;
  /** checked: dtype and element count known; partial: one of them; unknown: neither. */
  readonly status: 'checked' | 'partial' | 'unknown';
}

interface Analysis {
  readonly issues: TypeMismatch[];
  readonly inputs: GraphInputType[];
}

function elementCount(t: StaticType): number | undefined {
  return t.dims && t.dims.every((d) => d !== null) ? (t.dims as number[]).reduce((a, b) => a * b, 1) : undefined;
}

function analyse(nodes: readonly Node[], env: TypeCheckEnv, params: ReadonlyMap<string, unknown>): Analysis {
  const { manifest } = env;
  const issues: TypeMismatch[] = [];
  const inputs: GraphInputType[] = [];
  const start: Env = new Map();
  for (const [name, input] of Object.entries(manifest.inputs ?? {})) {
    if (input.type === 'tensor') start.set(name, { type: { ...(input.dtype ? { dtype: input.dtype } : {}), ...(input.shape ? { dims: input.shape } : {}) }, from: `/inputs/${name}` });
    else if (input.type === 'number') start.set(name, { type: { number: true }, from: `/inputs/${name}` });
    else start.set(name, { type: undefined, from: `/inputs/${name}` });
  }
  const asset = (name: string) => (Object.hasOwn(manifest.assets ?? {}, name) ? manifest.assets![name] : undefined);
  const declaredTensor = (name: string): StaticType | undefined => {
    const a = asset(name);
    return a?.type === 'tensor' ? { ...(a.dtype ? { dtype: a.dtype } : {}), ...(a.shape ? { dims: a.shape } : {}) } : undefined;
  };
  const tensor = env.tensorAsset ?? declaredTensor;

  const checkGraph = (node: GraphNode, vars: Env): void => {
    const names = env.names?.get(node.context);
    for (const [spec, value] of node.inputs) {
      const known = vars.get(value);
      const t = known?.type;
      const input = names?.logical(spec.name) ?? spec.name;
      const n = t ? elementCount(t) : undefined;
      const status = t?.dtype !== undefined && n !== undefined ? 'checked' : t?.dtype !== undefined || n !== undefined ? 'partial' : 'unknown';
      inputs.push({ step: node.path, pointer: `${node.path}/inputs/${input}`, graph: node.name, input, value, expected: { dtype: spec.dtype, dims: [...spec.dims] }, type: t, from: known?.from ?? '(unbound)', status });
      if (!t) continue;
      const dtypeDiffers = t.dtype !== undefined && t.dtype !== spec.dtype;
      const sizeDiffers = n !== undefined && n !== spec.dims.reduce((a, b) => a * b, 1);
      if (!dtypeDiffers && !sizeDiffers) continue;
      issues.push(mismatch(dtypeDiffers ? 'DTYPE_MISMATCH' : 'SHAPE_MISMATCH', node, spec, input, value, t, known!.from));
    }
  };

  const bindOutputs = (node: OpNode, vars: Env, inferred: InferredTypes): void => {
    const step = node.step;
    const multi = inferred !== undefined && Object.hasOwn(inferred, 'outputs') ? (inferred as { outputs: Record<string, StaticType | undefined> }).outputs : undefined;
    if (step.output !== undefined) vars.set(step.output, { type: multi ? undefined : (inferred as StaticType | undefined), from: `${node.path} (${node.name})` });
    for (const [role, value] of Object.entries(step.outputs ?? {})) {
      vars.set(value, { type: multi && Object.hasOwn(multi, role) ? multi[role] : undefined, from: `${node.path} (${node.name})` });
    }
  };

  const paramType = (name: string): StaticType | undefined => {
    const v = params.get(name);
    return typeof v === 'number' ? { value: v } : undefined;
  };

  const walk = (list: readonly Node[], vars: Env, report: boolean, exits: Env[][]): void => {
    for (const node of list) {
      if (node.kind === 'graph') {
        if (report) checkGraph(node, vars);
        for (const [spec, value] of node.outputs) vars.set(value, { type: { dtype: spec.dtype, dims: spec.dims }, from: `${node.path} (${node.name})` });
      } else if (node.kind === 'host') {
        const builtin = BUILTIN_HOST_OPS.get(node.name) === node.def;
        if (builtin && node.name === 'swap') {
          const [a, b] = [node.roles.find(([r]) => r === 'a')?.[1], node.roles.find(([r]) => r === 'b')?.[1]];
          if (typeof a === 'string' && typeof b === 'string') {
            const [ta, tb] = [vars.get(a), vars.get(b)];
            vars.set(a, tb ?? { type: undefined, from: node.path });
            vars.set(b, ta ?? { type: undefined, from: node.path });
          }
          continue;
        }
        // A user op may rebind (ctx.rebind) any value it reads or a string param names, with
        // or without an infer hook: once it has run, those values are unknown.
        const forgetRebindable = (): void => {
          if (builtin) return;
          for (const [, ref] of node.roles) if (typeof ref === 'string' && !ref.startsWith('$')) vars.set(ref, { type: undefined, from: node.path });
          for (const v of Object.values(node.params)) if (typeof v === 'string' && vars.has(v)) vars.set(v, { type: undefined, from: node.path });
        };
        const infer = inferOf(node);
        if (!infer) {
          forgetRebindable();
          bindOutputs(node, vars, undefined);
          continue;
        }
        const typeOf = (ref: string | number): StaticType | undefined => (typeof ref === 'number' ? { value: ref } : ref.startsWith('$') ? paramType(ref.slice(1)) : vars.get(ref)?.type);
        const roleTypes: Record<string, StaticType | undefined> = Object.create(null) as Record<string, StaticType | undefined>;
        for (const [role, ref] of node.roles) roleTypes[role] = typeOf(ref);
        const resolved = resolveRefs(node.params, params) as Readonly<Record<string, unknown>>;
        let inferred: InferredTypes;
        try {
          inferred = hasUnresolved(resolved) ? undefined : infer(resolved, roleTypes, { inputList: node.list ? node.roles.map(([, r]) => typeOf(r)) : [], asset, tensor });
        } catch {
          inferred = undefined; // an infer hook that fails states nothing; the run reports the real problem
        }
        forgetRebindable();
        bindOutputs(node, vars, inferred);
      } else if (node.kind === 'loop') {
        if (node.index) vars.set(node.index, { type: { number: true }, from: node.path });
        // The state at the top of an iteration: the entry joined with every iteration's end,
        // to a fixed point (joins only lose facts, so this ends; bounded anyway).
        let entry: Env = new Map(vars);
        let stable = false;
        for (let round = 0; round < 8 && !stable; round++) {
          const trial: Env = new Map(entry);
          walk(node.body, trial, false, [[]]);
          const next = joinEnv(entry, trial);
          stable = sameEnv(next, entry);
          entry = next;
        }
        if (!stable) for (const [k, v] of entry) entry.set(k, { type: undefined, from: v.from });
        const end: Env = new Map(entry);
        const breaks: Env[] = [];
        walk(node.body, end, report, [breaks]);
        let after = joinEnv(entry, end);
        for (const b of breaks) after = joinEnv(after, b);
        vars.clear();
        for (const [k, v] of after) vars.set(k, v);
      } else {
        exits[exits.length - 1]?.push(new Map(vars));
      }
    }
  };
  walk(nodes, start, true, []);
  return { issues, inputs };
}

function mismatch(code: TypeMismatch['code'], node: GraphNode, spec: TensorSpec, input: string, value: string, t: StaticType, from: string): TypeMismatch {
  const pointer = `${node.path}/inputs/${input}`;
  const want = `${spec.dtype} [${spec.dims.join(', ')}]`;
  const label = input === spec.name ? JSON.stringify(input) : `${JSON.stringify(input)} (binary name ${JSON.stringify(spec.name)})`;
  return {
    code,
    message: `Expected ${want} for graph input ${label} of ${node.name} (${pointer}) but value ${JSON.stringify(value)} is ${describeType(t)}, made by ${from}`,
    details: { step: node.path, pointer, path: pointer, graph: node.name, input, graphInput: spec.name, value, expected: { dtype: spec.dtype, dims: [...spec.dims] }, received: { dtype: t.dtype, dims: t.dims ? [...t.dims] : undefined }, from },
  };
}

function throwFirst(issues: readonly TypeMismatch[], source: string, extra: { readonly note: string; readonly details: Record<string, unknown> } | undefined): void {
  if (!issues.length) return;
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  const prefix = extra ? `Invalid run of ${source} ${extra.note}` : `Invalid manifest ${source}`;
  throw new QnnNodeError(first.code, `${prefix}: ${first.message}${more}`, { details: { source, ...first.details, ...(extra?.details ?? {}), issues: issues.map((i) => ({ code: i.code, ...i.details })) } });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return Object.is(a, b);
}

/**
 * The type check of one loaded pipeline: at load with the manifest's params, and again for
 * a run whose param overrides change a param some step's type depends on.
 */
export class StaticTypeCheck {
  /** Params a host op step uses ("$name" in its params or inputs): the types may depend on them. */
  readonly typedParams: ReadonlySet<string>;
  private readonly loadParams: ReadonlyMap<string, unknown>;

  constructor(
    private readonly nodes: readonly Node[],
    private readonly env: TypeCheckEnv,
    private readonly source: string,
  ) {
    this.loadParams = new Map(Object.entries(env.manifest.params ?? {}));
    const used = new Set<string>();
    const visit = (list: readonly Node[]): void => {
      for (const n of list) {
        if (n.kind === 'host') {
          paramRefs(n.params, used);
          for (const [, ref] of n.roles) paramRefs(ref, used);
        } else if (n.kind === 'loop') visit(n.body);
      }
    };
    visit(nodes);
    this.typedParams = used;
  }

  /** Throws the first mismatch (DTYPE_MISMATCH / SHAPE_MISMATCH; details.issues lists them all). */
  check(): void {
    throwFirst(analyse(this.nodes, this.env, this.loadParams).issues, this.source, undefined);
  }

  /**
   * A run's params (defaults with its overrides): when an override changes a param a type
   * depends on, the check runs again with them and a mismatch fails the run before any step
   * (its message and details name the overridden params).
   */
  checkRun(params: ReadonlyMap<string, unknown>): void {
    const changed = [...this.typedParams].filter((p) => !sameValue(params.get(p), this.loadParams.get(p)));
    if (!changed.length) return;
    const note = `with ${changed.map((p) => `options.params.${p} = ${JSON.stringify(params.get(p))}`).join(', ')}`;
    throwFirst(analyse(this.nodes, this.env, params).issues, this.source, { note, details: { params: changed } });
  }

  /** What the check knows about every graph input binding (in step order), with the manifest's params. */
  graphInputs(): GraphInputType[] {
    return analyse(this.nodes, this.env, this.loadParams).inputs;
  }
}

/** Every graph input fed a value of a known other dtype or element count, in step order. */
export function typeMismatches(nodes: readonly Node[], env: TypeCheckEnv): TypeMismatch[] {
  return analyse(nodes, env, new Map(Object.entries(env.manifest.params ?? {}))).issues;
}

/** Throws the first mismatch (DTYPE_MISMATCH / SHAPE_MISMATCH; details.issues lists them all). */
export function checkStaticTypes(nodes: readonly Node[], env: TypeCheckEnv, source: string): void {
  new StaticTypeCheck(nodes, env, source).check();
}
