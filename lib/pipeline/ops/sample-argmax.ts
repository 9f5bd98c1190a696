/** argmax over logits rows: half bits (without converting) and floats; NaN ignored, -0 == +0. */
import { halfPairs, NEG_INF, POS_INF } from './sample-keys.js';

/**
 * argmax over half bits without converting: each half maps to an integer key with the
 * same order (positive: bits ^ 0x8000, negative: bits ^ 0xffff; NaN aside). Branch-free
 * key so random signs do not cost mispredictions.
 */
export function argmaxHalf(bits: Uint16Array, start = 0, end = bits.length): number {
  let best = start;
  let bestKey = -1;
  let i = start;
  const words = halfPairs(bits, start, end - start);
  if (words !== undefined) {
    const pairs = words.length;
    for (let p = 0; p < pairs; p++) {
      const u = words[p];
      const lo = u & 0xffff;
      const hi = u >>> 16;
      const kl = lo ^ (0x8000 | ((lo >> 15) * 0x7fff));
      const kh = hi ^ (0x8000 | ((hi >> 15) * 0x7fff));
      if (kl > bestKey || kh > bestKey) {
        if (kl >= kh) {
          if (kl > bestKey) {
            bestKey = kl;
            best = start + 2 * p;
          }
        } else {
          bestKey = kh;
          best = start + 2 * p + 1;
        }
      }
    }
    i = start + 2 * pairs;
  }
  for (; i < end; i++) {
    const h = bits[i];
    const key = h ^ (0x8000 | ((h >> 15) * 0x7fff));
    if (key > bestKey) {
      bestKey = key;
      best = i;
    }
  }
  // A NaN won (positive NaN keys sort above +Inf), or +0 won and an earlier -0 ties it.
  if (bestKey > POS_INF || bestKey < NEG_INF || bestKey === 0x8000) return argmaxHalfExact(bits, start, end);
  return best - start;
}

/** argmax with NaN ignored and -0 == +0 (first index on ties; 0 when every value is NaN). */
function argmaxHalfExact(bits: Uint16Array, start: number, end: number): number {
  let best = -1;
  let bestKey = -1;
  for (let i = start; i < end; i++) {
    const h = bits[i];
    let key = h ^ (0x8000 | ((h >> 15) * 0x7fff));
    if (key > POS_INF || key < NEG_INF) continue;
    if (key === 0x7fff) key = 0x8000;
    if (key > bestKey) {
      bestKey = key;
      best = i;
    }
  }
  return best < 0 ? 0 : best - start;
}

/** First index of the largest value, NaN ignored (the first -Infinity if nothing is larger; 0 when all are NaN). */
export function argmaxFloat(values: Float32Array | Float64Array, start = 0, end = values.length): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = start; i < end; i++) {
    if (values[i] > bestValue || (best < 0 && values[i] === -Infinity)) {
      bestValue = values[i];
      best = i;
    }
  }
  return best < 0 ? 0 : best - start;
}
