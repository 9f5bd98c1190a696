/**
 * Tensor: a dtype, frozen dims and a typed-array view over an ArrayBuffer, plus optional
 * QNN quantization parameters. Wrapping a typed array or ArrayBuffer never copies;
 * everything that converts (to, toFloat32, toFloat64, clone, fromFloat32) returns new
 * memory and never writes into the source. See docs/tensors.md.
 */

import { QnnNodeError, QnnRangeError, describeValue, invalidArg, outOfRange } from '../errors.js';
import { DTYPES, byteLengthOf, isDType, type AnyTypedArray, type DType, type QuantParams, type TypedArrayFor } from './dtypes.js';
import {
  floatToQuantized,
  float64ToStorage,
  integerToInteger,
  isIntegerDType,
  storageToFloat32,
  storageToFloat64,
} from './convert.js';
import { numberToHalf } from './fp16.js';
import { describeQuant, intRange, normalizeQuant, pack4, sameQuant, type NormalizedQuant } from './quantize.js';
import { isResizableBuffer } from './resizable.js';
import { checkedElementCount, elementCount } from './shape.js';

export interface TensorOptions {
  /** QNN quantization parameters; only for quantized dtypes (ufixed / sfixed). */
  readonly quant?: QuantParams;
}

export interface ConvertOptions {
  /**
   * Parameters of the quantized target. Required when converting to a quantized dtype,
   * except to the tensor's own dtype, where the tensor's parameters are the default.
   */
  readonly quant?: QuantParams;
}

/** What the constructor accepts as data: storage typed array, ArrayBuffer, or plain values. */
export type TensorData<T extends DType> = TypedArrayFor<T> | ArrayBuffer | SharedArrayBuffer | ReadonlyArray<number | bigint | boolean>;

/** Validates dims: an array of non-negative safe integers whose product is safe. Returns a frozen copy. */
export function checkDims(dims: unknown, name = 'dims'): readonly number[] {
  if (!Array.isArray(dims)) throw invalidArg('an array of non-negative integers', name, dims);
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw outOfRange('a non-negative integer', `${name}[${i}]`, d);
    }
  }
  if (checkedElementCount(dims) === undefined) throw outOfRange('dims whose product is a safe integer', name, dims);
  return Object.freeze(dims.slice() as number[]);
}

/**
 * New zeroed memory for a tensor. V8 throws a bare RangeError for lengths above its
 * ArrayBuffer limit or when the allocation fails: report those as ERR_OUT_OF_RANGE.
 */
function allocate(dtype: DType, dims: readonly number[], byteLength: number): ArrayBuffer {
  try {
    return new ArrayBuffer(byteLength);
  } catch (cause) {
    if (!(cause instanceof RangeError)) throw cause;
    throw new QnnRangeError(
      'ERR_OUT_OF_RANGE',
      `Expected dims whose ${dtype} storage can be allocated for dims but received ${fmtDims(dims)} (${byteLength} bytes: ${cause.message})`,
      { name: 'dims', dtype, dims: [...dims], byteLength },
    );
  }
}

function fmtDims(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`;
}

/** Storage elements a tensor of `size` elements needs (packed 4-bit: ceil(size / 2) bytes). */
function storageLength(dtype: DType, size: number): number {
  return DTYPES[dtype].bits === 4 ? Math.ceil(size / 2) : size;
}

function sizeMismatch(dtype: DType, dims: readonly number[], actualBytes: number): QnnNodeError {
  const expected = byteLengthOf(dtype, elementCount(dims));
  return new QnnNodeError(
    'SIZE_MISMATCH',
    `A ${dtype} tensor of dims ${fmtDims(dims)} needs ${expected} bytes but the data has ${actualBytes} bytes`,
    { details: { dtype, dims, expectedBytes: expected, actualBytes } },
  );
}

/** Copies plain JS values into fresh storage, validating each one (no silent truncation). */
function fromValues(dtype: DType, values: ReadonlyArray<unknown>, size: number): AnyTypedArray {
  const info = DTYPES[dtype];
  if (values.length !== size) {
    throw new QnnNodeError(
      'SIZE_MISMATCH',
      `A ${dtype} tensor of ${size} elements needs ${size} values but the array has ${values.length}`,
      { details: { dtype, expected: size, actual: values.length } },
    );
  }
  const bad = (i: number, what: string): never => {
    throw outOfRange(what, `data[${i}]`, values[i]);
  };
  if (dtype === 'int64' || dtype === 'uint64') {
    const out = dtype === 'int64' ? new BigInt64Array(size) : new BigUint64Array(size);
    const min = dtype === 'int64' ? -(2n ** 63n) : 0n;
    const max = dtype === 'int64' ? 2n ** 63n - 1n : 2n ** 64n - 1n;
    for (let i = 0; i < size; i++) {
      const v = values[i];
      let b: bigint;
      if (typeof v === 'bigint') b = v;
      else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
      else return bad(i, `a bigint or safe integer for ${dtype}`);
      if (b < min || b > max) bad(i, `a value in the ${dtype} range`);
      out[i] = b;
    }
    return out;
  }
  if (dtype === 'bool') {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const v = values[i];
      if (typeof v === 'boolean') out[i] = v ? 1 : 0;
      else if (v === 0 || v === 1) out[i] = v;
      else bad(i, 'a boolean, 0 or 1');
    }
    return out;
  }
  const nums = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const v = values[i];
    if (typeof v !== 'number') bad(i, `a number for ${dtype}`);
    nums[i] = v as number;
  }
  if (info.float) {
    if (dtype === 'float16') {
      const out = new Uint16Array(size);
      for (let i = 0; i < size; i++) out[i] = numberToHalf(nums[i]);
      return out;
    }
    return new (ctor(dtype))(nums);
  }
  // Integers and quantized storage integers: must be integral and in range.
  const { min, max } = intRange(dtype);
  for (let i = 0; i < size; i++) {
    const v = nums[i];
    if (!Number.isInteger(v) || v < min || v > max) bad(i, `an integer from ${min} to ${max} (${dtype} storage)`);
  }
  if (info.bits === 4) return pack4(nums, size, new (ctor(dtype))(Math.ceil(size / 2)) as Uint8Array | Int8Array) as AnyTypedArray;
  return new (ctor(dtype))(nums);
}

type StorageCtor = {
  new (length: number): AnyTypedArray;
  new (values: ArrayLike<number>): AnyTypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): AnyTypedArray;
};

/** The dtype's storage constructor, typed loosely enough to call with any argument form. */
function ctor(dtype: DType): StorageCtor {
  return DTYPES[dtype].arrayType as unknown as StorageCtor;
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export class Tensor<T extends DType = DType> {
  readonly dtype: T;
  /** Frozen copy of the dims given. */
  readonly dims: readonly number[];
  /** Storage: fp16 as Uint16Array bits, packed 4-bit types as ceil(size / 2) bytes. */
  readonly data: TypedArrayFor<T>;
  /** Validated, frozen quantization parameters (quantized dtypes only). */
  readonly quant: QuantParams | undefined;
  /** Number of elements (product of dims; 1 for dims []). */
  readonly size: number;
  #bytes: Uint8Array | undefined;

  /**
   * Wraps `data` without copying when it is the dtype's storage typed array or an
   * ArrayBuffer; copies (and validates) a plain array of numbers / bigints / booleans.
   * For float16 plain numbers are rounded to half; for quantized dtypes plain numbers
   * are the stored integers, not real values (use Tensor.fromFloat32 to quantize).
   */
  constructor(dtype: T, data: TensorData<T>, dims: readonly number[], options: TensorOptions = {}) {
    if (!isDType(dtype)) {
      throw new QnnNodeError('UNSUPPORTED_DTYPE', `Unsupported dtype ${describeValue(dtype)}`, { details: { dtype } });
    }
    const info = DTYPES[dtype];
    this.dtype = dtype;
    this.dims = checkDims(dims);
    this.size = elementCount(this.dims);
    const expectedLength = storageLength(dtype, this.size);
    let storage: AnyTypedArray;
    // Resizable / growable memory can move or shrink under a native run: not accepted.
    if ((ArrayBuffer.isView(data) || data instanceof ArrayBuffer ||
        (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer)) && isResizableBuffer(data)) {
      throw invalidArg('a fixed-length ArrayBuffer', 'data', data);
    }
    if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer)) {
      if (data.byteLength !== byteLengthOf(dtype, this.size)) throw sizeMismatch(dtype, this.dims, data.byteLength);
      storage = new (ctor(dtype))(data, 0, expectedLength);
    } else if (ArrayBuffer.isView(data)) {
      if (!(data instanceof info.arrayType)) {
        throw new QnnNodeError(
          'DTYPE_MISMATCH',
          `Expected a ${info.arrayType.name} for ${dtype} tensor data but received ${describeValue(data)}` +
            (dtype === 'float16' && data instanceof Float32Array ? " (float16 data is half bits; use Tensor.fromFloat32('float16', …) to convert)" : ''),
          { details: { dtype, expected: info.arrayType.name, actual: data.constructor.name } },
        );
      }
      if (data.length !== expectedLength) throw sizeMismatch(dtype, this.dims, data.byteLength);
      storage = data as AnyTypedArray;
    } else if (Array.isArray(data)) {
      storage = fromValues(dtype, data, this.size);
    } else {
      throw invalidArg(`a ${info.arrayType.name}, an ArrayBuffer or an array of values`, 'data', data);
    }
    this.data = storage as TypedArrayFor<T>;
    this.quant = options.quant === undefined ? undefined : normalizeQuant(dtype, this.dims, options.quant);
  }

  /** A tensor of zero storage bits (for quantized dtypes that is q = 0, not real 0). */
  static zeros<T extends DType>(dtype: T, dims: readonly number[], options: TensorOptions = {}): Tensor<T> {
    if (!isDType(dtype)) {
      throw new QnnNodeError('UNSUPPORTED_DTYPE', `Unsupported dtype ${describeValue(dtype)}`, { details: { dtype } });
    }
    const d = checkDims(dims);
    return new Tensor(dtype, allocate(dtype, d, byteLengthOf(dtype, elementCount(d))), d, options);
  }

  /**
   * A new tensor of `dtype` from float32 (or plain number) values: converted for float
   * and integer dtypes, quantized with `options.quant` for quantized ones. Always new memory.
   */
  static fromFloat32<T extends DType>(
    dtype: T,
    values: Float32Array | ArrayLike<number>,
    dims: readonly number[],
    options: TensorOptions = {},
  ): Tensor<T> {
    const d = checkDims(dims);
    const size = elementCount(d);
    if (values.length !== size) {
      throw new QnnNodeError('SIZE_MISMATCH', `dims ${fmtDims(d)} hold ${size} elements but received ${values.length} values`, {
        details: { dims: d, expected: size, actual: values.length },
      });
    }
    const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
    const src = new Tensor('float32', f32, d);
    return src.to(dtype, options);
  }

  /**
   * Wraps bytes as a tensor: no copy when `bytes.byteOffset` is a multiple of the element
   * size (always for 1-byte types); otherwise copies into an aligned buffer.
   */
  static fromBytes<T extends DType>(dtype: T, bytes: Uint8Array, dims: readonly number[], options: TensorOptions = {}): Tensor<T> {
    if (!isDType(dtype)) {
      throw new QnnNodeError('UNSUPPORTED_DTYPE', `Unsupported dtype ${describeValue(dtype)}`, { details: { dtype } });
    }
    if (!(bytes instanceof Uint8Array)) throw invalidArg('a Uint8Array', 'bytes', bytes);
    const d = checkDims(dims);
    const info = DTYPES[dtype];
    const size = elementCount(d);
    if (bytes.byteLength !== byteLengthOf(dtype, size)) throw sizeMismatch(dtype, d, bytes.byteLength);
    const length = storageLength(dtype, size);
    const elem = info.arrayType.BYTES_PER_ELEMENT;
    const storage =
      bytes.byteOffset % elem === 0
        ? new (ctor(dtype))(bytes.buffer, bytes.byteOffset, length)
        : new (ctor(dtype))(bytes.slice().buffer, 0, length);
    return new Tensor(dtype, storage as TypedArrayFor<T>, d, options);
  }

  /** Bytes of the storage (`data.byteLength`). */
  get byteLength(): number {
    return this.data.byteLength;
  }

  /** A Uint8Array over the same memory as `data` (no copy). */
  get bytes(): Uint8Array {
    if (this.#bytes === undefined) this.#bytes = new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return this.#bytes;
  }

  /** The values as a new Float32Array (dequantized for quantized dtypes). */
  toFloat32(): Float32Array {
    this.#requireQuant('float32');
    return storageToFloat32(this.dtype, this.data, this.dims, this.size, this.quant as NormalizedQuant | undefined);
  }

  /** The values as a new Float64Array (dequantized for quantized dtypes; bigints via Number()). */
  toFloat64(): Float64Array {
    this.#requireQuant('float64');
    return storageToFloat64(this.dtype, this.data, this.dims, this.size, this.quant as NormalizedQuant | undefined);
  }

  /**
   * Converts to `dtype`, always into new memory. float <-> float, integer/bool <-> float,
   * integer <-> integer/bool, quantized <-> float (target params in `options.quant`) and
   * quantized -> quantized (through float64). Integer/bool <-> quantized throws
   * UNSUPPORTED_CONVERSION (go through float32 explicitly).
   */
  to<U extends DType>(dtype: U, options: ConvertOptions = {}): Tensor<U> {
    if (!isDType(dtype)) {
      throw new QnnNodeError('UNSUPPORTED_DTYPE', `Unsupported dtype ${describeValue(dtype)}`, { details: { dtype } });
    }
    const from = DTYPES[this.dtype];
    const to = DTYPES[dtype];
    if ((from.quantized && !to.quantized && !to.float) || (to.quantized && !from.quantized && !from.float)) {
      throw new QnnNodeError(
        'UNSUPPORTED_CONVERSION',
        `Cannot convert ${this.dtype} to ${dtype}: only float types convert to and from quantized types (convert through float32)`,
        { details: { from: this.dtype, to: dtype } },
      );
    }
    if (!to.quantized && options.quant !== undefined) {
      throw new QnnNodeError('DTYPE_MISMATCH', `Quantization parameters were given for ${dtype}, which is not a quantized dtype`, {
        details: { dtype },
      });
    }
    const size = this.size;
    const dims = this.dims;
    if (to.quantized) {
      const targetQuant =
        options.quant !== undefined
          ? normalizeQuant(dtype, dims, options.quant)
          : (dtype as DType) === this.dtype
            ? (this.quant as NormalizedQuant | undefined)
            : undefined;
      if (targetQuant === undefined) {
        throw new QnnNodeError(
          'UNSUPPORTED_CONVERSION',
          `Converting ${this.dtype} to ${dtype} needs quantization parameters: pass { quant }`,
          { details: { from: this.dtype, to: dtype } },
        );
      }
      if ((dtype as DType) === this.dtype && sameQuant(targetQuant, this.quant as NormalizedQuant | undefined)) {
        return new Tensor(dtype, this.data.slice() as TypedArrayFor<U>, dims, { quant: targetQuant });
      }
      const src = this.dtype === 'float32' ? (this.data as Float32Array) : this.toFloat64();
      return new Tensor(dtype, floatToQuantized(dtype, src, dims, targetQuant) as TypedArrayFor<U>, dims, { quant: targetQuant });
    }
    if ((dtype as DType) === this.dtype) return new Tensor(dtype, this.data.slice() as TypedArrayFor<U>, dims);
    let storage: AnyTypedArray;
    if (dtype === 'float32') {
      storage = this.toFloat32();
    } else if (from.float || from.quantized) {
      const src = this.dtype === 'float32' ? (this.data as Float32Array) : this.toFloat64();
      storage = float64ToStorage(dtype, src, size);
    } else if (isIntegerDType(this.dtype) || this.dtype === 'bool') {
      storage = to.float ? float64ToStorage(dtype, this.toFloat64(), size) : integerToInteger(this.dtype, this.data, dtype, size);
    } else {
      throw new QnnNodeError('UNSUPPORTED_CONVERSION', `Cannot convert ${this.dtype} to ${dtype}`, {
        details: { from: this.dtype, to: dtype },
      });
    }
    return new Tensor(dtype, storage as TypedArrayFor<U>, dims);
  }

  /**
   * A view with other dims over the same memory (no copy). One entry may be -1 (inferred).
   * Per-axis quantized tensors keep their params only if the quantized axis survives
   * intact (same size, same number of elements before it); otherwise SHAPE_MISMATCH.
   */
  reshape(dims: readonly number[]): Tensor<T> {
    if (!Array.isArray(dims)) throw invalidArg('an array of non-negative integers', 'dims', dims);
    const inferAt = dims.indexOf(-1);
    let resolved = dims;
    if (inferAt !== -1) {
      if (dims.indexOf(-1, inferAt + 1) !== -1) throw invalidArg('at most one -1 in dims', 'dims', dims);
      const known = elementCount(checkDims(dims.filter((_, i) => i !== inferAt)));
      if (known === 0 || this.size % known !== 0) {
        throw new QnnNodeError('SHAPE_MISMATCH', `Cannot reshape ${fmtDims(this.dims)} (${this.size} elements) to ${fmtDims(dims)}`, {
          details: { from: this.dims, to: dims },
        });
      }
      resolved = dims.map((d, i) => (i === inferAt ? this.size / known : d));
    }
    const next = checkDims(resolved);
    if (elementCount(next) !== this.size) {
      throw new QnnNodeError(
        'SHAPE_MISMATCH',
        `Cannot reshape ${fmtDims(this.dims)} (${this.size} elements) to ${fmtDims(next)} (${elementCount(next)} elements)`,
        { details: { from: this.dims, to: next } },
      );
    }
    let quant = this.quant;
    if (quant?.encoding === 'axis-scale-offset') {
      const before = elementCount(this.dims.slice(0, quant.axis));
      const channels = this.dims[quant.axis];
      let axis = -1;
      for (let a = 0, acc = 1; a < next.length; acc *= next[a], a++) {
        if (acc === before && next[a] === channels) {
          axis = a;
          break;
        }
      }
      if (axis === -1) {
        throw new QnnNodeError(
          'SHAPE_MISMATCH',
          `Cannot reshape ${fmtDims(this.dims)} to ${fmtDims(next)}: per-axis quantization axis ${quant.axis} (${channels} channels) would not survive`,
          { details: { from: this.dims, to: next, axis: quant.axis } },
        );
      }
      quant = { ...quant, axis };
    }
    return new Tensor(this.dtype, this.data, next, { quant });
  }

  /** A deep copy (new memory, same dtype, dims and quant). */
  clone(): Tensor<T> {
    return new Tensor(this.dtype, this.data.slice() as TypedArrayFor<T>, this.dims, { quant: this.quant });
  }

  #requireQuant(target: string): void {
    if (DTYPES[this.dtype].quantized && this.quant === undefined) {
      throw new QnnNodeError(
        'UNSUPPORTED_CONVERSION',
        `Cannot convert ${this.dtype} to ${target}: the tensor has no quantization parameters`,
        { details: { from: this.dtype, to: target } },
      );
    }
  }

  toString(): string {
    return `Tensor<${this.dtype}>${fmtDims(this.dims)}${this.quant ? ` (quant: ${describeQuant(this.quant)})` : ''}`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}
