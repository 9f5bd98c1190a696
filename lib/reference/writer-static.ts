/** Static data of a planned binary as byte chunks: `fill` values repeated, `data` as is. */
import { invalidArg, outOfRange } from '../errors.js';
import { DTYPES, type DType } from '../tensor/dtypes.js';
import { numberToHalf } from '../tensor/fp16.js';
import { alignUp, type PlannedTensor } from './writer-plan.js';

const FILL_CHUNK = 1 << 20;

/** One element of `dtype` holding `value`, as bytes (a whole byte for packed 4-bit types). */
function encodeFillElement(dtype: DType, value: number | bigint | boolean, what: string): Uint8Array {
  const info = DTYPES[dtype];
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  const bytes = new Uint8Array(Math.max(1, info.bits / 8));
  const view = new DataView(bytes.buffer);
  if (info.bits === 64 && !info.float) {
    const b = typeof v === 'bigint' ? v : Number.isInteger(v) ? BigInt(v) : undefined;
    if (b === undefined) throw invalidArg('an integer or bigint', what, value);
    if (info.signed) view.setBigInt64(0, b, true);
    else view.setBigUint64(0, b, true);
    return bytes;
  }
  if (typeof v === 'bigint') throw invalidArg('a number', what, value);
  if (dtype === 'float32') view.setFloat32(0, v, true);
  else if (dtype === 'float64') view.setFloat64(0, v, true);
  else if (dtype === 'float16') view.setUint16(0, numberToHalf(v), true);
  else {
    const lo = info.signed ? -(2 ** (info.bits - 1)) : 0;
    const hi = info.signed ? 2 ** (info.bits - 1) - 1 : 2 ** info.bits - 1;
    if (!Number.isInteger(v) || v < lo || v > hi) throw outOfRange(`an integer in [${lo}, ${hi}]`, what, value);
    if (info.bits === 4) {
      const nib = v & 0xf;
      bytes[0] = nib | (nib << 4);
    } else if (info.bits === 8) bytes[0] = v & 0xff;
    else if (info.bits === 16) view.setUint16(0, v & 0xffff, true);
    else view.setUint32(0, v >>> 0, true);
  }
  return bytes;
}

function fillChunk(t: PlannedTensor): Uint8Array {
  const el = encodeFillElement(t.desc.dtype, t.source!.fill!, `static '${t.desc.name}'.fill`);
  const size = Math.min(t.byteLength, alignUp(FILL_CHUNK, el.length));
  const chunk = new Uint8Array(size);
  for (let i = 0; i < size; i += el.length) chunk.set(el, i);
  // Packed 4-bit with an odd element count: the last high nibble is unused (0).
  return chunk;
}

export function* fillChunks(t: PlannedTensor): Generator<Uint8Array> {
  const chunk = fillChunk(t);
  let left = t.byteLength;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    const part = chunk.subarray(0, n);
    left -= n;
    if (left === 0 && DTYPES[t.desc.dtype].bits === 4) {
      const count = t.desc.dims.reduce((a, b) => a * b, 1);
      if (count % 2 === 1) {
        const last = part.slice();
        last[n - 1] &= 0x0f;
        yield last;
        return;
      }
    }
    yield part;
  }
}

export function viewBytes(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

export function sizeError(t: PlannedTensor, got: number): Error {
  return outOfRange(`chunks totalling ${t.byteLength} bytes`, `static '${t.desc.name}'.chunks`, got);
}
