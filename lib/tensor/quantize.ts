/**
 * QNN fixed-point quantization: `real = scale * (q + offset)` (offset is minus the zero
 * point).
 *
 * Quantizing: `q = roundHalfToEven(real / scale) - offset`, computed in float64, then
 * saturated to the integer range (the storage type's, or `quant.bitwidth`'s when given:
 * signed b bits is [-2^(b-1), 2^(b-1) - 1], unsigned b bits is [0, 2^b - 1]). ±inf
 * saturate. NaN quantizes to the code for real 0, i.e. `-offset` (saturated).
 *
 * Dequantizing: `scale * (q + offset)` in float64, then stored as float32 / float64.
 *
 * Packed 4-bit types (sfixed4 / ufixed4) hold two values per byte, element 2i in the low
 * nibble and 2i+1 in the high nibble (QNN's packing); an odd element count leaves the
 * last high nibble unused (written as 0).
 */

import { QnnNodeError, describeValue, invalidArg, outOfRange } from '../errors.js';
import { DTYPES, type DType, type QuantParams } from './dtypes.js';

/** The integer range a quantized (or plain integer) dtype can hold, honouring a bitwidth. */
export function intRange(dtype: DType, bitwidth?: number): { min: number; max: number } {
  const info = DTYPES[dtype];
  if (info.float || dtype === 'bool') throw invalidArg('an integer or quantized dtype', 'dtype', dtype);
  const bits = bitwidth ?? info.bits;
  return info.signed ? { min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 } : { min: 0, max: 2 ** bits - 1 };
}

/** Quantization parameters after validation: frozen, scales/offsets as plain arrays. */
export type NormalizedQuant =
  | { readonly encoding: 'scale-offset'; readonly scale: number; readonly offset: number; readonly bitwidth?: number }
  | {
      readonly encoding: 'axis-scale-offset';
      readonly axis: number;
      readonly scales: readonly number[];
      readonly offsets: readonly number[];
      readonly bitwidth?: number;
    };

function checkScale(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw outOfRange('a finite scale > 0', name, value);
  return value;
}

function checkOffset(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 31) || value > 2 ** 31 - 1) {
    throw outOfRange('an int32 offset', name, value);
  }
  return value;
}

/**
 * Validates quantization parameters for a tensor of `dtype` and `dims`, returning a frozen
 * copy (so later changes to the caller's object do not affect the tensor).
 */
export function normalizeQuant(dtype: DType, dims: readonly number[], quant: QuantParams): NormalizedQuant {
  const info = DTYPES[dtype];
  if (!info.quantized) {
    throw new QnnNodeError('DTYPE_MISMATCH', `Quantization parameters were given for ${dtype}, which is not a quantized dtype`, {
      details: { dtype },
    });
  }
  if (typeof quant !== 'object' || quant === null) throw invalidArg('a QuantParams object', 'quant', quant);
  let bitwidth: number | undefined;
  if (quant.bitwidth !== undefined) {
    if (!Number.isInteger(quant.bitwidth) || quant.bitwidth < 1 || quant.bitwidth > info.bits) {
      throw outOfRange(`an integer bitwidth from 1 to ${info.bits} (the ${dtype} storage)`, 'quant.bitwidth', quant.bitwidth);
    }
    bitwidth = quant.bitwidth;
  }
  if (quant.encoding === 'scale-offset') {
    const q = { encoding: 'scale-offset' as const, scale: checkScale(quant.scale, 'quant.scale'), offset: checkOffset(quant.offset, 'quant.offset') };
    return Object.freeze(bitwidth === undefined ? q : { ...q, bitwidth });
  }
  if (quant.encoding === 'axis-scale-offset') {
    const rank = dims.length;
    if (!Number.isInteger(quant.axis) || quant.axis < 0 || quant.axis >= rank) {
      throw outOfRange(`an axis from 0 to ${rank - 1} (dims [${dims.join(', ')}])`, 'quant.axis', quant.axis);
    }
    const channels = dims[quant.axis];
    const scales = Array.from(quant.scales ?? [], (s, i) => checkScale(s, `quant.scales[${i}]`));
    const offsets = Array.from(quant.offsets ?? [], (o, i) => checkOffset(o, `quant.offsets[${i}]`));
    if (scales.length !== channels || offsets.length !== channels) {
      throw new QnnNodeError(
        'SIZE_MISMATCH',
        `Per-axis quantization along axis ${quant.axis} needs ${channels} scales and offsets (dims [${dims.join(', ')}]) but received ${scales.length} scales and ${offsets.length} offsets`,
        { details: { expected: channels, scales: scales.length, offsets: offsets.length } },
      );
    }
    const q = {
      encoding: 'axis-scale-offset' as const,
      axis: quant.axis,
      scales: Object.freeze(scales),
      offsets: Object.freeze(offsets),
    };
    return Object.freeze(bitwidth === undefined ? q : { ...q, bitwidth });
  }
  throw invalidArg("quant.encoding 'scale-offset' or 'axis-scale-offset'", 'quant.encoding', (quant as { encoding?: unknown }).encoding);
}

/** True when both parameter sets describe the same mapping. */
export function sameQuant(a: NormalizedQuant | undefined, b: NormalizedQuant | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.encoding !== b.encoding || a.bitwidth !== b.bitwidth) return false;
  if (a.encoding === 'scale-offset' && b.encoding === 'scale-offset') return a.scale === b.scale && a.offset === b.offset;
  if (a.encoding === 'axis-scale-offset' && b.encoding === 'axis-scale-offset') {
    return (
      a.axis === b.axis &&
      a.scales.length === b.scales.length &&
      a.scales.every((s, i) => s === b.scales[i]) &&
      a.offsets.every((o, i) => o === b.offsets[i])
    );
  }
  return false;
}

/** For per-axis params: channel of flat element i is floor(i / inner) % channels. */
function axisGeometry(dims: readonly number[], axis: number): { inner: number; channels: number } {
  let inner = 1;
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d];
  return { inner, channels: dims[axis] };
}

/** Round half to even (banker's rounding) for any double. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties go toward +inf
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

type IntStorage = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** x + MAGIC - MAGIC rounds x to an integer, ties to even, for |x| < 2^51 (1.5 * 2^52). */
const MAGIC = 6755399441055744;

/**
 * The quantize loop for one run of elements sharing scale and offset: q = round(v) - offset
 * with v = x / scale, saturated to [min, max]. In units of v the bounds are the integers
 * lo = min + offset and hi = max + offset, so clamping round(v) to [lo, hi] and then
 * subtracting the offset is the same as saturating q.
 *
 * Fast path (V8 keeps it in int32): round with the MAGIC trick, truncate with `| 0`,
 * clamp as integers. NaN | 0 is 0, which clamps to the code of real 0 as documented.
 * `| 0` wraps for |v| >= 2^31, so such a run is redone by the slow loop. Returns nothing.
 */
function quantizeRun(
  src: ArrayLike<number>,
  dst: IntStorage,
  start: number,
  end: number,
  scale: number,
  offset: number,
  min: number,
  max: number,
): void {
  const lo = min + offset;
  const hi = max + offset;
  if (lo >= -2147483648 && hi <= 2147483647) {
    let wide = 0;
    for (let i = start; i < end; i++) {
      const v = src[i] / scale;
      if (v > 2147483647 || v < -2147483648) wide = 1;
      let r = (v + MAGIC - MAGIC) | 0;
      r = r < lo ? lo : r > hi ? hi : r;
      dst[i] = r - offset;
    }
    if (wide === 0) return;
  }
  // Slow path: compare in float64 before rounding (any range, huge values).
  const nanCode = -offset < min ? min : -offset > max ? max : -offset;
  for (let i = start; i < end; i++) {
    const v = src[i] / scale;
    dst[i] = v >= lo ? (v <= hi ? v + MAGIC - MAGIC - offset : max) : v < lo ? min : nanCode;
  }
}

/** Per-axis quantize when runs are short (axis at or near the end): one loop, channel counter. */
function quantizeInterleaved(
  src: ArrayLike<number>,
  dst: IntStorage,
  n: number,
  inner: number,
  scales: readonly number[],
  offsets: readonly number[],
  min: number,
  max: number,
): void {
  const channels = scales.length;
  const sc = Float64Array.from(scales);
  const off = Float64Array.from(offsets);
  for (let i = 0, c = 0, k = 0; i < n; i++) {
    const offset = off[c];
    const lo = min + offset;
    const hi = max + offset;
    const v = src[i] / sc[c];
    // Compare in float64 before rounding (see quantizeRun's slow path).
    dst[i] = v >= lo ? (v <= hi ? v + MAGIC - MAGIC - offset : max) : v < lo ? min : Math.min(max, Math.max(min, -offset));
    if (++k === inner) {
      k = 0;
      if (++c === channels) c = 0;
    }
  }
}

/**
 * Quantizes `src` (flat, C order, `dims`) into `dtype` storage with `quant`. Returns the
 * storage array (`out` when given; for 4-bit dtypes a byte array of ceil(n/2)).
 */
export function quantize(
  src: ArrayLike<number>,
  dtype: DType,
  dims: readonly number[],
  quant: QuantParams,
  out?: IntStorage,
): IntStorage {
  const q = normalizeQuant(dtype, dims, quant);
  const info = DTYPES[dtype];
  const n = src.length;
  let expected = 1;
  for (const d of dims) expected *= d;
  if (n !== expected) {
    throw new QnnNodeError('SIZE_MISMATCH', `quantize: dims [${dims.join(', ')}] hold ${expected} elements but src has ${n}`, {
      details: { expected, actual: n },
    });
  }
  const packed = info.bits === 4;
  const { min, max } = intRange(dtype, q.bitwidth);
  const target: IntStorage = packed ? new Int8Array(n) : out ?? (new info.arrayType(n) as IntStorage);
  if (!packed && target.length !== n) {
    throw new QnnNodeError('SIZE_MISMATCH', `quantize: out has ${target.length} elements but src has ${n}`, {
      details: { expected: n, actual: target.length },
    });
  }
  if (q.encoding === 'scale-offset') {
    quantizeRun(src, target, 0, n, q.scale, q.offset, min, max);
  } else {
    const { inner, channels } = axisGeometry(dims, q.axis);
    if (inner >= 32) {
      for (let i = 0, c = 0; i < n; i += inner, c = c + 1 === channels ? 0 : c + 1) {
        quantizeRun(src, target, i, i + inner, q.scales[c], q.offsets[c], min, max);
      }
    } else {
      quantizeInterleaved(src, target, n, inner, q.scales, q.offsets, min, max);
    }
  }
  if (!packed) return target;
  const bytes = out ?? (new info.arrayType(Math.ceil(n / 2)) as IntStorage);
  if (bytes.length !== Math.ceil(n / 2)) {
    throw new QnnNodeError('SIZE_MISMATCH', `quantize: out has ${bytes.length} bytes but ${n} packed 4-bit values need ${Math.ceil(n / 2)}`, {
      details: { expected: Math.ceil(n / 2), actual: bytes.length },
    });
  }
  pack4(target, n, bytes);
  return bytes;
}

/**
 * Dequantizes `dtype` storage (flat, C order, `dims`) into `out` (float32 unless a
 * Float64Array is given).
 */
export function dequantize<O extends Float32Array | Float64Array = Float32Array>(
  storage: ArrayLike<number>,
  dtype: DType,
  dims: readonly number[],
  quant: QuantParams,
  out?: O,
): O {
  const q = normalizeQuant(dtype, dims, quant);
  const info = DTYPES[dtype];
  let n = 1;
  for (const d of dims) n *= d;
  const values: ArrayLike<number> = info.bits === 4 ? unpack4(storage, n, info.signed) : storage;
  if (values.length !== n) {
    throw new QnnNodeError('SIZE_MISMATCH', `dequantize: storage has ${values.length} elements but dims need ${n}`, {
      details: { expected: n, actual: values.length },
    });
  }
  const dst = (out ?? new Float32Array(n)) as O;
  if (dst.length !== n) {
    throw new QnnNodeError('SIZE_MISMATCH', `dequantize: out has ${dst.length} elements but dims need ${n}`, {
      details: { expected: n, actual: dst.length },
    });
  }
  if (q.encoding === 'scale-offset') {
    dequantizeRun(values, dst, 0, n, q.scale, q.offset);
  } else {
    const { inner, channels } = axisGeometry(dims, q.axis);
    if (inner >= 32) {
      for (let i = 0, c = 0; i < n; i += inner, c = c + 1 === channels ? 0 : c + 1) {
        dequantizeRun(values, dst, i, i + inner, q.scales[c], q.offsets[c]);
      }
    } else {
      // Short runs (axis at or near the end): one loop with a channel counter.
      const scales = Float64Array.from(q.scales);
      const offsets = Float64Array.from(q.offsets);
      for (let i = 0, c = 0, k = 0; i < n; i++) {
        dst[i] = scales[c] * (values[i] + offsets[c]);
        if (++k === inner) {
          k = 0;
          if (++c === channels) c = 0;
        }
      }
    }
  }
  return dst;
}

/** scale * (q + offset) in float64, stored to dst (rounded once for float32). */
function dequantizeRun(values: ArrayLike<number>, dst: Float32Array | Float64Array, start: number, end: number, scale: number, offset: number): void {
  for (let i = start; i < end; i++) dst[i] = scale * (values[i] + offset);
}

/**
 * Packs `n` 4-bit values two per byte, low nibble first, into `out` (a new Uint8Array by
 * default). Values must fit: -8..7 when `out` is an Int8Array (sfixed4), else 0..15;
 * anything else throws ERR_OUT_OF_RANGE naming the index and value.
 */
export function pack4<O extends Int8Array | Uint8Array | IntStorage = Uint8Array>(values: ArrayLike<number>, n: number, out?: O): O {
  const bytes = (out ?? new Uint8Array(Math.ceil(n / 2))) as O;
  const signed = bytes instanceof Int8Array;
  const min = signed ? -8 : 0;
  const max = signed ? 7 : 15;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < min || v > max) throw outOfRange(`a 4-bit integer from ${min} to ${max}`, `values[${i}]`, v);
  }
  for (let i = 0, b = 0; i < n; i += 2, b++) {
    const lo = values[i] & 0x0f;
    const hi = i + 1 < n ? values[i + 1] & 0x0f : 0;
    bytes[b] = signed ? (((hi << 4) | lo) << 24) >> 24 : (hi << 4) | lo;
  }
  return bytes;
}

/** Unpacks `n` 4-bit values (low nibble first) into one value per element. */
export function unpack4(bytes: ArrayLike<number>, n: number, signed: boolean): Int8Array | Uint8Array {
  const need = Math.ceil(n / 2);
  if (bytes.length < need) {
    throw new QnnNodeError('SIZE_MISMATCH', `${n} packed 4-bit values need ${need} bytes but received ${bytes.length}`, {
      details: { expected: need, actual: bytes.length },
    });
  }
  const out = signed ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const nib = (bytes[i >> 1] >> ((i & 1) * 4)) & 0x0f;
    out[i] = signed ? (nib << 28) >> 28 : nib;
  }
  return out;
}

/** Formats quantization parameters for messages. */
export function describeQuant(q: QuantParams | undefined): string {
  if (q === undefined) return 'none';
  if (q.encoding === 'scale-offset') return `scale ${q.scale}, offset ${q.offset}${q.bitwidth ? `, bitwidth ${q.bitwidth}` : ''}`;
  if (q.encoding === 'axis-scale-offset') return `axis ${q.axis}, ${q.scales.length} scales${q.bitwidth ? `, bitwidth ${q.bitwidth}` : ''}`;
  return describeValue(q);
}
