/**
 * Tensor host ops as plain functions (usable outside a pipeline): concat, slice, pad,
 * KV-cache write-in-place, position ids, attention masks, fills and axpy. They work on
 * storage bytes, so every dtype except the packed 4-bit ones is handled without
 * conversion.
 */
import { QnnNodeError, describeValue, invalidArg, outOfRange } from '../../errors.js';
import { DTYPES, type DType } from '../../tensor/dtypes.js';
import { numberToHalf } from '../../tensor/fp16.js';
import { Tensor } from '../../tensor/Tensor.js';

function product(dims: readonly number[], from = 0, to = dims.length): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= dims[i];
  return n;
}

function elemBytes(t: Tensor, op: string): number {
  const bits = DTYPES[t.dtype].bits;
  if (bits === 4) throw new QnnNodeError('UNSUPPORTED_DTYPE', `${op} does not handle packed 4-bit tensors (${t.dtype}); convert first`, { details: { dtype: t.dtype } });
  return bits / 8;
}

/** Normalises a possibly negative axis for `rank` dims. */
export function normalizeAxis(axis: number, rank: number, name = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) throw outOfRange(`an axis from ${-rank} to ${rank - 1}`, name, axis);
  return a;
}

/** Output dims of concatenating `tensors` along `axis`; checks dtypes and the other dims. */
export function concatDims(tensors: readonly Tensor[], axis: number): number[] {
  if (tensors.length === 0) throw invalidArg('at least one tensor', 'concat inputs', tensors);
  const first = tensors[0];
  const ax = normalizeAxis(axis, first.dims.length);
  const dims = [...first.dims];
  for (let t = 1; t < tensors.length; t++) {
    const x = tensors[t];
    if (x.dtype !== first.dtype) {
      throw new QnnNodeError('DTYPE_MISMATCH', `concat input ${t} is ${x.dtype} but input 0 is ${first.dtype}`, { details: { index: t, expected: first.dtype, received: x.dtype } });
    }
    if (x.dims.length !== dims.length || x.dims.some((d, i) => i !== ax && d !== first.dims[i])) {
      throw new QnnNodeError('SHAPE_MISMATCH', `concat input ${t} has dims [${x.dims.join(', ')}], which differ from input 0's [${first.dims.join(', ')}] outside axis ${ax}`, {
        details: { index: t, expected: [...first.dims], received: [...x.dims], axis: ax },
      });
    }
    dims[ax] += x.dims[ax];
  }
  return dims;
}

/** Concatenates into `out` (dims from concatDims). */
export function concatInto(tensors: readonly Tensor[], axis: number, out: Tensor): Tensor {
  const ax = normalizeAxis(axis, out.dims.length);
  const eb = elemBytes(out, 'concat');
  const outer = product(out.dims, 0, ax);
  const inner = product(out.dims, ax + 1) * eb;
  const dst = out.bytes;
  const rowOut = out.dims[ax] * inner;
  let offset = 0;
  for (const t of tensors) {
    const chunk = t.dims[ax] * inner;
    const src = t.bytes;
    for (let o = 0; o < outer; o++) dst.set(src.subarray(o * chunk, (o + 1) * chunk), o * rowOut + offset);
    offset += chunk;
  }
  return out;
}

/** Copies `length` entries along `axis` from `start` (negative counts from the end). */
export function sliceTensor(t: Tensor, axis: number, start: number, length?: number, out?: Tensor): Tensor {
  const ax = normalizeAxis(axis, t.dims.length);
  const size = t.dims[ax];
  const s = start < 0 ? start + size : start;
  const len = length ?? size - s;
  if (!Number.isInteger(start) || s < 0 || s > size) throw outOfRange(`a start from ${-size} to ${size}`, 'start', start);
  if (!Number.isInteger(len) || len < 0 || s + len > size) throw outOfRange(`a length from 0 to ${size - s}`, 'length', length);
  const dims = [...t.dims];
  dims[ax] = len;
  const target = out ?? Tensor.zeros(t.dtype, dims, t.quant ? { quant: t.quant } : {});
  const eb = elemBytes(t, 'slice');
  const outer = product(t.dims, 0, ax);
  const inner = product(t.dims, ax + 1) * eb;
  const src = t.bytes;
  const dst = target.bytes;
  for (let o = 0; o < outer; o++) dst.set(src.subarray((o * size + s) * inner, (o * size + s + len) * inner), o * len * inner);
  return target;
}

/** Pads along `axis` up to `size` entries with `value` (converted to the dtype). */
export function padTensor(t: Tensor, axis: number, size: number, value = 0, out?: Tensor): Tensor {
  const ax = normalizeAxis(axis, t.dims.length);
  const have = t.dims[ax];
  if (!Number.isInteger(size) || size < have) throw outOfRange(`a size >= ${have} (the current size of axis ${ax})`, 'size', size);
  const dims = [...t.dims];
  dims[ax] = size;
  const target = out ?? Tensor.zeros(t.dtype, dims, t.quant ? { quant: t.quant } : {});
  fillValue(target, value);
  const eb = elemBytes(t, 'pad');
  const outer = product(t.dims, 0, ax);
  const inner = product(t.dims, ax + 1) * eb;
  const src = t.bytes;
  const dst = target.bytes;
  for (let o = 0; o < outer; o++) dst.set(src.subarray(o * have * inner, (o + 1) * have * inner), o * size * inner);
  return target;
}

/**
 * KV-cache write-in-place: copies `source` into `cache` along `axis` at `position`
 * (every other dim must match). E.g. cache [L, 2, H, max_len, D], source [L, 2, H, n, D], axis 3.
 */
export function kvWrite(cache: Tensor, source: Tensor, axis: number, position: number): void {
  const ax = normalizeAxis(axis, cache.dims.length);
  if (source.dtype !== cache.dtype) {
    throw new QnnNodeError('DTYPE_MISMATCH', `kv_write source is ${source.dtype} but the cache is ${cache.dtype}`, { details: { expected: cache.dtype, received: source.dtype } });
  }
  if (source.dims.length !== cache.dims.length || source.dims.some((d, i) => i !== ax && d !== cache.dims[i])) {
    throw new QnnNodeError('SHAPE_MISMATCH', `kv_write source dims [${source.dims.join(', ')}] do not fit cache dims [${cache.dims.join(', ')}] outside axis ${ax}`, {
      details: { expected: [...cache.dims], received: [...source.dims], axis: ax },
    });
  }
  const n = source.dims[ax];
  const max = cache.dims[ax];
  if (!Number.isInteger(position) || position < 0 || position + n > max) {
    throw outOfRange(`a position from 0 to ${max - n} (cache length ${max}, writing ${n})`, 'position', position);
  }
  const eb = elemBytes(cache, 'kv_write');
  const outer = product(cache.dims, 0, ax);
  const inner = product(cache.dims, ax + 1) * eb;
  copyStrided(source.bytes, cache.bytes, outer, n * inner, 0, n * inner, position * inner, max * inner);
}

/**
 * Copies `outer` chunks of `chunk` bytes from src (chunk i at srcStart + i·srcStride) to
 * dst (at dstStart + i·dstStride). Small chunks (a decode step's KV row: 448 chunks of
 * 256 bytes) are copied word by word through the widest aligned integer view — no per-chunk
 * subarray objects; large chunks use TypedArray.set.
 */
export function copyStrided(src: Uint8Array, dst: Uint8Array, outer: number, chunk: number, srcStart: number, srcStride: number, dstStart: number, dstStride: number): void {
  if (chunk >= 4096) {
    for (let o = 0; o < outer; o++) dst.set(src.subarray(srcStart + o * srcStride, srcStart + o * srcStride + chunk), dstStart + o * dstStride);
    return;
  }
  const aligned = (w: number): boolean =>
    (src.byteOffset + srcStart) % w === 0 && (dst.byteOffset + dstStart) % w === 0 && chunk % w === 0 && srcStride % w === 0 && dstStride % w === 0 && src.byteLength % w === 0 && dst.byteLength % w === 0;
  // Integer views only (copying through Float64Array could canonicalise NaN bit patterns),
  // one loop per view type so each stays monomorphic.
  const w = aligned(4) ? 4 : aligned(2) ? 2 : 1;
  const args = [outer, chunk / w, srcStart / w, srcStride / w, dstStart / w, dstStride / w] as const;
  if (w === 4) copyWords32(new Uint32Array(src.buffer as ArrayBuffer, src.byteOffset, src.byteLength / 4), new Uint32Array(dst.buffer as ArrayBuffer, dst.byteOffset, dst.byteLength / 4), ...args);
  else if (w === 2) copyWords16(new Uint16Array(src.buffer as ArrayBuffer, src.byteOffset, src.byteLength / 2), new Uint16Array(dst.buffer as ArrayBuffer, dst.byteOffset, dst.byteLength / 2), ...args);
  else copyWords8(src, dst, ...args);
}

function copyWords32(s: Uint32Array, d: Uint32Array, outer: number, c: number, si: number, ss: number, di: number, ds: number): void {
  for (let o = 0; o < outer; o++, si += ss, di += ds) for (let k = 0; k < c; k++) d[di + k] = s[si + k];
}

function copyWords16(s: Uint16Array, d: Uint16Array, outer: number, c: number, si: number, ss: number, di: number, ds: number): void {
  for (let o = 0; o < outer; o++, si += ss, di += ds) for (let k = 0; k < c; k++) d[di + k] = s[si + k];
}

function copyWords8(s: Uint8Array, d: Uint8Array, outer: number, c: number, si: number, ss: number, di: number, ds: number): void {
  for (let o = 0; o < outer; o++, si += ss, di += ds) for (let k = 0; k < c; k++) d[di + k] = s[si + k];
}

/** Writes one number into every element (converted / quantized to the dtype). */
export function fillValue(t: Tensor, value: number): Tensor {
  const info = DTYPES[t.dtype];
  const data = t.data;
  if (t.dtype === 'float16') (data as Uint16Array).fill(numberToHalf(value));
  else if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(BigInt(Math.round(value)));
  else if (info.quantized || info.bits === 4) {
    const one = Tensor.fromFloat32(t.dtype, [value], [1], t.quant ? { quant: t.quant } : {});
    if (info.bits === 4) {
      const q = one.data[0] as number;
      (data as Uint8Array).fill(((q & 0xf) << 4) | (q & 0xf));
    } else (data as Uint8Array).fill(one.data[0] as number);
  } else if (t.dtype === 'bool') (data as Uint8Array).fill(value !== 0 ? 1 : 0);
  else if (info.float) (data as Float32Array).fill(value);
  else (data as Int32Array).fill(Math.round(value));
  return t;
}

/** Writes float values (one per element) into `t`, converting to its dtype. */
export function writeFloats(t: Tensor, values: Float32Array): Tensor {
  if (values.length !== t.size) throw new QnnNodeError('SIZE_MISMATCH', `${values.length} values for a tensor of ${t.size} elements`, { details: { expected: t.size, actual: values.length } });
  if (t.dtype === 'float32') (t.data as Float32Array).set(values);
  else t.bytes.set(Tensor.fromFloat32(t.dtype, values, t.dims, t.quant ? { quant: t.quant } : {}).bytes);
  return t;
}

/** start, start+1, … into `t` (any numeric dtype). */
export function writeRange(t: Tensor, start: number): Tensor {
  const data = t.data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < t.size; i++) data[i] = BigInt(start + i);
  } else if (t.dtype === 'int32' || t.dtype === 'uint32' || t.dtype === 'int16' || t.dtype === 'uint16' || t.dtype === 'float32' || t.dtype === 'float64') {
    for (let i = 0; i < t.size; i++) (data as Int32Array)[i] = start + i;
  } else {
    const f = new Float32Array(t.size);
    for (let i = 0; i < t.size; i++) f[i] = start + i;
    writeFloats(t, f);
  }
  return t;
}

/** `on` for indices < length, `off` from there on (attention masks over a fixed-size cache), per last-dim row. */
export function writeMask(t: Tensor, length: number, on: number, off: number): Tensor {
  const inner = t.dims.length ? t.dims[t.dims.length - 1] : t.size;
  const n = Math.max(0, Math.min(inner, Math.floor(length)));
  const info = DTYPES[t.dtype];
  if (!info.quantized && info.bits !== 4 && t.dtype !== 'int64' && t.dtype !== 'uint64') {
    // Fill the two runs directly in storage (no float staging: this runs every decode step).
    const data = t.data as Uint16Array | Float32Array | Int32Array;
    const onV = t.dtype === 'float16' ? numberToHalf(on) : t.dtype === 'bool' ? (on ? 1 : 0) : info.float ? on : Math.round(on);
    const offV = t.dtype === 'float16' ? numberToHalf(off) : t.dtype === 'bool' ? (off ? 1 : 0) : info.float ? off : Math.round(off);
    for (let row = 0; row < t.size; row += inner) {
      data.fill(onV, row, row + n);
      data.fill(offV, row + n, row + inner);
    }
    return t;
  }
  const f = new Float32Array(t.size);
  for (let i = 0; i < t.size; i++) f[i] = i % inner < n ? on : off;
  return writeFloats(t, f);
}

/** Element values as numbers (ints and bigints exactly up to 2^53). */
export function toNumbers(t: Tensor): number[] {
  const out = new Array<number>(t.size);
  const data = t.data;
  if (DTYPES[t.dtype].float || DTYPES[t.dtype].quantized) {
    const f = t.toFloat32();
    for (let i = 0; i < t.size; i++) out[i] = f[i];
  } else {
    for (let i = 0; i < t.size; i++) out[i] = Number(data[i]);
  }
  return out;
}

/** a + alpha·b into `out` (element counts must match; b may be a number). */
export function axpy(a: Tensor, b: Tensor | number, alpha: number, out: Tensor): Tensor {
  if (typeof b !== 'number' && b.size !== a.size) {
    throw new QnnNodeError('SIZE_MISMATCH', `add: b has ${b.size} elements but a has ${a.size}`, { details: { expected: a.size, actual: b.size } });
  }
  const fa = a.dtype === 'float32' ? (a.data as Float32Array) : a.toFloat32();
  const fb = typeof b === 'number' ? undefined : b.dtype === 'float32' ? (b.data as Float32Array) : b.toFloat32();
  const target = out.dtype === 'float32' ? (out.data as Float32Array) : new Float32Array(a.size);
  if (fb) for (let i = 0; i < a.size; i++) target[i] = fa[i] + alpha * fb[i];
  else for (let i = 0; i < a.size; i++) target[i] = fa[i] + alpha * (b as number);
  if (out.dtype !== 'float32') writeFloats(out, target);
  return out;
}

/**
 * A float output dtype param of an op: `fallback` when absent; anything but float16/32/64
 * (an int dtype would silently truncate the op's results) is the op's typed failure.
 */
export function floatDtypeParam(ctx: { params: Readonly<Record<string, unknown>>; fail(message: string): Error }, fallback: DType, name = 'dtype'): DType {
  const v = ctx.params[name] ?? fallback;
  if (v === 'float16' || v === 'float32' || v === 'float64') return v;
  throw ctx.fail(`expected float16, float32 or float64 for ${name} but received ${describeValue(v)}`);
}

/** A number param that must be finite (NaN / ±Infinity from a "$param" override are refused). */
export function finiteParam(ctx: { params: Readonly<Record<string, unknown>>; fail(message: string): Error }, name: string, fallback: number, min = -Infinity): number {
  const v = ctx.params[name] ?? fallback;
  if (typeof v === 'number' && Number.isFinite(v) && v >= min) return v;
  throw ctx.fail(`expected a finite number${min > -Infinity ? ` >= ${min}` : ''} for ${name} but received ${describeValue(v)}`);
}

export function isIntegerLike(dtype: DType): boolean {
  const info = DTYPES[dtype];
  return !info.float && !info.quantized;
}
