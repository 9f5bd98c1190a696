/**
 * The pipeline runner: loads a manifest on any Backend (files checked before anything
 * loads), then runs it — graph steps, host ops, loops — streaming token and step events,
 * honouring an AbortSignal, timing every step and optionally recording every graph call.
 *
 * Zero-copy rules: graph outputs are written into the tensors already bound to their
 * value names when the pipeline allocated them with the same dtype and dims (so a KV
 * cache or a decode-step input is allocated once per run, not once per token); values
 * the caller passed in are never written to (they are copied first when an op writes in
 * place); `reshape` returns views that share memory with their source.
 */
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { DisposedError, QnnNodeError, QnnRangeError, QnnTypeError, describeValue, invalidArg } from '../errors.js';
import { DTYPES } from '../tensor/dtypes.js';
import { Tensor } from '../tensor/Tensor.js';
import { Prng, hashString } from '../random.js';
import { readSignatureFile } from '../backend/signature.js';
import type { Backend, Context, ContextSignature, Graph, GraphSignature, TensorMap, TensorSpec } from '../backend/types.js';
import { PipelineAssets, checkFiles, manifestFiles, resolvePath } from './assets.js';
import type { PipelineEvent, PipelineResult, PipelineTimings, StepTiming, TokenEvent } from './events.js';
import { resolveHostOps, type HostOpContext, type HostOpDefinition, type HostOpFn, type PipelineValue, type RawImage } from './hostops.js';
import { OP_STEP_KEYS, isBreakStep, isGraphStep, isLoopStep, type Condition, type OpStep, type PipelineManifest, type Step } from './manifest.js';
import { BUILTIN_HOST_OPS } from './ops/builtin.js';
import { Recorder } from './recorder.js';
import { manifestError, parseManifestText, validateManifest, type ManifestIssue } from './validate.js';
import AjvModule from 'ajv';
import { sameDims } from '../tensor/shape.js';

type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;

export interface PipelineOptions {
  /** Where graphs run (a Qnn instance, a MockBackend, anything implementing Backend). */
  readonly backend: Backend;
  /** Base for relative paths; default the manifest's folder (or the working directory for an object). */
  readonly baseDir?: string;
  /** Host ops for this pipeline (on top of the built-ins and registerHostOp). */
  readonly hostOps?: Readonly<Record<string, HostOpFn | HostOpDefinition>>;
}

export interface PipelineRunOptions {
  readonly signal?: AbortSignal;
  /** Overrides of the manifest's params. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Seed of every PRNG in the run (sampling, noise); default 0. */
  readonly seed?: number;
  /** A folder to record every graph call into (.npy per tensor + index.json). */
  readonly record?: string;
  /** Called for every event (token, step, done) as it happens. */
  readonly onEvent?: (event: PipelineEvent) => void;
}

/** Inputs by manifest input name. */
export type PipelineInputs = Readonly<Record<string, PipelineValue>>;

type Node = GraphNode | OpNode | LoopNode | BreakNode;

interface GraphNode {
  readonly kind: 'graph';
  readonly id: number;
  readonly path: string;
  readonly name: string;
  readonly context: string;
  readonly graph: Graph;
  readonly inputs: readonly (readonly [spec: TensorSpec, value: string])[];
  readonly outputs: readonly (readonly [spec: TensorSpec, value: string])[];
  readonly reuse: boolean;
}

interface OpNode {
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

interface LoopNode {
  readonly kind: 'loop';
  readonly id: number;
  readonly path: string;
  readonly count?: number | string;
  readonly max?: number | string;
  readonly until?: Condition;
  readonly index?: string;
  readonly body: readonly Node[];
}

interface BreakNode {
  readonly kind: 'break';
  readonly id: number;
  readonly path: string;
  readonly cond: Condition;
}

const BREAK = 1;

function isPlainRecord(v: unknown): v is Record<string, PipelineValue> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Tensor || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const r = v as RawImage;
  // Raw image pixels are a value, not an output record.
  return !(typeof r.width === 'number' && typeof r.height === 'number' && r.data instanceof Uint8Array);
}

function abortError(signal: AbortSignal): QnnNodeError {
  return new QnnNodeError('ABORTED', 'The pipeline run was aborted', { cause: signal.reason });
}

function annotate(error: unknown, node: { path: string }, name: string): unknown {
  if (error instanceof QnnNodeError || error instanceof QnnTypeError || error instanceof QnnRangeError) {
    if (error.details.step === undefined) {
      error.details.step = node.path;
      error.message = `${node.path} (${name}): ${error.message}`;
    }
  }
  return error;
}


export class Pipeline implements AsyncDisposable {
  readonly manifest: PipelineManifest;
  readonly baseDir: string;
  readonly backend: Backend;
  /** Milliseconds spent loading (validation, file checks, assets, contexts). */
  readonly loadMs: number;
  private readonly contexts: ReadonlyMap<string, Context>;
  private readonly assets: PipelineAssets;
  private readonly nodes: readonly Node[];
  private readonly nodeCount: number;
  private readonly active = new Set<AbortController>();
  private disposed = false;

  private constructor(init: {
    manifest: PipelineManifest;
    baseDir: string;
    backend: Backend;
    contexts: Map<string, Context>;
    assets: PipelineAssets;
    nodes: Node[];
    nodeCount: number;
    loadMs: number;
  }) {
    this.manifest = init.manifest;
    this.baseDir = init.baseDir;
    this.backend = init.backend;
    this.contexts = init.contexts;
    this.assets = init.assets;
    this.nodes = init.nodes;
    this.nodeCount = init.nodeCount;
    this.loadMs = init.loadMs;
  }

  /**
   * Validates the manifest (MANIFEST_INVALID), checks every file it names (ASSET_MISSING /
   * ASSET_INVALID), opens assets, loads the contexts on `options.backend` and checks every
   * graph step's bindings against the graphs' signatures — all before anything runs.
   */
  static async load(manifest: string | PipelineManifest | Record<string, unknown>, options: PipelineOptions): Promise<Pipeline> {
    const start = performance.now();
    if (typeof options !== 'object' || options === null) throw invalidArg('{ backend }', 'options', options);
    const { backend } = options;
    if (typeof backend !== 'object' || backend === null || typeof backend.loadContext !== 'function') throw invalidArg('a Backend', 'options.backend', backend);
    let source: string;
    let raw: unknown;
    let baseDir: string;
    if (typeof manifest === 'string') {
      source = resolve(manifest);
      let text: string;
      try {
        text = readFileSync(source, 'utf8');
      } catch (cause) {
        throw new QnnNodeError('ASSET_MISSING', `Cannot read manifest ${source}: ${(cause as Error).message}`, { cause, details: { path: source } });
      }
      raw = parseManifestText(text, source);
      baseDir = options.baseDir ?? dirname(source);
    } else if (typeof manifest === 'object' && manifest !== null) {
      source = '(object)';
      raw = manifest;
      baseDir = options.baseDir ?? process.cwd();
    } else {
      throw invalidArg('a manifest path or object', 'manifest', manifest);
    }
    const ops = resolveHostOps(BUILTIN_HOST_OPS, options.hostOps);
    const valid = validateManifest(raw, { source, hostOps: new Set(ops.keys()) });
    checkCustomOpSchemas(valid, ops, source);
    checkFiles(manifestFiles(valid, baseDir));
    const assets = new PipelineAssets(valid.assets ?? {}, baseDir);
    assets.open();
    const contexts = new Map<string, Context>();
    try {
      for (const [name, entry] of Object.entries(valid.contexts)) {
        let graphs: readonly GraphSignature[] | undefined;
        if (typeof entry.signature === 'string') graphs = readSignatureFile(resolvePath(baseDir, entry.signature)).graphs;
        else if (Array.isArray(entry.signature)) graphs = entry.signature;
        else graphs = (entry.signature as ContextSignature | undefined)?.graphs;
        const ctx = await backend.loadContext(resolvePath(baseDir, entry.binary), graphs ? { graphs } : {});
        contexts.set(name, ctx);
        entry.graphs?.forEach((g, i) => {
          if (!ctx.graphs.some((x) => x.name === g)) {
            throw manifestError([{ path: `/contexts/${name}/graphs/${i}`, expected: `a graph of ${entry.binary} (${ctx.graphs.map((x) => JSON.stringify(x.name)).join(', ')})`, received: JSON.stringify(g) }], source);
          }
        });
      }
      const counter = { n: 0 };
      const nodes = compile(valid.steps, '/steps', contexts, ops, source, counter);
      return new Pipeline({ manifest: valid, baseDir, backend, contexts, assets, nodes, nodeCount: counter.n, loadMs: performance.now() - start });
    } catch (error) {
      await Promise.allSettled([...contexts.values()].map((c) => c.dispose()));
      assets.close();
      throw error;
    }
  }

  /** A loaded context by manifest name. */
  context(name: string): Context {
    if (this.disposed) throw new DisposedError('Pipeline');
    const c = this.contexts.get(name);
    if (!c) throw invalidArg(`a context of the manifest (${[...this.contexts.keys()].join(', ')})`, 'name', name);
    return c;
  }

  /** Runs the pipeline to the end; events go to `options.onEvent`. */
  async run(inputs: PipelineInputs = {}, options: PipelineRunOptions = {}): Promise<PipelineResult> {
    return this.execute(inputs, options, options.onEvent, options.onEvent !== undefined);
  }

  /**
   * Runs the pipeline as an async iterator of events: token events as they are sampled,
   * a step event after every step, then one done event with the result. Leaving the loop
   * early (break / return) aborts the run.
   */
  stream(inputs: PipelineInputs = {}, options: PipelineRunOptions = {}): AsyncIterableIterator<PipelineEvent> {
    const queue: PipelineEvent[] = [];
    let head = 0;
    let finished = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const local = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal;
    const push = (e: PipelineEvent): void => {
      queue.push(e);
      options.onEvent?.(e);
      wake?.();
    };
    const done = this.execute(inputs, { ...options, signal }, push, true).then(
      () => {
        finished = true;
        wake?.();
      },
      (error: unknown) => {
        failure = error;
        finished = true;
        wake?.();
      },
    );
    const iterator: AsyncIterableIterator<PipelineEvent> = {
      async next(): Promise<IteratorResult<PipelineEvent>> {
        for (;;) {
          if (head < queue.length) {
            const value = queue[head++];
            if (head > 1024) {
              queue.splice(0, head);
              head = 0;
            }
            return { value, done: false };
          }
          if (finished) {
            if (failure !== undefined) {
              const e = failure;
              failure = undefined;
              throw e;
            }
            return { value: undefined, done: true };
          }
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
      },
      async return(): Promise<IteratorResult<PipelineEvent>> {
        if (!finished) local.abort(new Error('The stream consumer stopped'));
        await done;
        finished = true;
        failure = undefined;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return iterator;
  }

  private async execute(
    inputs: PipelineInputs,
    options: PipelineRunOptions,
    listener: ((e: PipelineEvent) => void) | undefined,
    stepEvents: boolean,
  ): Promise<PipelineResult> {
    if (this.disposed) throw new DisposedError('Pipeline');
    if (typeof options !== 'object' || options === null) throw invalidArg('an options object', 'options', options);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw invalidArg('an integer', 'options.seed', seed);
    const params = this.resolveParams(options.params);
    const values = this.bindInputs(inputs);
    const controller = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
    if (signal.aborted) throw abortError(signal);
    const run = new RunState(this, values, params, seed, signal, listener, stepEvents, this.nodeCount, options.record);
    this.active.add(controller);
    try {
      await run.execNodes(this.nodes, []);
      const outputs: Record<string, PipelineValue> = {};
      for (const [name, ref] of Object.entries(this.manifest.outputs ?? {})) outputs[name] = values.get(ref)!;
      const result: PipelineResult = { outputs, tokens: run.tokens, text: run.text, timings: run.timings(this.nodes) };
      listener?.({ type: 'done', result });
      return result;
    } catch (error) {
      if (signal.aborted && !(error instanceof QnnNodeError && error.code === 'ABORTED')) throw abortError(signal);
      throw error;
    } finally {
      run.recorder?.flush();
      values.clear();
      this.active.delete(controller);
    }
  }

  private resolveParams(overrides: Readonly<Record<string, unknown>> | undefined): Map<string, unknown> {
    const defaults = this.manifest.params ?? {};
    const params = new Map<string, unknown>(Object.entries(defaults));
    if (overrides === undefined) return params;
    if (typeof overrides !== 'object' || overrides === null) throw invalidArg('an object of params', 'options.params', overrides);
    for (const [k, v] of Object.entries(overrides)) {
      if (!params.has(k)) throw invalidArg(`a param of the manifest (${Object.keys(defaults).join(', ') || 'none'})`, `options.params.${k}`, v);
      const d = params.get(k);
      if (Array.isArray(d) ? !Array.isArray(v) : typeof d !== typeof v) throw invalidArg(`a ${Array.isArray(d) ? 'list' : typeof d} like the default`, `options.params.${k}`, v);
      params.set(k, v);
    }
    return params;
  }

  private bindInputs(inputs: PipelineInputs): Map<string, PipelineValue> {
    if (typeof inputs !== 'object' || inputs === null) throw invalidArg('an object of inputs by name', 'inputs', inputs);
    const declared = this.manifest.inputs ?? {};
    const values = new Map<string, PipelineValue>();
    for (const key of Object.keys(inputs)) {
      if (!(key in declared)) throw invalidArg(`one of the manifest's inputs (${Object.keys(declared).join(', ') || 'none'})`, `inputs.${key}`, inputs[key]);
    }
    for (const [name, spec] of Object.entries(declared)) {
      const v = inputs[name] ?? spec.default;
      const label = `inputs.${name}`;
      if (v === undefined) throw invalidArg(`a ${spec.type} input`, label, v);
      switch (spec.type) {
        case 'text':
          if (typeof v !== 'string') throw invalidArg('a string', label, v);
          break;
        case 'number':
          if (typeof v !== 'number') throw invalidArg('a number', label, v);
          break;
        case 'image':
          if (!(typeof v === 'string' || v instanceof Uint8Array || (typeof v === 'object' && v !== null && !(v instanceof Tensor) && !Array.isArray(v)))) {
            throw invalidArg('an image path, JPEG/PNG bytes or { width, height, channels, data }', label, v);
          }
          break;
        case 'tensor': {
          if (!(v instanceof Tensor)) throw invalidArg('a Tensor', label, v);
          if (spec.dtype && v.dtype !== spec.dtype) {
            throw new QnnNodeError('DTYPE_MISMATCH', `Expected dtype ${spec.dtype} for ${label} but received ${v.dtype}`, { details: { input: name, expected: spec.dtype, received: v.dtype } });
          }
          if (spec.shape && !sameDims(v.dims, spec.shape)) {
            throw new QnnNodeError('SHAPE_MISMATCH', `Expected dims [${spec.shape.join(', ')}] for ${label} but received [${v.dims.join(', ')}]`, {
              details: { input: name, expected: [...spec.shape], received: [...v.dims] },
            });
          }
          break;
        }
      }
      values.set(name, v);
    }
    return values;
  }

  /** @internal */
  get openedAssets(): PipelineAssets {
    return this.assets;
  }

  /** Aborts running runs, waits for them, disposes the contexts and closes assets. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.active) c.abort(new DisposedError('Pipeline'));
    await Promise.allSettled([...this.contexts.values()].map((c) => c.dispose()));
    this.assets.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** Per-run state: values, ownership, per-step PRNGs and state, timings, events. */
class RunState {
  readonly tokens: number[] = [];
  text = '';
  readonly recorder: Recorder | undefined;
  private readonly foreign = new WeakSet<ArrayBufferLike>();
  private readonly stepState = new Map<number, Map<string, unknown>>();
  private readonly rngs = new Map<number, Prng>();
  private readonly resolvedParams = new Map<number, Readonly<Record<string, unknown>>>();
  private readonly calls: Float64Array;
  private readonly total: Float64Array;
  private readonly max: Float64Array;
  private graphMs = 0;
  private hostMs = 0;
  private readonly started = performance.now();

  constructor(
    private readonly pipeline: Pipeline,
    private readonly values: Map<string, PipelineValue>,
    private readonly params: Map<string, unknown>,
    private readonly seed: number,
    private readonly signal: AbortSignal,
    private readonly listener: ((e: PipelineEvent) => void) | undefined,
    private readonly stepEvents: boolean,
    nodeCount: number,
    record: string | undefined,
  ) {
    for (const v of values.values()) {
      if (v instanceof Tensor) this.foreign.add(v.data.buffer);
      else if (v instanceof Uint8Array) this.foreign.add(v.buffer);
    }
    this.calls = new Float64Array(nodeCount);
    this.total = new Float64Array(nodeCount);
    this.max = new Float64Array(nodeCount);
    if (record !== undefined) {
      if (typeof record !== 'string' || record.length === 0) throw invalidArg('a folder path', 'options.record', record);
      this.recorder = new Recorder(record);
    }
  }

  private param(ref: string | number | undefined, path: string): number | undefined {
    if (ref === undefined || typeof ref === 'number') return ref;
    const v = this.params.get(ref.slice(1));
    if (typeof v !== 'number') throw new QnnNodeError('MANIFEST_INVALID', `${path}: param ${ref} is ${describeValue(v)}, expected a number`, { details: { path, param: ref } });
    return v;
  }

  private resolveDeep(node: unknown): unknown {
    if (typeof node === 'string' && node.startsWith('$')) {
      const name = node.slice(1);
      return this.params.get(name);
    }
    if (Array.isArray(node)) return node.map((v) => this.resolveDeep(v));
    if (typeof node === 'object' && node !== null) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, this.resolveDeep(v)]));
    return node;
  }

  private time(node: { id: number }, ms: number): void {
    this.calls[node.id]++;
    this.total[node.id] += ms;
    if (ms > this.max[node.id]) this.max[node.id] = ms;
  }

  async execNodes(nodes: readonly Node[], iteration: number[]): Promise<number> {
    for (const node of nodes) {
      if (this.signal.aborted) throw abortError(this.signal);
      switch (node.kind) {
        case 'graph':
          await this.execGraph(node, iteration);
          break;
        case 'host':
          await this.execOp(node, iteration);
          break;
        case 'loop':
          await this.execLoop(node, iteration);
          break;
        case 'break':
          if (this.holds(node.cond, node.path)) return BREAK;
          break;
      }
    }
    return 0;
  }

  private holds(cond: Condition, path: string): boolean {
    let v = this.values.get(cond.value);
    // The value, not the storage: fp16 bits, quantized codes and packed nibbles convert.
    if (v instanceof Tensor && v.size === 1) v = v.toFloat64()[0];
    if (typeof v !== 'number') {
      throw new QnnNodeError('HOST_OP_FAILED', `${path}: the condition value ${JSON.stringify(cond.value)} is ${v === undefined ? 'unbound' : describeValue(v)}, expected a number`, {
        details: { step: path, value: cond.value },
      });
    }
    if (cond.in !== undefined) {
      const list = typeof cond.in === 'string' ? this.params.get(cond.in.slice(1)) : cond.in;
      if (Array.isArray(list) && list.includes(v)) return true;
    }
    if (cond.gte !== undefined && v >= this.param(cond.gte, path)!) return true;
    return false;
  }

  private async execLoop(node: LoopNode, iteration: number[]): Promise<void> {
    const count = this.param(node.count, `${node.path}/loop/count`);
    const max = this.param(node.max, `${node.path}/loop/max`);
    const n = count ?? max ?? 0;
    const depth = iteration.length;
    iteration.push(0);
    try {
      for (let i = 0; i < n; i++) {
        iteration[depth] = i;
        if (node.index) this.values.set(node.index, i);
        if (node.until && this.holds(node.until, `${node.path}/loop/until`)) break;
        if ((await this.execNodes(node.body, iteration)) === BREAK) break;
      }
    } finally {
      iteration.pop();
    }
  }

  private async execGraph(node: GraphNode, iteration: readonly number[]): Promise<void> {
    const inputs: TensorMap = {};
    // By memory, not by object: a reshape view of a value shares its buffer.
    const inputBuffers = new Set<ArrayBufferLike>();
    for (const [spec, ref] of node.inputs) {
      const v = this.values.get(ref);
      if (!(v instanceof Tensor)) {
        throw annotate(invalidArg('a Tensor', `graph input ${JSON.stringify(spec.name)} (bound to ${JSON.stringify(ref)})`, v), node, node.name);
      }
      inputs[spec.name] = v;
      inputBuffers.add(v.data.buffer);
    }
    let buffers: TensorMap | undefined;
    if (node.reuse) {
      for (const [spec, ref] of node.outputs) {
        const existing = this.values.get(ref);
        if (
          existing instanceof Tensor &&
          !inputBuffers.has(existing.data.buffer) &&
          !this.foreign.has(existing.data.buffer) &&
          existing.dtype === spec.dtype &&
          sameDims(existing.dims, spec.dims)
        ) {
          (buffers ??= {})[spec.name] = existing;
        }
      }
    }
    const t0 = performance.now();
    let outputs: TensorMap;
    try {
      outputs = await node.graph.run(inputs, buffers ? { outputs: buffers, signal: this.signal } : { signal: this.signal });
    } catch (error) {
      if (this.signal.aborted) throw abortError(this.signal);
      throw annotate(error, node, node.name);
    }
    const ms = performance.now() - t0;
    this.graphMs += ms;
    this.time(node, ms);
    for (const [spec, ref] of node.outputs) this.values.set(ref, outputs[spec.name]);
    this.recorder?.record({ context: node.context, graph: node.graph.name, step: node.path, iteration, inputs, outputs, ms });
    if (this.stepEvents) this.listener?.({ type: 'step', path: node.path, kind: 'graph', name: node.name, iteration: [...iteration], ms });
  }

  private opParams(node: OpNode): Readonly<Record<string, unknown>> {
    let p = this.resolvedParams.get(node.id);
    if (!p) {
      p = Object.freeze(this.resolveDeep(node.params) as Record<string, unknown>);
      this.resolvedParams.set(node.id, p);
    }
    return p;
  }

  private async execOp(node: OpNode, iteration: readonly number[]): Promise<void> {
    const inputs: Record<string, PipelineValue> = {};
    const inputList: PipelineValue[] = [];
    for (const [role, ref] of node.roles) {
      let v: PipelineValue | undefined;
      if (typeof ref === 'number') v = ref;
      else if (ref.startsWith('$')) v = this.params.get(ref.slice(1)) as PipelineValue;
      else v = this.values.get(ref);
      if (v === undefined) {
        throw new QnnNodeError('HOST_OP_FAILED', `${node.path} (${node.name}): inputs.${role} names ${JSON.stringify(ref)}, which is not bound`, { details: { step: node.path, role, value: ref } });
      }
      inputs[role] = v;
      if (node.list) inputList.push(v);
    }
    const ctx = this.context(node, inputs, inputList);
    const t0 = performance.now();
    let result;
    try {
      result = node.def.run(ctx);
      if (result instanceof Promise) result = await result;
    } catch (error) {
      if (this.signal.aborted) throw abortError(this.signal);
      if (error instanceof QnnNodeError || error instanceof QnnTypeError || error instanceof QnnRangeError) throw annotate(error, node, node.name);
      throw new QnnNodeError('HOST_OP_FAILED', `${node.path} (${node.name}): ${(error as Error)?.message ?? String(error)}`, { cause: error, details: { step: node.path, op: node.name } });
    }
    const ms = performance.now() - t0;
    this.hostMs += ms;
    this.time(node, ms);
    const step = node.step;
    if (result !== undefined) {
      if (isPlainRecord(result)) {
        for (const [role, value] of Object.entries(result)) {
          const name = step.outputs?.[role] ?? (role === 'output' ? step.output : undefined);
          if (name !== undefined) this.values.set(name, value);
        }
      } else if (step.output !== undefined) {
        this.values.set(step.output, result as PipelineValue);
      }
    }
    if (this.stepEvents) this.listener?.({ type: 'step', path: node.path, kind: 'host', name: node.name, iteration: [...iteration], ms });
  }

  private context(node: OpNode, inputs: Record<string, PipelineValue>, inputList: PipelineValue[]): HostOpContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const run = this;
    const step = node.step;
    const roleRef = (role: string): string | undefined => {
      const r = node.roles.find(([k]) => k === role)?.[1];
      return typeof r === 'string' && !r.startsWith('$') ? r : undefined;
    };
    const fail = (message: string, details: Record<string, unknown> = {}): QnnNodeError => {
      const { cause, ...rest } = details;
      return new QnnNodeError('HOST_OP_FAILED', `${node.path} (${node.name}): ${message}`, { cause, details: { step: node.path, op: node.name, ...rest } });
    };
    const params = this.opParams(node);
    return {
      params,
      inputs,
      inputList,
      path: node.path,
      assets: this.pipeline.openedAssets,
      signal: this.signal,
      seed: this.seed,
      get state(): Map<string, unknown> {
        let s = run.stepState.get(node.id);
        if (!s) run.stepState.set(node.id, (s = new Map()));
        return s;
      },
      rng(): Prng {
        let r = run.rngs.get(node.id);
        if (!r) {
          const explicit = params.seed;
          r = new Prng(typeof explicit === 'number' ? explicit : hashString(node.path, run.seed));
          run.rngs.set(node.id, r);
        }
        return r;
      },
      outputTensor(dtype, dims, role, quant): Tensor {
        const name = role === undefined || role === 'output' ? step.output : step.outputs?.[role];
        const existing = name === undefined ? undefined : run.values.get(name);
        if (
          existing instanceof Tensor &&
          existing.dtype === dtype &&
          sameDims(existing.dims, dims) &&
          !run.foreign.has(existing.data.buffer) &&
          (DTYPES[dtype].quantized ? existing.quant !== undefined && quant !== undefined && JSON.stringify(existing.quant) === JSON.stringify(quant) : true)
        ) {
          return existing;
        }
        return Tensor.zeros(dtype, dims, quant ? { quant } : {});
      },
      writableInput(role): Tensor {
        const v = inputs[role];
        if (!(v instanceof Tensor)) throw fail(`expected a tensor for inputs.${role}`);
        if (!run.foreign.has(v.data.buffer)) return v;
        const copy = v.clone();
        const name = roleRef(role);
        if (name !== undefined) run.values.set(name, copy);
        inputs[role] = copy;
        return copy;
      },
      rebind(name, value): void {
        run.values.set(name, value);
      },
      inputName: roleRef,
      emit(event): void {
        if (event.type === 'token') {
          const e: TokenEvent = { ...event, index: run.tokens.length };
          run.tokens.push(e.id);
          run.text += e.text;
          run.listener?.(e);
        } else {
          run.listener?.(event);
        }
      },
      fail,
    };
  }

  timings(nodes: readonly Node[]): PipelineTimings {
    const steps: StepTiming[] = [];
    const walk = (list: readonly Node[]): void => {
      for (const n of list) {
        if (n.kind === 'loop') walk(n.body);
        else if (n.kind !== 'break' && this.calls[n.id] > 0) {
          const calls = this.calls[n.id];
          steps.push({ path: n.path, kind: n.kind, name: n.name, calls, totalMs: this.total[n.id], meanMs: this.total[n.id] / calls, maxMs: this.max[n.id] });
        }
      }
    };
    walk(nodes);
    const totalMs = performance.now() - this.started;
    return { totalMs, graphMs: this.graphMs, hostMs: this.hostMs, overheadMs: Math.max(0, totalMs - this.graphMs - this.hostMs), steps };
  }
}

/** Validates custom ops' step schemas (built-ins are covered by the manifest schema). */
function checkCustomOpSchemas(manifest: PipelineManifest, ops: ReadonlyMap<string, HostOpDefinition>, source: string): void {
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

function findGraph(contexts: ReadonlyMap<string, Context>, step: { graph: string; context?: string }, path: string, source: string): [string, Graph] {
  let ctxName = step.context;
  let graphName = step.graph;
  if (ctxName === undefined && graphName.includes('/') && contexts.has(graphName.slice(0, graphName.indexOf('/')))) {
    ctxName = graphName.slice(0, graphName.indexOf('/'));
    graphName = graphName.slice(graphName.indexOf('/') + 1);
  }
  const candidates = [...contexts].filter(([n, c]) => (ctxName === undefined || n === ctxName) && c.graphs.some((g) => g.name === graphName));
  if (candidates.length === 1) return [candidates[0][0], candidates[0][1].graph(graphName)];
  const all = [...contexts].flatMap(([n, c]) => c.graphs.map((g) => `${n}/${g.name}`));
  if (candidates.length === 0) {
    throw manifestError([{ path: `${path}/graph`, expected: `a graph of the loaded contexts (${all.map((x) => JSON.stringify(x)).join(', ')})`, received: JSON.stringify(step.graph) }], source);
  }
  throw manifestError([{ path: `${path}/graph`, expected: `"context/graph" or a context field: ${candidates.map(([n]) => JSON.stringify(`${n}/${graphName}`)).join(' and ')} both exist`, received: JSON.stringify(step.graph) }], source);
}

function compile(
  steps: readonly Step[],
  base: string,
  contexts: ReadonlyMap<string, Context>,
  ops: ReadonlyMap<string, HostOpDefinition>,
  source: string,
  counter: { n: number },
): Node[] {
  return steps.map((step, i): Node => {
    const path = `${base}/${i}`;
    const id = counter.n++;
    if (isGraphStep(step)) {
      const [ctxName, graph] = findGraph(contexts, step, path, source);
      const issues: ManifestIssue[] = [];
      const inNames = graph.inputs.map((s) => s.name);
      const outNames = graph.outputs.map((s) => s.name);
      for (const key of Object.keys(step.inputs)) {
        if (!inNames.includes(key)) issues.push({ path: `${path}/inputs/${key}`, expected: `an input of graph ${ctxName}/${graph.name} (${inNames.map((n) => JSON.stringify(n)).join(', ')})`, received: JSON.stringify(key) });
      }
      for (const spec of graph.inputs) {
        if (!(spec.name in step.inputs)) issues.push({ path: `${path}/inputs`, expected: `a binding for input ${JSON.stringify(spec.name)} (${spec.dtype} [${spec.dims.join(', ')}]) of graph ${ctxName}/${graph.name}`, received: describeValue(step.inputs) });
      }
      for (const key of Object.keys(step.outputs ?? {})) {
        if (!outNames.includes(key)) issues.push({ path: `${path}/outputs/${key}`, expected: `an output of graph ${ctxName}/${graph.name} (${outNames.map((n) => JSON.stringify(n)).join(', ')})`, received: JSON.stringify(key) });
      }
      if (issues.length) throw manifestError(issues, source);
      return {
        kind: 'graph',
        id,
        path,
        name: `${ctxName}/${graph.name}`,
        context: ctxName,
        graph,
        inputs: graph.inputs.map((s) => [s, step.inputs[s.name]] as const),
        outputs: Object.entries(step.outputs ?? {}).map(([k, v]) => [graph.outputs.find((s) => s.name === k)!, v] as const),
        reuse: step.reuseOutputs ?? true,
      };
    }
    if (isLoopStep(step)) {
      const body = compile(step.steps, `${path}/steps`, contexts, ops, source, counter);
      return { kind: 'loop', id, path, count: step.loop.count, max: step.loop.max, until: step.loop.until, index: step.loop.index, body };
    }
    if (isBreakStep(step)) return { kind: 'break', id, path, cond: step.break };
    const op = step as OpStep;
    const def = ops.get(op.op)!;
    const list = Array.isArray(op.inputs);
    const roles: (readonly [string, string | number])[] = list
      ? (op.inputs as readonly string[]).map((r, k) => [String(k), r] as const)
      : Object.entries((op.inputs ?? {}) as Record<string, string | number>);
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(op)) if (!OP_STEP_KEYS.has(k)) params[k] = v;
    return { kind: 'host', id, path, name: op.op, def, step: op, roles, list, params };
  });
}

/**
 * Loads a manifest, runs it once and disposes everything (also on failure or abort).
 */
export async function runManifest(
  manifest: string | PipelineManifest | Record<string, unknown>,
  options: PipelineOptions & PipelineRunOptions & { readonly inputs?: PipelineInputs },
): Promise<PipelineResult> {
  const pipeline = await Pipeline.load(manifest, options);
  try {
    return await pipeline.run(options.inputs ?? {}, options);
  } finally {
    await pipeline.dispose();
  }
}
