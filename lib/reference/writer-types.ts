/**
 * What a reference-backend binary holds (statics, graphs, nodes, params) as the writer takes
 * it, and the layout it reports back (lib/reference/writer.ts).
 */
import type { DType, QuantParams } from '../tensor/dtypes.js';

/** A graph input, output or intermediate tensor. */
export interface RefTensorDesc {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
  /** Required for quantized dtypes (sfixed / ufixed), not allowed for others. */
  readonly quant?: QuantParams;
}

/**
 * A STATIC tensor (weights), shared by every graph of the context that names it. Give
 * exactly one data source:
 * - `data`: the bytes, as any typed array / DataView of exactly the tensor's byte length;
 * - `fill`: every element has this value (stored value: the raw integer q for quantized
 *   dtypes, a number for floats — converted to half for float16 —, a bigint or number for
 *   64-bit integers, 0/1 or a boolean for bool);
 * - `chunks`: a function returning an iterable (or, for writeReferenceBinary only, an
 *   async iterable) of byte chunks whose total length is the tensor's byte length.
 * `fill` and `chunks` are streamed by writeReferenceBinary: a 1 GB static never exists in
 * memory as a whole.
 */
export interface RefStaticDesc extends RefTensorDesc {
  readonly data?: ArrayBufferView;
  readonly fill?: number | bigint | boolean;
  readonly chunks?: () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /**
   * Binary sections may replace this tensor's data after load (contextApplyBinarySection,
   * e.g. LoRA adapter weights; encodeReferenceSection). Default false.
   */
  readonly updatable?: boolean;
}

/**
 * A node parameter: an integer number is an int32 scalar, a non-integer number a float32
 * scalar, a boolean a bool scalar, an array of integers an int32 array, an array with any
 * non-integer a float32 array. `{ float: ... }` forces float32 (the backend accepts an
 * int where it expects a float, so this is rarely needed).
 */
export type RefParamValue =
  | number
  | boolean
  | readonly number[]
  | { readonly float: number | readonly number[] };

export interface RefNodeDesc {
  /** The QNN op type name, e.g. 'MatMul' (see REFERENCE_OPS). */
  readonly op: string;
  /** Defaults to `<op>_<index>`. */
  readonly name?: string;
  /** Tensor names: the graph's inputs, outputs and `tensors`, then the context's statics. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly params?: Readonly<Record<string, RefParamValue>>;
}

export interface RefGraphDesc {
  readonly name: string;
  /** APP_WRITE tensors, in execution-argument order. */
  readonly inputs: readonly RefTensorDesc[];
  /** APP_READ tensors, in execution-argument order. */
  readonly outputs: readonly RefTensorDesc[];
  /** NATIVE intermediates (graph-local). */
  readonly tensors?: readonly RefTensorDesc[];
  /** Executed in this order; a node may only read tensors produced before it. */
  readonly nodes: readonly RefNodeDesc[];
}

export interface ReferenceBinaryDesc {
  readonly graphs: readonly RefGraphDesc[];
  readonly statics?: readonly RefStaticDesc[];
  /** Free text stored in the binary (reported as the context's build id / description). */
  readonly description?: string;
  /**
   * A QNN SDK build id (`v2.33.0.250220031845_105259`) stored as the binary's producer, as
   * real context binaries record the SDK that made them. The reference libraries report
   * it as the binary's build id and refuse a binary whose producer SDK minor is newer than
   * the SDK they emulate (backend API 5.<minor>), as real QNN libraries do.
   */
  readonly producer?: string;
  /**
   * The spill-fill buffer (bytes) the binary's graphs need, as an HTP binary records it
   * (header +120; default 0). The reference QnnSystem reports it in the binary info's HTP
   * blobs and the reference backend checks a spill-fill group's buffer against it.
   */
  readonly spillFillBytes?: number;
  /** First tensor id to assign (default 1000). Ids are assigned with gaps, never 0..n. */
  readonly firstTensorId?: number;
}

/** Where things ended up: tensor ids and the byte layout. */
export interface ReferenceLayout {
  readonly fileSize: number;
  /** Size of the header + tables (the checksummed region). */
  readonly metaSize: number;
  readonly dataOffset: number;
  readonly dataSize: number;
  readonly checksum: number;
  /** Static tensor name → { id, offset (relative to dataOffset), byteLength }. */
  readonly statics: Readonly<Record<string, { readonly id: number; readonly offset: number; readonly byteLength: number }>>;
  /** Graph name → tensor name → id (inputs, outputs, intermediates). */
  readonly graphs: Readonly<Record<string, Readonly<Record<string, number>>>>;
}
