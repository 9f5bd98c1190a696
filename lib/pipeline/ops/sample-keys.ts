/**
 * Order keys of float16 values: each half maps to an integer key with the same order
 * (positive: bits ^ 0x8000, negative: bits ^ 0xffff; NaN keys fall outside [NEG_INF,
 * POS_INF]), and the value of every key, so samplers work on the half bits directly.
 */
import { halfToNumber } from '../../tensor/fp16.js';

/** Order keys of halves: +Inf and -Inf; keys above / below are NaN. */
export const POS_INF = 0xfc00;
export const NEG_INF = 0x03ff;
export const EMPTY: number[] = [];
export const F32 = new Float32Array(1);
export const U32 = new Uint32Array(F32.buffer);
let keyValueTable: Float64Array | undefined;

/**
 * `count` halves from `start` as `count >> 1` 32-bit words, two halves per load (little-
 * endian: the low half first), when they are 4-byte aligned; undefined when not.
 */
export function halfPairs(bits: Uint16Array, start: number, count: number): Uint32Array | undefined {
  if ((bits.byteOffset + start * 2) % 4 !== 0) return undefined;
  return new Uint32Array(bits.buffer as ArrayBuffer, bits.byteOffset + start * 2, count >> 1);
}

/** The value of every half order key (key = bits ^ 0x8000 for positive halves, bits ^ 0xffff for negative). */
export function keyValues(): Float64Array {
  if (keyValueTable === undefined) {
    keyValueTable = new Float64Array(0x10000);
    for (let kv = 0; kv < 0x10000; kv++) keyValueTable[kv] = halfToNumber(kv >= 0x8000 ? kv ^ 0x8000 : kv ^ 0xffff);
  }
  return keyValueTable;
}
