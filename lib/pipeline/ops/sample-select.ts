/**
 * The kept tokens of a draw: penalised extras merged into the ordered candidates, the
 * top-p cut, and one draw over the kept prefix.
 */
import type { Prng } from '../../random.js';
import { F32, U32 } from './sample-keys.js';
import { ensure, type SamplerState } from './sample-state.js';

/** Indices of the penalised tokens (NaN dropped) by value descending, then id. */
export function extrasOrder(s: SamplerState, ne: number): number[] {
  if (s.marks.length > 0x200000) {
    const out: number[] = [];
    for (let e = 0; e < ne; e++) if (s.exVal[e] === s.exVal[e]) out.push(e);
    return out.sort((a, b) => s.exVal[b] - s.exVal[a] || s.exId[a] - s.exId[b]);
  }
  // One native numeric sort of (order key of the float32 value, index) packed in a double.
  const packed = (s.exPacked = s.exPacked.length < ne ? new Float64Array(ne) : s.exPacked);
  let m = 0;
  for (let e = 0; e < ne; e++) {
    const v = s.exVal[e];
    if (v !== v) continue;
    F32[0] = v === 0 ? 0 : v; // -0 ties +0
    const b = U32[0];
    const key = b >= 0x80000000 ? ~b >>> 0 : b + 0x80000000; // ascending with the value
    packed[m++] = (0xffffffff - key) * 0x200000 + s.exId[e]; // value descending, then id
  }
  const sorted = packed.subarray(0, m).sort();
  const out: number[] = new Array<number>(m);
  for (let i = 0; i < m; i++) out[i] = s.marks[sorted[i] % 0x200000] - 1; // id -> extra index
  return out;
}

/**
 * Walks the ordered candidates merged with the penalised extras (value descending, ties
 * by id) into selIdx / selW (weight exp((v - vmax) / T)), up to `limit` tokens, or with
 * `total` > 0 until the cumulative probability reaches topP. Returns the count, or -1
 * when the collected set ran out before the answer was certain (collect everything).
 */
export function merged(s: SamplerState, bits: Uint16Array, start: number, count: number, ex: number[], limit: number, invT: number, thr: number, KV: Float64Array, vmax: number, total: number, topP: number): number {
  ensure(s, Math.min(limit, count + ex.length));
  const order = s.order;
  const selIdx = s.selIdx;
  const selW = s.selW;
  let mi = 0;
  let ei = 0;
  let m = 0;
  let acc = 0;
  let lastV = NaN;
  let lastW = 0;
  while (m < limit) {
    let id: number;
    let v: number;
    if (mi < count) {
      const mid = order[mi];
      const h = bits[start + mid];
      const mv = KV[h ^ (0x8000 | ((h >> 15) * 0x7fff))];
      if (ei < ex.length && (s.exVal[ex[ei]] > mv || (s.exVal[ex[ei]] === mv && s.exId[ex[ei]] < mid))) {
        id = s.exId[ex[ei]];
        v = s.exVal[ex[ei++]];
      } else {
        id = mid;
        v = mv;
        mi++;
      }
    } else {
      if (thr > 0) return -1;
      if (ei >= ex.length) break;
      id = s.exId[ex[ei]];
      v = s.exVal[ex[ei++]];
    }
    if (v !== lastV) {
      lastV = v;
      lastW = Math.exp((v - vmax) * invT);
    }
    selIdx[m] = id;
    selW[m++] = lastW;
    if (total > 0) {
      acc += lastW / total;
      if (acc >= topP) break;
    }
  }
  return m;
}

/** The top-p cut over selW[0..m) normalised by `total`: how many tokens to keep. */
export function cut(s: SamplerState, m: number, total: number, topP: number): number {
  if (topP >= 1) return m;
  let acc = 0;
  for (let i = 0; i < m; i++) {
    acc += s.selW[i] / total;
    if (acc >= topP) return i + 1;
  }
  return m;
}

/** One draw over selW[0..m) (in order). */
export function finish(s: SamplerState, m: number, rng: Prng): number {
  let kept = 0;
  for (let i = 0; i < m; i++) kept += s.selW[i];
  let r = rng.next() * kept;
  for (let i = 0; i < m; i++) {
    r -= s.selW[i];
    if (r < 0) return s.selIdx[i];
  }
  return s.selIdx[m - 1];
}
