/**
 * Sampling an fp16 row on its half bits: estimate a threshold, collect the ids above it,
 * order only those (counting sort by key, ties by id), then the mode's cut and draw.
 */
import type { Prng } from '../../random.js';
import { EMPTY, NEG_INF, POS_INF, keyValues } from './sample-keys.js';
import { extrasOrder, finish, cut, merged } from './sample-select.js';
import type { SamplerState } from './sample-state.js';
import { collect, drawInOrder, estimate, normaliser, table } from './sample-weights.js';

/**
 * fp16 rows: everything on the half bits (order keys), no widening. One cheap strided
 * pass estimates a key threshold that holds the answer, one full pass collects the
 * tokens at or above it (and, for top-p alone / plain temperature, sums the softmax
 * normaliser from a per-call weight table indexed by key); only the collected few are
 * ordered (counting sort by key, ties by id). Penalised tokens ride along as extras.
 */
export function sampleHalf(s: SamplerState, bits: Uint16Array, start: number, vocab: number, temperature: number, topK: number, topP: number, ne: number, rng: Prng): number {
  const KV = keyValues();
  const greedy = temperature === 0;
  const invT = greedy ? 0 : 1 / temperature;
  const full = !greedy && topK === 0 && topP >= 1;
  const needZ = !greedy && topK === 0;
  const k = greedy ? 1 : topK;
  if (s.cand.length < vocab) {
    s.cand = new Int32Array(vocab);
    s.order = new Int32Array(vocab);
  }
  // 1. Strided subsample: its largest valid key and a collection threshold.
  let thr = 0;
  let ms = -1;
  if (vocab >= 16 * 512) {
    thr = estimate(s, bits, start, vocab, greedy || topK > 0 ? 0 : full ? 1 : 2, k, invT, topP);
    ms = s.ms;
  }
  if (ms < 0 || ms >= POS_INF) {
    // Tiny vocabulary, or a degenerate subsample: collect everything.
    thr = 0;
    ms = -1;
    for (let i = 0; i < vocab; i++) {
      const h = bits[start + i];
      const kv = h ^ (0x8000 | ((h >> 15) * 0x7fff));
      if (kv <= POS_INF && kv >= NEG_INF && kv > ms) ms = kv;
    }
  }
  if (thr === 0x8000) thr = 0x7fff; // -0 ties +0
  // 2. Full pass: collect ids with key >= thr (and sum the normaliser).
  let vRef = ms >= NEG_INF ? KV[ms] : 0;
  let z = 0;
  let n: number;
  if (needZ && Number.isFinite(vRef)) {
    table(s, vRef, invT, thr);
    n = collect(s, bits, start, vocab, thr, full ? 2 : 1);
    z = s.z;
  } else n = collect(s, bits, start, vocab, thr, 0);
  let zDone = false;
  for (;;) {
    // 3. Drop penalised ids and NaNs; order the rest by key (desc), ties by id.
    const grouped = needZ && !full && ne === 0; // top-p alone: no need to order the ids
    const count = orderByKey(s, bits, start, n, !grouped);
    const maxKey = s.maxKey;
    const vmaxMain = count > 0 ? KV[maxKey] : -Infinity;
    let vmax = vmaxMain;
    for (let e = 0; e < ne; e++) if (s.exVal[e] > vmax) vmax = s.exVal[e];
    const sufficient = thr === 0 || (count >= k && count > 0);
    if (!sufficient) {
      if (grouped && count > 0) s.keyCount!.fill(0, s.minKey, s.maxKey + 1);
      thr = 0;
      n = collect(s, bits, start, vocab, 0, 0);
      continue;
    }
    const exOrder = ne > 0 ? extrasOrder(s, ne) : EMPTY;
    if (grouped && (greedy || !Number.isFinite(vmax))) place(s, bits, start, count);
    if (greedy || !Number.isFinite(vmax)) return merged(s, bits, start, count, exOrder, 1, 0, thr, KV, vmax, -1, 1) <= 0 ? 0 : s.selIdx[0];
    if (needZ) {
      if (!zDone) {
        z = normaliser(s, bits, start, vocab, ne, vmax, invT, z, vRef, full);
        vRef = s.vRef;
        zDone = true;
      }
      if (full) return drawInOrder(s, bits, start, vocab, ne, vRef, invT, z, rng);
      // Top-p over the whole vocabulary: the normaliser is exact up to rounding.
      const total = z * Math.exp((vRef - vmax) * invT);
      if (grouped) {
        const id = topPGroups(s, bits, start, count, vmax, invT, total, topP, thr, rng);
        if (id >= 0) return id;
        thr = 0;
        n = collect(s, bits, start, vocab, 0, 0);
        continue;
      }
      const m = merged(s, bits, start, count, exOrder, vocab, invT, thr, KV, vmax, total, topP);
      if (m === -1) {
        thr = 0;
        n = collect(s, bits, start, vocab, 0, 0);
        continue;
      }
      return finish(s, m, rng);
    }
    const m = merged(s, bits, start, count, exOrder, k, invT, thr, KV, vmax, -1, 1);
    if (m === -1) {
      thr = 0;
      n = collect(s, bits, start, vocab, 0, 0);
      continue;
    }
    let total = 0;
    for (let i = 0; i < m; i++) total += s.selW[i];
    return finish(s, cut(s, m, total, topP), rng);
  }
}

/** Valid (not NaN, not penalised) candidates into `order`, by key descending then id; returns how many, max key in `maxKey`. */
export function orderByKey(s: SamplerState, bits: Uint16Array, start: number, n: number, placeIds: boolean): number {
  const cand = s.cand;
  const marks = s.marks;
  const counts = (s.keyCount ??= new Int32Array(0x10001));
  let lo = 0x10000;
  let hi = -1;
  let count = 0;
  for (let c = 0; c < n; c++) {
    const id = cand[c];
    const h = bits[start + id];
    let kv = h ^ (0x8000 | ((h >> 15) * 0x7fff));
    if (kv > POS_INF || kv < NEG_INF || (id < marks.length && marks[id] !== 0)) continue;
    if (kv === 0x7fff) kv = 0x8000; // -0 ties +0
    cand[count++] = id;
    counts[kv]++;
    if (kv < lo) lo = kv;
    if (kv > hi) hi = kv;
  }
  s.maxKey = hi;
  s.minKey = lo;
  if (count === 0) return 0;
  if (placeIds) place(s, bits, start, count);
  return count;
}

/** Turns the per-key counts left by orderByKey into the ordered ids in `order` (and clears them). */
export function place(s: SamplerState, bits: Uint16Array, start: number, count: number): void {
  const cand = s.cand;
  const counts = s.keyCount!;
  const lo = s.minKey;
  const hi = s.maxKey;
  // Start offsets from the top key down, then place ids in ascending order (stable).
  for (let kv = hi, pos = 0; kv >= lo; kv--) {
    const c = counts[kv];
    counts[kv] = pos;
    pos += c;
  }
  const order = s.order;
  for (let c = 0; c < count; c++) {
    const id = cand[c];
    const h = bits[start + id];
    const kv = h ^ (0x8000 | ((h >> 15) * 0x7fff));
    order[counts[kv === 0x7fff ? 0x8000 : kv]++] = id;
  }
  counts.fill(0, lo, hi + 1);
}

/**
 * Top-p over the whole vocabulary, no penalised tokens: walks the per-key counts left by
 * orderByKey from the top (one exp per distinct value, token by token within a value, so
 * the sums are the reference's), draws, and looks up only the chosen id. Clears the
 * counts. -1 = the collected set ran out before the cut (collect everything).
 */
export function topPGroups(s: SamplerState, bits: Uint16Array, start: number, count: number, vmax: number, invT: number, total: number, topP: number, thr: number, rng: Prng): number {
  const KV = keyValues();
  const counts = s.keyCount!;
  const lo = s.minKey;
  const hi = s.maxKey;
  let acc = 0;
  let kept = 0;
  let stopKey = -1;
  let stopAt = 0;
  outer: for (let kv = hi; kv >= lo; kv--) {
    const c = counts[kv];
    if (c === 0) continue;
    const w = Math.exp((KV[kv] - vmax) * invT);
    for (let t = 0; t < c; t++) {
      acc += w / total;
      kept += w;
      if (acc >= topP) {
        stopKey = kv;
        stopAt = t;
        break outer;
      }
    }
  }
  if (stopKey < 0) {
    if (thr > 0) {
      counts.fill(0, lo, hi + 1);
      return -1;
    }
    stopKey = lo;
    stopAt = counts[lo] - 1;
  }
  let r = rng.next() * kept;
  let hitKey = stopKey;
  let hitAt = stopAt;
  search: for (let kv = hi; kv >= stopKey; kv--) {
    const c = counts[kv];
    if (c === 0) continue;
    const w = Math.exp((KV[kv] - vmax) * invT);
    const tEnd = kv === stopKey ? stopAt + 1 : c;
    for (let t = 0; t < tEnd; t++) {
      r -= w;
      if (r < 0) {
        hitKey = kv;
        hitAt = t;
        break search;
      }
    }
  }
  counts.fill(0, lo, hi + 1);
  // The hitAt-th id (ascending) with that value.
  const cand = s.cand;
  for (let c = 0; c < count; c++) {
    const h = bits[start + cand[c]];
    let kv = h ^ (0x8000 | ((h >> 15) * 0x7fff));
    if (kv === 0x7fff) kv = 0x8000;
    if (kv === hitKey && hitAt-- === 0) return cand[c];
  }
  return cand[0];
}
