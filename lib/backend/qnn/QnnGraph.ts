/** One graph of a QNN context: validated, serialized runs on the native worker pool. */
import { DisposedError, QnnNodeError, invalidArg } from '../../errors.js';
import { DTYPES, dtypeFromQnnCode, type DType, type QuantParams } from '../../tensor/dtypes.js';
import { Tensor } from '../../tensor/Tensor.js';
import { checkInputs, checkOutputBuffers, unsizableSpec } from '../validate.js';
import { checkedElementCount } from '../../tensor/shape.js';
import type { NativeGraph, NativeRunOptions, NativeRunResult, NativeGraphInfo, NativeQuant, NativeTensorInfo } from '../../native/AddonTypes.js';
import { checkRunPower } from '../power.js';
import type { Graph, RunOptions, TensorMap, TensorRole, TensorSpec } from '../types.js';
import { fromNative } from './errors.js';
import { decodeProfile } from '../../profile/decode.js';
import { checkOnProfileNeedsProfile, onProfileOption, profileLevelOption } from '../../profile/options.js';
import type { Profile } from '../../profile/types.js';

const ROLES: readonly TensorRole[] = ['APP_WRITE', 'APP_READ', 'APP_READWRITE', 'NATIVE', 'STATIC', 'NULL'];

function roleOf(type: number): TensorRole {
  return ROLES[type] ?? 'UNDEFINED';
}

function quantOf(q: NativeQuant | undefined): QuantParams | undefined {
  if (!q) return undefined;
  if (q.scales && q.offsets) {
    return Object.freeze({
      encoding: 'axis-scale-offset' as const,
      axis: q.axis ?? 0,
      scales: Object.freeze([...q.scales]),
      offsets: Object.freeze([...q.offsets]),
      ...(q.bitwidth ? { bitwidth: q.bitwidth } : {}),
    });
  }
  return Object.freeze({
    encoding: 'scale-offset' as const,
    scale: q.scale ?? 0,
    offset: q.offset ?? 0,
    ...(q.bitwidth ? { bitwidth: q.bitwidth } : {}),
  });
}

/** TensorSpec from the native metadata; throws UNSUPPORTED_DTYPE for data types the library lacks. */
export function specOf(graph: string, t: NativeTensorInfo): TensorSpec {
  const dtype = dtypeFromQnnCode(t.dataType);
  if (!dtype) {
    throw new QnnNodeError(
      'UNSUPPORTED_DTYPE',
      `Tensor ${JSON.stringify(t.name)} of graph ${JSON.stringify(graph)} has QNN data type 0x${t.dataType.toString(16).padStart(4, '0')}, which qnn-node does not support`,
      { details: { graph, tensor: t.name, dataType: t.dataType } },
    );
  }
  const quant = DTYPES[dtype].quantized ? quantOf(t.quant) : undefined;
  return Object.freeze({
    name: t.name,
    id: t.id,
    dtype,
    dims: Object.freeze([...t.dims]),
    ...(quant ? { quant } : {}),
    role: roleOf(t.type),
  });
}

interface Prepared {
  ins: ArrayBufferView[];
  outs: ArrayBufferView[];
  result: TensorMap;
  /** What the native run takes besides the buffers (undefined: nothing, the common case). */
  native: NativeRunOptions | undefined;
  /** Only when options.profile is set. */
  profiling?: { onProfile?: (profile: Profile) => void };
}

/**
 * One side of a graph's signature, precomputed once so that checking a call is a few
 * comparisons per tensor: names in graph order, their index, dtype and element count.
 */
interface Plan {
  readonly names: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly dtypes: readonly DType[];
  readonly sizes: readonly number[];
}

function planOf(specs: readonly TensorSpec[]): Plan {
  return {
    names: specs.map((s) => s.name),
    index: new Map(specs.map((s, i) => [s.name, i])),
    dtypes: specs.map((s) => s.dtype as DType),
    // NaN (equal to no tensor's size) when the dims overflow: those calls take the slow path,
    // which throws SIZE_MISMATCH naming the tensor.
    sizes: specs.map((s) => checkedElementCount(s.dims) ?? Number.NaN),
  };
}

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** What a graph needs from its context (kept small so the context can stay private). */
export interface GraphOwner {
  readonly disposed: boolean;
  /** A run was queued / has settled, so that dispose() can wait for the runs in flight. */
  runStarted(): void;
  runSettled(): void;
  /** undefined unless a binary-section apply is pending: then a new run starts after it. */
  runGate(): Promise<void> | undefined;
}

export class QnnGraph implements Graph {
  readonly name: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly #native: NativeGraph;
  readonly #owner: GraphOwner;
  readonly #in: Plan;
  readonly #out: Plan;
  readonly #what: string;
  /**
   * Runs of one graph execute one at a time (QNN graphs are not re-entrant): while one is
   * in flight (#busy) the next ones wait here, in call order.
   */
  #busy = false;
  readonly #waiting: (() => void)[] = [];

  /** @internal Created by QnnContext. */
  constructor(owner: GraphOwner, info: NativeGraphInfo) {
    this.#owner = owner;
    this.#native = info.handle;
    this.name = info.name;
    this.inputs = Object.freeze(info.inputs.map((t) => specOf(info.name, t)));
    this.outputs = Object.freeze(info.outputs.map((t) => specOf(info.name, t)));
    this.#in = planOf(this.inputs);
    this.#out = planOf(this.outputs);
    this.#what = `QNN context of graph ${JSON.stringify(this.name)}`;
  }

  /**
   * The inputs' storage in graph order when `inputs` passes every check of checkInputs
   * (no unknown or missing name, each a Tensor of the spec's dtype and element count);
   * undefined otherwise — then checkInputs runs and throws the precise error.
   */
  #fastInputs(inputs: TensorMap): ArrayBufferView[] | undefined {
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) return undefined;
    const plan = this.#in;
    const n = plan.names.length;
    let keys = 0;
    for (const key in inputs) {
      if (!plan.index.has(key)) return undefined;
      keys++;
    }
    if (keys !== n) return undefined;
    const ins = new Array<ArrayBufferView>(n);
    for (let i = 0; i < n; i++) {
      const name = plan.names[i];
      const t = inputs[name];
      if (!(t instanceof Tensor) || t.dtype !== plan.dtypes[i] || t.size !== plan.sizes[i] || !hasOwn(inputs, name)) return undefined;
      ins[i] = t.data;
    }
    return ins;
  }

  /** Caller outputs by graph index when they pass checkOutputBuffers' checks; undefined otherwise. */
  #fastOutputs(given: TensorMap): (Tensor | undefined)[] | undefined {
    if (typeof given !== 'object' || given === null || Array.isArray(given)) return undefined;
    const plan = this.#out;
    const tensors = new Array<Tensor | undefined>(plan.names.length);
    for (const key in given) {
      const i = plan.index.get(key);
      if (i === undefined || !hasOwn(given, key)) return undefined;
      const t = given[key];
      if (!(t instanceof Tensor) || t.dtype !== plan.dtypes[i] || t.size !== plan.sizes[i]) return undefined;
      tensors[i] = t;
    }
    return tensors;
  }

  /** Validates inputs and caller outputs, allocates the rest; no native call yet. */
  #prepare(inputs: TensorMap, options: RunOptions | undefined): Prepared {
    if (this.#owner.disposed) throw new DisposedError(this.#what);
    if (options !== undefined && (typeof options !== 'object' || options === null)) throw invalidArg('an options object', 'options', options);
    const native: NativeRunOptions | undefined = checkRunPower(options);
    let ins = this.#fastInputs(inputs);
    if (ins === undefined) {
      checkInputs(this, inputs, false); // throws; if it does not, the map is valid after all
      ins = this.inputs.map((spec) => inputs[spec.name].data as ArrayBufferView);
    }
    const given = options?.outputs;
    let tensors: (Tensor | undefined)[] | undefined;
    if (given !== undefined) {
      tensors = this.#fastOutputs(given);
      if (tensors === undefined) {
        checkOutputBuffers(this, given, false);
        tensors = this.outputs.map((spec) => (hasOwn(given, spec.name) ? given[spec.name] : undefined));
      }
    }
    const plan = this.#out;
    const n = plan.names.length;
    const outs = new Array<ArrayBufferView>(n);
    // Null prototype: an output named "__proto__" or "constructor" is an own entry like any other.
    const result: TensorMap = Object.create(null) as TensorMap;
    for (let i = 0; i < n; i++) {
      let t = tensors?.[i];
      if (t === undefined) {
        const spec = this.outputs[i];
        if (Number.isNaN(plan.sizes[i])) throw unsizableSpec(this.name, 'output', spec);
        t = Tensor.zeros(spec.dtype as DType, spec.dims, spec.quant ? { quant: spec.quant } : {});
      }
      result[plan.names[i]] = t;
      outs[i] = t.data as ArrayBufferView;
    }
    if (options?.profile === undefined) {
      if (options?.onProfile !== undefined) checkOnProfileNeedsProfile(options);
      return { ins, outs, result, native };
    }
    const level = profileLevelOption(options.profile, 'options.profile');
    const onProfile = onProfileOption(options.onProfile, 'options.onProfile');
    return { ins, outs, result, native: { ...native, profile: level }, profiling: onProfile ? { onProfile } : {} };
  }

  /** The events of this graph's latest profiled run (options.profile), if any. */
  get lastProfile(): Profile | undefined {
    return this.#lastProfile;
  }

  #lastProfile: Profile | undefined;

  /** A profiled run has settled: keep and hand over its events. */
  #profiled(prepared: Prepared, raw: NativeRunResult | undefined): void {
    if (!raw?.profile) return;
    const profile = decodeProfile(raw.profile);
    this.#lastProfile = profile;
    prepared.profiling?.onProfile?.(profile);
  }

  /**
   * Runs the graph on the native worker pool. The result maps output names to tensors (a
   * null-prototype object). Buffer contract: the inputs' and outputs' ArrayBuffers belong
   * to the run until the promise settles; do not transfer them (postMessage transfer lists,
   * structuredClone with transfer, ArrayBuffer#transfer) before then. Doing so can crash the
   * process; when the process survives, the run rejects with BUFFER_DETACHED instead of
   * returning what it wrote into memory it no longer owns.
   */
  run(inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    let prepared: Prepared;
    try {
      prepared = this.#prepare(inputs, options);
    } catch (e) {
      return Promise.reject(e);
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(abortError(this.name, signal));
    const gate = this.#owner.runGate();
    if (gate) return gate.then(() => this.#enqueue(prepared, signal));
    return this.#enqueue(prepared, signal);
  }

  /** Counts the run for dispose / section applies, then starts it or queues it behind this graph's. */
  #enqueue(prepared: Prepared, signal: AbortSignal | undefined): Promise<TensorMap> {
    if (signal?.aborted) return Promise.reject(abortError(this.name, signal));
    this.#owner.runStarted();
    const start = (): Promise<TensorMap> => {
      if (signal?.aborted) {
        this.#next();
        return Promise.reject(abortError(this.name, signal));
      }
      let native: Promise<NativeRunResult | undefined>;
      try {
        native = this.#native.run(prepared.ins, prepared.outs, prepared.native);
      } catch (e) {
        this.#next();
        return Promise.reject(fromNative(e, this.#what));
      }
      // The caller's stack: the error is converted (created) in this reaction, so V8's
      // async stack trace appends every async function awaiting the run ("at async
      // caller (file:line)") — as long as nothing else reacts to the promise the caller
      // gets. No eager `new Error()` per run: capturing a stack costs ~3 µs here, more
      // than all the rest of the binding's own work.
      return native.then(
        (raw) => {
          this.#next();
          if (prepared.profiling) this.#profiled(prepared, raw);
          return prepared.result;
        },
        (e: unknown) => {
          this.#next();
          throw fromNative(e, this.#what);
        },
      );
    };
    if (!this.#busy) {
      this.#busy = true;
      return start();
    }
    return new Promise<TensorMap>((resolve) => this.#waiting.push(() => resolve(start())));
  }

  /** A run has settled: start the next one waiting, if any. */
  #next(): void {
    this.#owner.runSettled();
    const next = this.#waiting.shift();
    if (next) next();
    else this.#busy = false;
  }

  runSync(inputs: TensorMap, options?: RunOptions): TensorMap {
    const prepared = this.#prepare(inputs, options);
    if (options?.signal?.aborted) throw abortError(this.name, options.signal);
    let raw: NativeRunResult | undefined;
    try {
      raw = this.#native.runSync(prepared.ins, prepared.outs, prepared.native);
    } catch (e) {
      throw fromNative(e, this.#what);
    }
    if (prepared.profiling) this.#profiled(prepared, raw);
    return prepared.result;
  }
}

function abortError(graph: string, signal: AbortSignal): QnnNodeError {
  return new QnnNodeError('ABORTED', `Run of graph ${JSON.stringify(graph)} was aborted before it started`, {
    cause: signal.reason,
    details: { graph },
  });
}
