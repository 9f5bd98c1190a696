/**
 * One run of a loaded pipeline: the values bound by name, which buffers the caller owns
 * (never written to), per-step PRNGs and state, the HostOpContext each op sees, loops and
 * conditions, timings and events.
 */
import { resolve } from 'node:path';
import { QnnNodeError, QnnRangeError, QnnTypeError, describeValue, invalidArg, outOfRange } from '../errors.js';
import { DTYPES, type DType, type QuantParams } from '../tensor/dtypes.js';
import { Tensor } from '../tensor/Tensor.js';
import { sameDims } from '../tensor/shape.js';
import { Prng, hashString } from '../random.js';
import type { TensorMap } from '../backend/types.js';
import type { PipelineAssets } from './assets.js';
import type { Node, GraphNode, LoopNode, OpNode } from './compile.js';
import type { PipelineEvent, PipelineTimings, StepTiming, TokenEvent } from './events.js';
import type { HostOpContext, PipelineValue, RawImage } from './hostops.js';
import { allocationError, loopLimitError, tensorBytes, type PipelineLimits } from './limits.js';
import type { Condition } from './manifest.js';
import type { PathPolicy } from './paths.js';
import { Recorder } from './recorder.js';
import { nameRecord } from './records.js';
import { graphRunOptions } from './power.js';
import type { PerfProfile } from '../backend/power.js';
import type { RunProfiler } from './profiling.js';
import { switchAdapter } from './adapters.js';
import type { SharedRunAllocator } from './shared-alloc.js';

const BREAK = 1;

/** obj[key] when it is obj's own property (names from files may be "constructor" or "__proto__"). */
function own<T>(obj: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Lets timers, I/O and abort signals run: setImmediate comes after the timers phase. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export interface RunInit {
  readonly assets: PipelineAssets;
  readonly files: PathPolicy;
  readonly limits: Required<PipelineLimits>;
  /** The bound values (caller inputs first); the run adds to it. */
  readonly values: Map<string, PipelineValue>;
  /** Absolute paths of image files the caller passed. */
  readonly callerPaths: ReadonlySet<string>;
  readonly params: Map<string, unknown>;
  readonly seed: number;
  readonly signal: AbortSignal;
  readonly listener: ((e: PipelineEvent) => void) | undefined;
  readonly stepEvents: boolean;
  readonly nodeCount: number;
  readonly record: string | undefined;
  /** The performance profile of graph steps that name none (lib/pipeline/power.ts). */
  readonly perfProfile?: PerfProfile;
  /** Profiling of the whole run (lib/pipeline/profiling.ts), when asked. */
  readonly profiler?: RunProfiler;
  /** The run's adapter option (lib/pipeline/adapters.ts). */
  readonly adapter?: string | null;
  /** Shared-memory allocation of graph-fed values (lib/pipeline/shared-alloc.ts). */
  readonly shared?: SharedRunAllocator;
}

function isPlainRecord(v: unknown): v is Record<string, PipelineValue> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Tensor || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const r = v as RawImage;
  // Raw image pixels are a value, not an output record.
  return !(typeof r.width === 'number' && typeof r.height === 'number' && r.data instanceof Uint8Array);
}

export function abortError(signal: AbortSignal): QnnNodeError {
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

/** Per-run state: values, ownership, per-step PRNGs and state, timings, events. */
export class RunState {
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
  /** Loop iterations so far (every loop of the run). */
  private iterations = 0;
  /** When the runner next yields to the event loop. */
  private yieldAt: number;
  private readonly assets: PipelineAssets;
  private readonly files: PathPolicy;
  private readonly limits: Required<PipelineLimits>;
  private readonly values: Map<string, PipelineValue>;
  private readonly callerPaths: ReadonlySet<string>;
  private readonly params: Map<string, unknown>;
  private readonly seed: number;
  private readonly signal: AbortSignal;
  private readonly adapter: string | null | undefined;
  private readonly listener: ((e: PipelineEvent) => void) | undefined;
  private readonly stepEvents: boolean;
  private readonly perfProfile: PerfProfile | undefined;
  readonly profiler: RunProfiler | undefined;
  readonly shared: SharedRunAllocator | undefined;

  constructor(init: RunInit) {
    this.profiler = init.profiler;
    this.shared = init.shared?.enabled ? init.shared : undefined;
    ({
      assets: this.assets,
      files: this.files,
      limits: this.limits,
      values: this.values,
      callerPaths: this.callerPaths,
      params: this.params,
      seed: this.seed,
      signal: this.signal,
      listener: this.listener,
      stepEvents: this.stepEvents,
      perfProfile: this.perfProfile,
    } = init);
    const { values, nodeCount, record } = init;
    this.adapter = init.adapter;
    this.yieldAt = this.started + this.limits.maxBlockingMs;
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
    if (typeof node === 'object' && node !== null) {
      // Null prototype: parameter names come from the manifest.
      const out = nameRecord<unknown>();
      for (const [k, v] of Object.entries(node)) out[k] = this.resolveDeep(v);
      return out;
    }
    return node;
  }

  private time(node: { id: number }, ms: number): void {
    this.calls[node.id]++;
    this.total[node.id] += ms;
    if (ms > this.max[node.id]) this.max[node.id] = ms;
  }

  private async yieldNow(): Promise<void> {
    await yieldToEventLoop();
    this.yieldAt = performance.now() + this.limits.maxBlockingMs;
  }

  async execNodes(nodes: readonly Node[], iteration: number[]): Promise<number> {
    for (const node of nodes) {
      // Bounded time between yields, so abort signals and timers fire during long loops.
      if (performance.now() >= this.yieldAt) await this.yieldNow();
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
    const key = node.count !== undefined ? 'count' : 'max';
    const pointer = `${node.path}/loop/${key}`;
    const n = this.param(node[key], pointer) ?? 0;
    const limit = this.limits.maxLoopIterations;
    if (!Number.isSafeInteger(n) || n < 0) throw outOfRange('a whole number >= 0', `${pointer}${typeof node[key] === 'string' ? ` (${String(node[key])})` : ''}`, n);
    if (n > limit) throw loopLimitError(pointer, `${key} ${n}`, n, limit);
    const depth = iteration.length;
    iteration.push(0);
    try {
      for (let i = 0; i < n; i++) {
        if (++this.iterations > limit) throw loopLimitError(node.path, 'this iteration, counting every loop of the run,', this.iterations, limit);
        if (performance.now() >= this.yieldAt) await this.yieldNow(); // also for empty bodies
        if (this.signal.aborted) throw abortError(this.signal);
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
    // Null prototype: graph tensor names come from the binary or the manifest.
    const inputs = nameRecord<Tensor>() as TensorMap;
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
          (buffers ??= nameRecord<Tensor>() as TensorMap)[spec.name] = existing;
        }
      }
      if (this.shared) buffers = this.sharedOutputs(node, buffers, inputBuffers);
    }
    if (node.adapter) {
      try {
        await switchAdapter(node.adapter, this.adapter, this.params, this.signal);
      } catch (error) {
        if (this.signal.aborted) throw abortError(this.signal);
        throw annotate(error, node, node.name);
      }
    }
    const t0 = performance.now();
    let outputs: TensorMap;
    try {
      const base = graphRunOptions(this.signal, buffers, node.perfProfile ?? this.perfProfile);
      outputs = await node.graph.run(inputs, this.profiler ? this.profiler.graphOptions(base) : base);
    } catch (error) {
      if (this.signal.aborted) throw abortError(this.signal);
      throw annotate(error, node, node.name);
    }
    const ms = performance.now() - t0;
    this.graphMs += ms;
    this.time(node, ms);
    this.profiler?.graphDone(node.path, node.name, iteration, t0, ms);
    for (const [spec, ref] of node.outputs) this.values.set(ref, own(outputs, spec.name)!);
    this.recorder?.record({ context: node.context, graph: node.graph.name, step: node.path, iteration, inputs, outputs, ms });
    if (this.stepEvents) this.listener?.({ type: 'step', path: node.path, kind: 'graph', name: node.name, iteration: [...iteration], ms });
  }

  /** Output buffers in shared memory for outputs another graph reads (allocated once per run, then reused). */
  private sharedOutputs(node: GraphNode, buffers: TensorMap | undefined, inputBuffers: ReadonlySet<ArrayBufferLike>): TensorMap | undefined {
    const shared = this.shared!;
    for (const [spec, ref] of node.outputs) {
      const chosen = buffers?.[spec.name];
      if (!shared.wants(ref) || (chosen !== undefined && shared.owns(chosen))) continue;
      // An output rebinding one of this graph's inputs gets fresh memory from the backend, as without sharing (one buffer per run would pile up).
      const current = this.values.get(ref);
      if (current instanceof Tensor && inputBuffers.has(current.data.buffer)) continue;
      const bytes = tensorBytes(spec.dtype, spec.dims);
      if (bytes > this.limits.maxAllocationBytes) throw allocationError(node.path, `${node.name}: output ${spec.name}, a ${spec.dtype} tensor [${spec.dims.join(', ')}]`, bytes, this.limits.maxAllocationBytes);
      (buffers ??= nameRecord<Tensor>() as TensorMap)[spec.name] = shared.alloc(spec.dtype, spec.dims, spec.quant);
    }
    return buffers;
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
    const inputs = nameRecord<PipelineValue>();
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
    this.profiler?.hostDone(node.path, node.name, iteration, t0, ms);
    const step = node.step;
    if (result !== undefined) {
      if (isPlainRecord(result)) {
        for (const [role, value] of Object.entries(result)) {
          const name = own(step.outputs, role) ?? (role === 'output' ? step.output : undefined);
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
    const allocate = (dtype: DType, dims: readonly number[], quant?: QuantParams): Tensor => {
      const bytes = tensorBytes(dtype, dims);
      if (bytes > run.limits.maxAllocationBytes) throw allocationError(node.path, `${node.name}: a ${dtype} tensor [${dims.join(', ')}]`, bytes, run.limits.maxAllocationBytes);
      return Tensor.zeros(dtype, dims, quant ? { quant } : {});
    };
    return {
      params,
      inputs,
      inputList,
      path: node.path,
      assets: this.assets,
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
        const name = role === undefined || role === 'output' ? step.output : own(step.outputs, role);
        const existing = name === undefined ? undefined : run.values.get(name);
        if (
          existing instanceof Tensor &&
          existing.dtype === dtype &&
          sameDims(existing.dims, dims) &&
          !run.foreign.has(existing.data.buffer) &&
          (DTYPES[dtype].quantized ? existing.quant !== undefined && quant !== undefined && JSON.stringify(existing.quant) === JSON.stringify(quant) : true) &&
          // A graph-fed value moves into shared memory once, then stays there.
          (!run.shared?.wants(name) || run.shared.owns(existing))
        ) {
          return existing;
        }
        if (run.shared?.wants(name)) {
          const bytes = tensorBytes(dtype, dims);
          if (bytes > run.limits.maxAllocationBytes) throw allocationError(node.path, `${node.name}: a ${dtype} tensor [${dims.join(', ')}]`, bytes, run.limits.maxAllocationBytes);
          return run.shared.alloc(dtype, dims, quant);
        }
        return allocate(dtype, dims, quant);
      },
      allocate,
      maxAllocationBytes: run.limits.maxAllocationBytes,
      checkAllocation(bytes, what): void {
        if (!(bytes <= run.limits.maxAllocationBytes)) throw allocationError(node.path, `${node.name}: ${what}`, bytes, run.limits.maxAllocationBytes);
      },
      filePath(p): string {
        if (typeof p !== 'string' || p.length === 0) throw fail(`expected a file path but received ${describeValue(p)}`);
        // A path the caller passed is the caller's; any other comes from the manifest and stays inside the allowed roots.
        const absolute = resolve(p);
        if (run.callerPaths.has(absolute)) return absolute;
        return run.files.resolve(p, node.path);
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
