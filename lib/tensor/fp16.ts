/**
 * IEEE 754 binary16 ("half", fp16) <-> binary32 / binary64 conversion.
 *
 * Half values are carried as their raw bits in a `Uint16Array` (Node 20 has no
 * Float16Array). Widening is exact for all 65,536 bit patterns: subnormals, ±0, ±inf
 * and NaN (the 10 payload bits are kept, shifted into the top of the float32 payload,
 * as NumPy does). Narrowing rounds to nearest, ties to even; values at or beyond 65520
 * (the halfway point above the largest half, 65504) become ±inf; NaN stays NaN with
 * the top 10 payload bits kept (a payload that would become 0 turns into the quiet NaN
 * 0x7e00 | sign).
 */

import { QnnNodeError, invalidArg } from '../errors.js';

let widenTable: Uint32Array | undefined;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** float32 bits of one half, computed from the bit fields (used once to fill the table). */
function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / NaN, payload kept
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // normal: rebias 15 -> 127
  if (mant === 0) return sign >>> 0; // ±0
  // Subnormal half: mant * 2^-24. Normalise into a float32 normal.
  let e = 113; // exponent field of 2^-14
  let m = mant;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e -= 1;
  }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/** The 65,536-entry half -> float32-bits table (256 KiB), built on first use. */
function table(): Uint32Array {
  if (widenTable === undefined) {
    const t = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) t[h] = halfBitsToFloatBits(h);
    widenTable = t;
  }
  return widenTable;
}

function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

function checkPair(src: ArrayBufferView & { length: number }, dst: ArrayBufferView & { length: number }, op: string): void {
  if (dst.length !== src.length) {
    throw new QnnNodeError('SIZE_MISMATCH', `${op}: dst has ${dst.length} elements but src has ${src.length}`, {
      details: { expected: src.length, actual: dst.length },
    });
  }
  if (overlaps(src, dst)) throw invalidArg('a dst that does not overlap src', 'dst', dst);
}

/**
 * Widens half bits to float32. Exact for every bit pattern. Writes into `dst` when
 * given (same length, not overlapping `src`) and returns it; otherwise allocates.
 */
export function float16ToFloat32(src: Uint16Array, dst?: Float32Array): Float32Array {
  if (!(src instanceof Uint16Array)) throw invalidArg('a Uint16Array of half bits', 'src', src);
  if (dst === undefined) dst = new Float32Array(src.length);
  else if (!(dst instanceof Float32Array)) throw invalidArg('a Float32Array', 'dst', dst);
  else checkPair(src, dst, 'float16ToFloat32');
  widenInto(src, new Uint32Array(dst.buffer, dst.byteOffset, dst.length));
  return dst;
}

/**
 * The table loop. Copies bits, not float values (keeps NaN payloads exactly), and reads
 * the source two halves per 32-bit load, four per iteration: about twice as fast in V8
 * as one Uint16Array load per element.
 */
function widenInto(src: Uint16Array, out: Uint32Array): void {
  const lut = table();
  const n = src.length;
  let i = 0;
  if (!LITTLE_ENDIAN) {
    for (; i < n; i++) out[i] = lut[src[i]];
    return;
  }
  if (n === 0) return;
  if (src.byteOffset % 4 !== 0) {
    out[0] = lut[src[0]];
    i = 1;
  }
  const words = new Uint32Array(src.buffer, src.byteOffset + i * 2, (n - i) >> 1);
  const pairs = words.length & ~1;
  for (let j = 0; j < pairs; j += 2, i += 4) {
    const a = words[j];
    const b = words[j + 1];
    out[i] = lut[a & 0xffff];
    out[i + 1] = lut[a >>> 16];
    out[i + 2] = lut[b & 0xffff];
    out[i + 3] = lut[b >>> 16];
  }
  for (; i < n; i++) out[i] = lut[src[i]];
}

/** float32 bits -> half bits, round to nearest even. */
function floatBitsToHalfBits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const f = u & 0x7fffffff;
  if (f >= 0x47800000) {
    // |x| >= 65536, inf or NaN
    if (f > 0x7f800000) {
      const payload = (f >>> 13) & 0x3ff;
      return sign | 0x7c00 | (payload === 0 ? 0x200 : payload);
    }
    return sign | 0x7c00;
  }
  if (f < 0x38800000) {
    // |x| < 2^-14: half subnormal or zero. |x| * 2^24 is exact in a double; round it.
    const x = (f >>> 23 === 0 ? 0 : ((f & 0x7fffff) | 0x800000) * 2 ** ((f >>> 23) - 150)) * 16777216;
    let r = Math.round(x);
    if (r - x === 0.5 && (r & 1) !== 0) r -= 1;
    return sign | r; // r may be 1024 = 0x400, the smallest normal: correct
  }
  // Normal: rebias, add the rounding bias (0xfff + lsb for ties-to-even), shift. A carry
  // out of the mantissa bumps the exponent, which also produces inf at 65520.
  return sign | ((f - 0x38000000 + 0xfff + ((f >>> 13) & 1)) >>> 13);
}

/**
 * Narrows float32 to half bits, rounding to nearest even; overflow gives ±inf. Writes
 * into `dst` when given (same length, not overlapping `src`) and returns it.
 */
export function float32ToFloat16(src: Float32Array, dst?: Uint16Array): Uint16Array {
  if (!(src instanceof Float32Array)) throw invalidArg('a Float32Array', 'src', src);
  if (dst === undefined) dst = new Uint16Array(src.length);
  else if (!(dst instanceof Uint16Array)) throw invalidArg('a Uint16Array', 'dst', dst);
  else checkPair(src, dst, 'float32ToFloat16');
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const n = src.length;
  let i = 0;
  if (LITTLE_ENDIAN && n > 1) {
    // Two halves per 32-bit store (about 30% faster in V8 than one Uint16Array store each).
    if (dst.byteOffset % 4 !== 0) {
      dst[0] = narrow(bits[0]);
      i = 1;
    }
    const words = new Uint32Array(dst.buffer, dst.byteOffset + i * 2, (n - i) >> 1);
    for (let j = 0; j < words.length; j++, i += 2) words[j] = narrow(bits[i]) | (narrow(bits[i + 1]) << 16);
  }
  for (; i < n; i++) dst[i] = narrow(bits[i]);
  return dst;
}

/** float32 bits -> half bits: a fast path for the normal range, else the full routine. */
function narrow(u: number): number {
  const f = u & 0x7fffffff;
  return f >= 0x38800000 && f < 0x47800000
    ? ((u >>> 16) & 0x8000) | ((f - 0x38000000 + 0xfff + ((f >>> 13) & 1)) >>> 13)
    : floatBitsToHalfBits(u);
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** One half (bits) as a number. */
export function halfToNumber(h: number): number {
  scratchU32[0] = table()[h & 0xffff];
  return scratchF32[0];
}

/**
 * One number (a double) to half bits, rounded to nearest even directly from the double
 * (no intermediate float32, so no double rounding).
 */
export function numberToHalf(x: number): number {
  if (Number.isNaN(x)) {
    // Keep the payload when the double is also a float32 NaN pattern we can read.
    scratchF32[0] = x;
    return floatBitsToHalfBits(scratchU32[0]);
  }
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    const v = a * 16777216; // exact
    let r = Math.round(v);
    if (r - v === 0.5 && (r & 1) !== 0) r -= 1;
    return sign | r;
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  const m = (a / 2 ** e) * 1024; // exact, in [1024, 2048)
  let r = Math.round(m);
  if (r - m === 0.5 && (r & 1) !== 0) r -= 1;
  if (r === 2048) {
    e += 1;
    r = 1024;
  }
  return sign | ((e + 15) << 10) | (r - 1024);
}

/** Float64 values to half bits, each rounded directly (see numberToHalf). */
export function float64ToFloat16(src: Float64Array | ArrayLike<number>, dst?: Uint16Array): Uint16Array {
  if (dst === undefined) dst = new Uint16Array(src.length);
  else if (dst.length !== src.length) {
    throw new QnnNodeError('SIZE_MISMATCH', `float64ToFloat16: dst has ${dst.length} elements but src has ${src.length}`, {
      details: { expected: src.length, actual: dst.length },
    });
  }
  for (let i = 0; i < src.length; i++) dst[i] = numberToHalf(src[i]);
  return dst;
}

/** Half bits to float64 values (exact). */
export function float16ToFloat64(src: Uint16Array, dst?: Float64Array): Float64Array {
  if (dst === undefined) dst = new Float64Array(src.length);
  else if (dst.length !== src.length) {
    throw new QnnNodeError('SIZE_MISMATCH', `float16ToFloat64: dst has ${dst.length} elements but src has ${src.length}`, {
      details: { expected: src.length, actual: dst.length },
    });
  }
  const lut = table();
  const n = src.length;
  for (let i = 0; i < n; i++) {
    scratchU32[0] = lut[src[i]];
    dst[i] = scratchF32[0];
  }
  return dst;
}
