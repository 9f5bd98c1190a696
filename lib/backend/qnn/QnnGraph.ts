/** One graph of a QNN context: validated, serialized runs on the native worker pool. */
import { DisposedError, QnnNodeError, invalidArg } from '../../errors.js';
import { DTYPES, dtypeFromQnnCode, type DType, type QuantParams } from '../../tensor/dtypes.js';
import { Tensor } from '../../tensor/Tensor.js';
import { checkInputs, checkOutputBuffers } from '../mock/validate.js';
import type { NativeGraph, NativeGraphInfo, NativeQuant, NativeTensorInfo } from '../../native/AddonTypes.js';
import type { Graph, RunOptions, TensorMap, TensorRole, TensorSpec } from '../types.js';
import { fromNative, withCallerStack } from './errors.js';

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
}

/** What a graph needs from its context (kept small so the context can stay private). */
export interface GraphOwner {
  readonly disposed: boolean;
  /** Registers a run so dispose() can wait for it. */
  track(run: Promise<unknown>): void;
}

export class QnnGraph implements Graph {
  readonly name: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly #native: NativeGraph;
  readonly #owner: GraphOwner;
  /** Runs of one graph execute one at a time (QNN graphs are not re-entrant). */
  #tail: Promise<unknown> = Promise.resolve();

  /** @internal Created by QnnContext. */
  constructor(owner: GraphOwner, info: NativeGraphInfo) {
    this.#owner = owner;
    this.#native = info.handle;
    this.name = info.name;
    this.inputs = Object.freeze(info.inputs.map((t) => specOf(info.name, t)));
    this.outputs = Object.freeze(info.outputs.map((t) => specOf(info.name, t)));
  }

  /** Validates inputs and caller outputs, allocates the rest; no native call yet. */
  #prepare(inputs: TensorMap, options: RunOptions | undefined): Prepared {
    if (this.#owner.disposed) throw new DisposedError(`QNN context of graph ${JSON.stringify(this.name)}`);
    if (options !== undefined && (typeof options !== 'object' || options === null)) throw invalidArg('an options object', 'options', options);
    checkInputs(this, inputs, false);
    const given = options?.outputs;
    checkOutputBuffers(this, given, false);
    const ins = this.inputs.map((spec) => inputs[spec.name].data as ArrayBufferView);
    const result: TensorMap = {};
    const outs = this.outputs.map((spec) => {
      const t = given?.[spec.name] ?? Tensor.zeros(spec.dtype as DType, spec.dims, spec.quant ? { quant: spec.quant } : {});
      result[spec.name] = t;
      return t.data as ArrayBufferView;
    });
    return { ins, outs, result };
  }

  run(inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    const callSite = new Error();
    let prepared: Prepared;
    try {
      prepared = this.#prepare(inputs, options);
    } catch (e) {
      return Promise.reject(e);
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(abortError(this.name, signal));
    const start = async (): Promise<TensorMap> => {
      if (signal?.aborted) throw abortError(this.name, signal);
      await withCallerStack(() => this.#native.run(prepared.ins, prepared.outs), callSite, `QNN context of graph ${JSON.stringify(this.name)}`);
      return prepared.result;
    };
    const run = this.#tail.then(start, start);
    this.#tail = run.catch(() => undefined);
    this.#owner.track(run);
    return run;
  }

  runSync(inputs: TensorMap, options?: RunOptions): TensorMap {
    const prepared = this.#prepare(inputs, options);
    if (options?.signal?.aborted) throw abortError(this.name, options.signal);
    try {
      this.#native.runSync(prepared.ins, prepared.outs);
    } catch (e) {
      throw fromNative(e, `QNN context of graph ${JSON.stringify(this.name)}`);
    }
    return prepared.result;
  }
}

function abortError(graph: string, signal: AbortSignal): QnnNodeError {
  return new QnnNodeError('ABORTED', `Run of graph ${JSON.stringify(graph)} was aborted before it started`, {
    cause: signal.reason,
    details: { graph },
  });
}
