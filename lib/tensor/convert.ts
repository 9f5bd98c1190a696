/**
 * Element conversions between dtype storages. Works on raw storage arrays (not on
 * Tensor) so Tensor.ts can use it without an import cycle.
 *
 * Rules (docs/tensors.md):
 * - float -> integer: round half to even, saturate to the target's range, NaN -> 0.
 * - integer -> integer: saturate (64-bit types go through bigint, so nothing above 2^53
 *   loses precision).
 * - anything -> bool: value != 0 (NaN is true, as in NumPy); bool -> anything: 0 / 1
 *   (any non-zero storage byte reads as true).
 * - float -> float: round to nearest even (float64 -> float16 rounds once, directly).
 */

import type { AnyTypedArray, DType } from './dtypes.js';
import { DTYPES } from './dtypes.js';
import { float16ToFloat32, float16ToFloat64, float32ToFloat16, float64ToFloat16 } from './fp16.js';
import { dequantize, intRange, quantize, roundHalfEven, unpack4, type NormalizedQuant } from './quantize.js';

export function isIntegerDType(dtype: DType): boolean {
  const info = DTYPES[dtype];
  return !info.float && !info.quantized && dtype !== 'bool';
}

function is64(dtype: DType): boolean {
  return dtype === 'int64' || dtype === 'uint64';
}

/** Storage -> float64 values (dequantized for quantized dtypes; `quant` must then be set). */
export function storageToFloat64(
  dtype: DType,
  data: AnyTypedArray,
  dims: readonly number[],
  size: number,
  quant: NormalizedQuant | undefined,
): Float64Array {
  const info = DTYPES[dtype];
  if (info.quantized) return dequantize(data as ArrayLike<number>, dtype, dims, quant!, new Float64Array(size));
  if (dtype === 'float16') return float16ToFloat64(data as Uint16Array);
  const out = new Float64Array(size);
  if (is64(dtype)) {
    const src = data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < size; i++) out[i] = Number(src[i]);
  } else if (dtype === 'bool') {
    const src = data as Uint8Array;
    for (let i = 0; i < size; i++) out[i] = src[i] !== 0 ? 1 : 0;
  } else {
    out.set(data as Exclude<AnyTypedArray, BigInt64Array | BigUint64Array>);
  }
  return out;
}

/** Storage -> float32 values (a new array). */
export function storageToFloat32(
  dtype: DType,
  data: AnyTypedArray,
  dims: readonly number[],
  size: number,
  quant: NormalizedQuant | undefined,
): Float32Array {
  if (DTYPES[dtype].quantized) return dequantize(data as ArrayLike<number>, dtype, dims, quant!, new Float32Array(size));
  if (dtype === 'float16') return float16ToFloat32(data as Uint16Array);
  if (dtype === 'float32') return (data as Float32Array).slice();
  if (dtype === 'float64') return new Float32Array(data as Float64Array);
  return new Float32Array(storageToFloat64(dtype, data, dims, size, quant));
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

function clampBig(v: bigint, dtype: DType): bigint {
  if (dtype === 'int64') return v < I64_MIN ? I64_MIN : v > I64_MAX ? I64_MAX : v;
  return v < 0n ? 0n : v > U64_MAX ? U64_MAX : v;
}

/** A float value to a bigint of the 64-bit dtype: round half even, saturate, NaN -> 0. */
function floatToBig(x: number, dtype: DType): bigint {
  if (x !== x) return 0n;
  if (x === Infinity) return dtype === 'int64' ? I64_MAX : U64_MAX;
  if (x === -Infinity) return dtype === 'int64' ? I64_MIN : 0n;
  return clampBig(BigInt(roundHalfEven(x)), dtype);
}

/** float values -> storage of a non-quantized dtype (float, integer or bool). */
export function float64ToStorage(dtype: DType, src: Float64Array | Float32Array, size: number): AnyTypedArray {
  const info = DTYPES[dtype];
  if (dtype === 'float16') return src instanceof Float32Array ? float32ToFloat16(src) : float64ToFloat16(src);
  if (dtype === 'float32') return new Float32Array(src);
  if (dtype === 'float64') return new Float64Array(src);
  if (dtype === 'bool') {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) out[i] = src[i] !== 0 ? 1 : 0; // NaN !== 0: true
    return out;
  }
  if (is64(dtype)) {
    const out = dtype === 'int64' ? new BigInt64Array(size) : new BigUint64Array(size);
    for (let i = 0; i < size; i++) out[i] = floatToBig(src[i], dtype);
    return out;
  }
  const { min, max } = intRange(dtype);
  const out = new info.arrayType(size) as Exclude<AnyTypedArray, BigInt64Array | BigUint64Array>;
  for (let i = 0; i < size; i++) {
    const v = src[i];
    if (v !== v) {
      out[i] = 0;
      continue;
    }
    const r = roundHalfEven(v);
    out[i] = r < min ? min : r > max ? max : r;
  }
  return out;
}

/** Integer/bool storage -> integer/bool storage, exact or saturated (bigint for 64-bit). */
export function integerToInteger(from: DType, data: AnyTypedArray, to: DType, size: number): AnyTypedArray {
  const toBool = to === 'bool';
  if (is64(from) || is64(to)) {
    const read: (i: number) => bigint = is64(from)
      ? (i) => (data as BigInt64Array | BigUint64Array)[i]
      : from === 'bool'
        ? (i) => ((data as Uint8Array)[i] !== 0 ? 1n : 0n)
        : (i) => BigInt((data as Int32Array)[i]);
    if (is64(to)) {
      const out = to === 'int64' ? new BigInt64Array(size) : new BigUint64Array(size);
      for (let i = 0; i < size; i++) out[i] = clampBig(read(i), to);
      return out;
    }
    const out = new DTYPES[to].arrayType(size) as Exclude<AnyTypedArray, BigInt64Array | BigUint64Array>;
    if (toBool) {
      for (let i = 0; i < size; i++) out[i] = read(i) !== 0n ? 1 : 0;
      return out;
    }
    const { min, max } = intRange(to);
    const bmin = BigInt(min);
    const bmax = BigInt(max);
    for (let i = 0; i < size; i++) {
      const v = read(i);
      out[i] = Number(v < bmin ? bmin : v > bmax ? bmax : v);
    }
    return out;
  }
  const src = data as Exclude<AnyTypedArray, BigInt64Array | BigUint64Array>;
  const out = new DTYPES[to].arrayType(size) as Exclude<AnyTypedArray, BigInt64Array | BigUint64Array>;
  if (toBool) {
    for (let i = 0; i < size; i++) out[i] = src[i] !== 0 ? 1 : 0;
    return out;
  }
  const { min, max } = intRange(to);
  const fromBool = from === 'bool';
  for (let i = 0; i < size; i++) {
    const v = fromBool ? (src[i] !== 0 ? 1 : 0) : src[i];
    out[i] = v < min ? min : v > max ? max : v;
  }
  return out;
}

/** float values -> quantized storage. */
export function floatToQuantized(
  dtype: DType,
  src: Float32Array | Float64Array,
  dims: readonly number[],
  quant: NormalizedQuant,
): AnyTypedArray {
  return quantize(src, dtype, dims, quant);
}

/** One value per element for packed 4-bit storage (used by .npy export). */
export function unpackedValues(dtype: DType, data: AnyTypedArray, size: number): Int8Array | Uint8Array {
  return unpack4(data as Uint8Array, size, DTYPES[dtype].signed);
}
