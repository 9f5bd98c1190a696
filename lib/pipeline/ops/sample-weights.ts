/**
 * Softmax weights over fp16 rows without widening: a per-call table of the weight of every
 * half key (one exp per 64 keys), a strided estimate of the collection threshold, the
 * collection passes (ids above the threshold, normaliser sums) and the plain-temperature
 * draw in id order.
 */
import type { Prng } from '../../random.js';
import { halfPairs, keyValues, NEG_INF, POS_INF } from './sample-keys.js';
import type { SamplerState } from './sample-state.js';

/**
 * A key threshold from every 16th token (sets `ms`, the subsample's largest valid key):
 * mode 0 = about 2k + 16 tokens above it (top-k), 1 = ms (plain temperature: only the
 * max is needed), 2 = the subsample's mass reaches p + (1 - p) / 2 above it (top-p).
 */
export function estimate(s: SamplerState, bits: Uint16Array, start: number, vocab: number, mode: 0 | 1 | 2, k: number, invT: number, topP: number): number {
  const S = 16;
  const cn = s.coarseN;
  let ms = -1;
  for (let i = start, end = start + vocab; i < end; i += S) {
    const h = bits[i];
    const kv = h ^ (0x8000 | ((h >> 15) * 0x7fff));
    if (kv > POS_INF || kv < NEG_INF) continue;
    cn[kv >> 6]++;
    if (kv > ms) ms = kv;
  }
  s.ms = ms;
  let thr = 0;
  if (ms >= 0 && ms < POS_INF) {
    if (mode === 0) {
      for (let b = ms >> 6, cum = 0; b >= 0; b--) {
        cum += cn[b];
        if (cum * S >= 2 * k + 16) {
          thr = b << 6;
          break;
        }
      }
    } else if (mode === 1) {
      thr = ms;
    } else {
      const KV = keyValues();
      const cw = s.coarse;
      const vM = KV[ms];
      let zs = 0;
      for (let b = ms >> 6; b >= 0; b--) {
        if (cn[b] === 0) continue;
        cw[b] = cn[b] * Math.exp((KV[Math.min((b << 6) | 63, ms)] - vM) * invT);
        zs += cw[b];
      }
      const goal = (topP + (1 - topP) / 2) * zs;
      for (let b = ms >> 6, cum = 0; b >= 0; b--) {
        if (cn[b] === 0) continue;
        cum += cw[b];
        if (cum >= goal) {
          thr = b << 6;
          break;
        }
      }
    }
  }
  cn.fill(0, 0, (ms >> 6) + 1);
  return thr;
}

/**
 * Weight of every half key below `thr` relative to `vRef`: exp((value - vRef) / T), by
 * blocks of one exponent (values in arithmetic progression: one exp per 64 keys times
 * powers of the step's factor); 0 where it is < e^-52 (negligible next to the max's 1).
 * Keys from thr up are NaN = not computed yet (collect() fills them on first sight).
 */
export function table(s: SamplerState, vRef: number, invT: number, thr: number): void {
  const KV = keyValues();
  const wt = (s.wt ??= new Float64Array(0x10000));
  const fpow = s.fpow;
  s.vRef = vRef;
  s.invT = invT;
  for (let b = 1; b < 63 && b << 10 < thr; b++) {
    const k0 = b << 10;
    // Index by the raw half bits: ascending keys are ascending bits for positive
    // halves, descending bits for negative ones.
    const pos = k0 >= 0x8000;
    const base = pos ? k0 ^ 0x8000 : k0 ^ 0xffff;
    if ((vRef - KV[k0 + 1023]) * invT >= 52) {
      if (pos) wt.fill(0, base, base + 1024);
      else wt.fill(0, base - 1023, base + 1);
      continue;
    }
    const f = Math.exp((KV[k0 + 1] - KV[k0]) * invT);
    fpow[0] = 1;
    for (let j = 1; j < 64; j++) fpow[j] = fpow[j - 1] * f;
    for (let a = 0; a < 1024; a += 64) {
      const w = Math.exp((KV[k0 + a] - vRef) * invT);
      if (pos) for (let j = 0; j < 64; j++) wt[base + a + j] = w * fpow[j];
      else for (let j = 0; j < 64; j++) wt[base - a - j] = w * fpow[j];
    }
  }
  // Keys from thr up: NaN (computed on first sight); bits of ±Inf and NaN: 0.
  if (thr < 0x8000) {
    wt.fill(NaN, 0x8000, Math.max(0x8000, thr ^ 0xffff) + 1);
    wt.fill(NaN, 0, 0x7c00);
  } else if (thr < POS_INF) wt.fill(NaN, thr ^ 0x8000, 0x7c00);
  wt.fill(0, 0x7c00, 0x8000);
  wt.fill(0, 0xfc00, 0x10000);
  s.wThr = thr <= NEG_INF ? -1 : thr >= POS_INF ? Infinity : Math.exp((KV[thr] - vRef) * invT);
}

/**
 * One pass over the row: ids with key >= thr into `cand` (returned count); mode 1 also
 * sums the weight table into `z`, mode 2 also records the running sum every 1024 ids.
 * With the table, "key >= thr" is "weight not below the threshold's weight, or not yet
 * computed" (a few more ids of equal weight may come along: harmless).
 */
export function collect(s: SamplerState, bits: Uint16Array, start: number, vocab: number, thr: number, mode: 0 | 1 | 2): number {
  if (mode === 0) return collectOnly(s, bits, start, vocab, thr);
  const wt = s.wt!;
  const wThr = s.wThr;
  const cand = s.cand;
  let n = 0;
  let z = 0;
  // Blocks of 1024 ids in both modes (mode 2 needs the running sums; one shape for the JIT).
  const nb = (vocab + 1023) >> 10;
  if (s.blockZ.length < nb) s.blockZ = new Float64Array(nb);
  const aligned = (bits.byteOffset + start * 2) % 4 === 0;
  const words = aligned ? new Uint32Array(bits.buffer as ArrayBuffer, bits.byteOffset + start * 2, vocab >> 1) : undefined;
  const lazy: Lazy = { KV: keyValues(), vRef: s.vRef, invT: s.invT, wThr, n: 0 };
  for (let b = 0; b < nb; b++) {
    const from = b << 10;
    const to = Math.min(vocab, (b + 1) << 10);
    let i = from;
    if (words !== undefined) {
      // Two halves per 32-bit load (little-endian: low half first); `from` is even.
      const pEnd = (from >> 1) + ((to - from) >> 1);
      lazy.n = n;
      z += sumPairs(words, from >> 1, pEnd, wt, cand, lazy);
      n = lazy.n;
      i = 2 * pEnd;
    }
    for (; i < to; i++) {
      const h = bits[start + i];
      let a = wt[h];
      if (!(a < wThr)) {
        cand[n++] = i;
        if (a !== a) a = lazyWeight(wt, h, lazy);
      }
      z += a;
    }
    s.blockZ[b] = z;
  }
  s.z = z;
  return n;
}

export function collectOnly(s: SamplerState, bits: Uint16Array, start: number, vocab: number, thr: number): number {
  const cand = s.cand;
  let n = 0;
  let i = 0;
  const words = halfPairs(bits, start, vocab);
  if (words !== undefined) {
    const pairs = words.length;
    for (let p = 0; p < pairs; p++) {
      const u = words[p];
      const lo = u & 0xffff;
      const hi = u >>> 16;
      const kl = lo ^ (0x8000 | ((lo >> 15) * 0x7fff));
      const kh = hi ^ (0x8000 | ((hi >> 15) * 0x7fff));
      if (kl >= thr || kh >= thr) {
        if (kl >= thr) cand[n++] = 2 * p;
        if (kh >= thr) cand[n++] = 2 * p + 1;
      }
    }
    i = 2 * pairs;
  }
  for (; i < vocab; i++) {
    const h = bits[start + i];
    if ((h ^ (0x8000 | ((h >> 15) * 0x7fff))) >= thr) cand[n++] = i;
  }
  return n;
}

/**
 * The softmax normaliser relative to `s.vRef` with the penalised tokens' new values.
 * The collect() pass summed it relative to the subsample's max; it is redone relative to
 * the real max when that overflows, or when swapping the penalised weights would cancel
 * most of it (precision).
 */
export function normaliser(s: SamplerState, bits: Uint16Array, start: number, vocab: number, ne: number, vmax: number, invT: number, z: number, vRef: number, full: boolean): number {
  let ok = Number.isFinite(vRef) && Number.isFinite(z) && (vmax - vRef) * invT <= 600;
  let zr = z;
  const exW = (e: number, ref: number): number => (s.exVal[e] === s.exVal[e] ? Math.exp((s.exVal[e] - ref) * invT) : 0);
  if (ok && ne > 0) {
    const wt = s.wt!;
    for (let e = 0; e < ne; e++) {
      const h = bits[start + s.exId[e]];
      zr += exW(e, vRef) - wt[h];
    }
    if (!(zr >= 1e-3 * z)) ok = false;
  }
  if (ok) return zr;
  table(s, vmax, invT, 0x10000);
  if (ne === 0) {
    collect(s, bits, start, vocab, 0x10000, full ? 2 : 1);
    return s.z;
  }
  const wt = s.wt!;
  const marks = s.marks;
  zr = 0;
  for (let i = 0; i < vocab; i++) {
    const h = bits[start + i];
    if (marks[i] === 0) zr += wt[h];
  }
  for (let e = 0; e < ne; e++) zr += exW(e, vmax);
  return zr;
}

/** Plain temperature: one draw over the whole row in id order, weights from the table. */
export function drawInOrder(s: SamplerState, bits: Uint16Array, start: number, vocab: number, ne: number, vRef: number, invT: number, z: number, rng: Prng): number {
  const wt = s.wt!;
  let last = 0;
  if (ne === 0) {
    let r = rng.next() * z;
    const bz = s.blockZ;
    const nb = (vocab + 1023) >> 10;
    let b = 0;
    while (b < nb - 1 && !(bz[b] > r)) b++;
    if (b > 0) r -= bz[b - 1];
    const end = Math.min(vocab, (b + 1) << 10);
    for (let i = b << 10; i < end; i++) {
      const h = bits[start + i];
      const w = wt[h];
      if (w > 0) last = i;
      r -= w;
      if (r < 0) return i;
    }
    return last;
  }
  const exW = (e: number): number => (s.exVal[e] === s.exVal[e] ? Math.exp((s.exVal[e] - vRef) * invT) : 0);
  let r = rng.next() * z;
  const marks = s.marks;
  for (let i = 0; i < vocab; i++) {
    const h = bits[start + i];
    const w = marks[i] !== 0 ? exW(marks[i] - 1) : wt[h];
    if (w > 0) last = i;
    r -= w;
    if (r < 0) return i;
  }
  return last;
}

interface Lazy {
  readonly KV: Float64Array;
  readonly vRef: number;
  readonly invT: number;
  readonly wThr: number;
  n: number;
}

/** Fills the weight-table entry of half bits `h` (a key at or above the collection threshold). */
function lazyWeight(wt: Float64Array, h: number, l: Lazy): number {
  const kv = h ^ (0x8000 | ((h >> 15) * 0x7fff));
  const w = Math.max(l.wThr, Math.exp((l.KV[kv] - l.vRef) * l.invT));
  wt[h] = w;
  return w;
}

/**
 * Sum of the table weights of the halves in words[from..to) (two per word); ids whose
 * weight is not below wThr (or not computed yet: NaN) are appended to cand at l.n.
 */
function sumPairs(words: Uint32Array, from: number, to: number, wt: Float64Array, cand: Int32Array, l: Lazy): number {
  const wThr = l.wThr;
  let n = l.n;
  let z = 0;
  let z2 = 0;
  for (let p = from; p < to; p++) {
    const u = words[p];
    const lo = u & 0xffff;
    const hi = u >>> 16;
    let a = wt[lo];
    let c = wt[hi];
    if (!(a < wThr) || !(c < wThr)) {
      if (!(a < wThr)) {
        cand[n++] = 2 * p;
        if (a !== a) a = lazyWeight(wt, lo, l);
      }
      if (!(c < wThr)) {
        cand[n++] = 2 * p + 1;
        if (c !== c) c = lazyWeight(wt, hi, l);
      }
    }
    z += a;
    z2 += c;
  }
  l.n = n;
  return z + z2;
}
