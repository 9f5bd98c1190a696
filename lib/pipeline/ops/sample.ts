/**
 * Next-token sampling from logits: greedy, temperature, top-k, top-p (nucleus) and a
 * repetition penalty (HF semantics: positive logits divided by it, negative multiplied),
 * drawn with a seeded PRNG so a seed gives the same tokens everywhere.
 *
 * Semantics (test/pipeline/sample-reference.test.ts checks them against a full sort):
 * - The row is the last row of the logits, as float32 (fp16 widened exactly); the penalty
 *   applies once per distinct in-range history id, rounded to float32. NaN logits are never
 *   chosen (probability 0); -0 equals +0.
 * - Greedy (temperature 0 or topK 1): the first index of the largest value. So is the
 *   answer when the largest value is +Infinity, or when every value is -Infinity (0 when
 *   every value is NaN).
 * - Weights w = exp((logit - max) / T). topK >= vocab is the same as topK 0.
 * - No top-k, p = 1: one draw u·Σw over the whole row in id order.
 * - Otherwise the tokens in order (value descending, ties by lower id), cut to k; with
 *   p < 1, keep the shortest prefix whose Σ w / Z reaches p (Z = Σ over the k tokens with
 *   top-k, over the whole vocabulary without); one draw u·Σw over the kept prefix in order.
 * - One rng.next() per call when T > 0 and not greedy.
 * Sums are float64; the whole-vocabulary normaliser (p = 1 draw, top-p alone) is summed in
 * a different order than the reference, so the two agree except when u lands within
 * ~1e-13 of a boundary.
 *
 * Cost on a 151,936 fp16 row: never widened. Greedy is an argmax over the half bits; the
 * other modes estimate a key threshold from every 16th token, then one pass over the bits
 * collects the ids at or above it (plus, for top-p alone / plain temperature, the
 * normaliser from a per-call weight table indexed by the half bits); only those few are
 * ordered (counting sort by key). fp32 rows take a slower float path.
 */
import { invalidArg } from '../../errors.js';
import { float16ToFloat32, halfToNumber } from '../../tensor/fp16.js';
import type { Tensor } from '../../tensor/Tensor.js';
import type { Prng } from '../../random.js';

export interface SampleOptions {
  /** 0 (default) = greedy. */
  readonly temperature?: number;
  /** Keep the k most likely tokens (0 = all). */
  readonly topK?: number;
  /** Keep the smallest set whose probability reaches p (1 = all). */
  readonly topP?: number;
  /** > 1 discourages tokens in `history` (1 = off). */
  readonly repetitionPenalty?: number;
  readonly history?: ArrayLike<number>;
}

function checkOptions(o: SampleOptions): void {
  const { temperature = 0, topK = 0, topP = 1, repetitionPenalty = 1 } = o;
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) throw invalidArg('a finite number >= 0', 'temperature', temperature);
  if (!Number.isInteger(topK) || topK < 0) throw invalidArg('an integer >= 0', 'topK', topK);
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) throw invalidArg('a number in (0, 1]', 'topP', topP);
  if (typeof repetitionPenalty !== 'number' || !(repetitionPenalty > 0) || !Number.isFinite(repetitionPenalty)) {
    throw invalidArg('a finite number > 0', 'repetitionPenalty', repetitionPenalty);
  }
}

/**
 * argmax over half bits without converting: each half maps to an integer key with the
 * same order (positive: bits ^ 0x8000, negative: bits ^ 0xffff; NaN aside). Branch-free
 * key so random signs do not cost mispredictions.
 */
export function argmaxHalf(bits: Uint16Array, start = 0, end = bits.length): number {
  let best = start;
  let bestKey = -1;
  let i = start;
  // Two halves per 32-bit load when aligned (little-endian: low half first).
  if ((bits.byteOffset + start * 2) % 4 === 0) {
    const pairs = (end - start) >> 1;
    const words = new Uint32Array(bits.buffer as ArrayBuffer, bits.byteOffset + start * 2, pairs);
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

/** A sampler with reusable scratch memory (one per pipeline step). */
export class Sampler {
  private scratch = new Float32Array(0);
  /** Candidate token ids (collection pass), then the same ids ordered best first. */
  private cand = new Int32Array(0);
  private order = new Int32Array(0);
  /** Selected tokens (best first) and their unnormalised probabilities. */
  private selIdx = new Int32Array(0);
  private selW = new Float64Array(0);
  /** Per-call weight of every half key relative to a reference logit. */
  private wt: Float64Array | undefined;
  private keyCount: Int32Array | undefined;
  private coarse = new Float64Array(1024);
  private coarseN = new Int32Array(1024);
  private blockZ = new Float64Array(0);
  /** Penalised tokens: marks (by id) and their new values. */
  private marks = new Int32Array(0);
  private z = 0;
  private maxKey = 0;
  private minKey = 0;
  private ms = -1;
  private fpow = new Float64Array(64);
  private vRef = 0;
  private wThr = 0;
  private invT = 0;
  private exId: number[] = [];
  private exVal: number[] = [];
  private rowW = new Float64Array(0);
  private exPacked = new Float64Array(0);

  /**
   * Picks a token from the last row of `logits` (last dim = vocabulary). `rng` is only
   * consulted when temperature > 0 (one draw per call).
   */
  sample(logits: Tensor, options: SampleOptions, rng: Prng): number {
    checkOptions(options);
    const dims = logits.dims;
    const vocab = dims.length ? dims[dims.length - 1] : logits.size;
    if (vocab === 0 || logits.size === 0) throw invalidArg('logits with a non-empty last dimension', 'logits', logits);
    const start = logits.size - vocab;
    const { temperature = 0, topP = 1, repetitionPenalty = 1, history } = options;
    let topK = options.topK ?? 0;
    if (topK >= vocab) topK = 0; // k >= vocab keeps everything: same as no top-k
    const greedy = temperature === 0 || topK === 1;
    const penalize = repetitionPenalty !== 1 && history !== undefined && history.length > 0;
    if (greedy && !penalize) {
      if (logits.dtype === 'float16') return argmaxHalf(logits.data as Uint16Array, start, logits.size);
      if (logits.dtype === 'float32' || logits.dtype === 'float64') return argmaxFloat(logits.data as Float32Array, start, logits.size);
    }
    if (logits.dtype === 'float16') {
      const bits = logits.data as Uint16Array;
      const ne = penalize ? this.penalties(vocab, history!, repetitionPenalty, (id) => halfToNumber(bits[start + id])) : 0;
      try {
        return this.sampleHalf(bits, start, vocab, greedy ? 0 : temperature, greedy ? 1 : topK, topP, ne, rng);
      } finally {
        for (let i = 0; i < ne; i++) this.marks[this.exId[i]] = 0;
      }
    }
    const row = this.row(logits, start, vocab);
    if (penalize) {
      const ne = this.penalties(vocab, history!, repetitionPenalty, (id) => row[id]);
      for (let i = 0; i < ne; i++) {
        row[this.exId[i]] = this.exVal[i];
        this.marks[this.exId[i]] = 0;
      }
    }
    if (greedy) return argmaxFloat(row, 0, vocab);
    return this.sampleRow(row, vocab, temperature, topK, topP, rng);
  }

  /**
   * Unique in-range history ids into exId / exVal (penalised value, rounded to float32 like
   * the widened row), marked in `marks`. Returns how many.
   */
  private penalties(vocab: number, history: ArrayLike<number>, penalty: number, value: (id: number) => number): number {
    if (this.marks.length < vocab) this.marks = new Int32Array(vocab);
    const marks = this.marks;
    let n = 0;
    for (let i = 0; i < history.length; i++) {
      const id = history[i];
      if (!(id >= 0 && id < vocab) || !Number.isInteger(id) || marks[id] !== 0) continue;
      marks[id] = n + 1;
      const v = value(id);
      this.exId[n] = id;
      this.exVal[n] = Math.fround(v > 0 ? v / penalty : v * penalty);
      n++;
    }
    this.exId.length = n;
    this.exVal.length = n;
    return n;
  }

  private ensure(n: number): void {
    if (this.selIdx.length < n) {
      this.selIdx = new Int32Array(n);
      this.selW = new Float64Array(n);
    }
  }

  /**
   * fp16 rows: everything on the half bits (order keys), no widening. One cheap strided
   * pass estimates a key threshold that holds the answer, one full pass collects the
   * tokens at or above it (and, for top-p alone / plain temperature, sums the softmax
   * normaliser from a per-call weight table indexed by key); only the collected few are
   * ordered (counting sort by key, ties by id). Penalised tokens ride along as extras.
   */
  private sampleHalf(bits: Uint16Array, start: number, vocab: number, temperature: number, topK: number, topP: number, ne: number, rng: Prng): number {
    const KV = keyValues();
    const greedy = temperature === 0;
    const invT = greedy ? 0 : 1 / temperature;
    const full = !greedy && topK === 0 && topP >= 1;
    const needZ = !greedy && topK === 0;
    const k = greedy ? 1 : topK;
    if (this.cand.length < vocab) {
      this.cand = new Int32Array(vocab);
      this.order = new Int32Array(vocab);
    }
    // 1. Strided subsample: its largest valid key and a collection threshold.
    let thr = 0;
    let ms = -1;
    if (vocab >= 16 * 512) {
      thr = this.estimate(bits, start, vocab, greedy || topK > 0 ? 0 : full ? 1 : 2, k, invT, topP);
      ms = this.ms;
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
      this.table(vRef, invT, thr);
      n = this.collect(bits, start, vocab, thr, full ? 2 : 1);
      z = this.z;
    } else n = this.collect(bits, start, vocab, thr, 0);
    let zDone = false;
    for (;;) {
      // 3. Drop penalised ids and NaNs; order the rest by key (desc), ties by id.
      const grouped = needZ && !full && ne === 0; // top-p alone: no need to order the ids
      const count = this.orderByKey(bits, start, n, !grouped);
      const maxKey = this.maxKey;
      const vmaxMain = count > 0 ? KV[maxKey] : -Infinity;
      let vmax = vmaxMain;
      for (let e = 0; e < ne; e++) if (this.exVal[e] > vmax) vmax = this.exVal[e];
      const sufficient = thr === 0 || (count >= k && count > 0);
      if (!sufficient) {
        if (grouped && count > 0) this.keyCount!.fill(0, this.minKey, this.maxKey + 1);
        thr = 0;
        n = this.collect(bits, start, vocab, 0, 0);
        continue;
      }
      const exOrder = ne > 0 ? this.extrasOrder(ne) : EMPTY;
      if (grouped && (greedy || !Number.isFinite(vmax))) this.place(bits, start, count);
      if (greedy || !Number.isFinite(vmax)) return this.merged(bits, start, count, exOrder, 1, 0, thr, KV, vmax, -1, 1) <= 0 ? 0 : this.selIdx[0];
      if (needZ) {
        if (!zDone) {
          z = this.normaliser(bits, start, vocab, ne, vmax, invT, z, vRef, full);
          vRef = this.vRef;
          zDone = true;
        }
        if (full) return this.drawInOrder(bits, start, vocab, ne, vRef, invT, z, rng);
        // Top-p over the whole vocabulary: the normaliser is exact up to rounding.
        const total = z * Math.exp((vRef - vmax) * invT);
        if (grouped) {
          const id = this.topPGroups(bits, start, count, vmax, invT, total, topP, thr, rng);
          if (id >= 0) return id;
          thr = 0;
          n = this.collect(bits, start, vocab, 0, 0);
          continue;
        }
        const m = this.merged(bits, start, count, exOrder, vocab, invT, thr, KV, vmax, total, topP);
        if (m === -1) {
          thr = 0;
          n = this.collect(bits, start, vocab, 0, 0);
          continue;
        }
        return this.finish(m, rng);
      }
      const m = this.merged(bits, start, count, exOrder, k, invT, thr, KV, vmax, -1, 1);
      if (m === -1) {
        thr = 0;
        n = this.collect(bits, start, vocab, 0, 0);
        continue;
      }
      let total = 0;
      for (let i = 0; i < m; i++) total += this.selW[i];
      return this.finish(this.cut(m, total, topP), rng);
    }
  }

  /**
   * A key threshold from every 16th token (sets `ms`, the subsample's largest valid key):
   * mode 0 = about 2k + 16 tokens above it (top-k), 1 = ms (plain temperature: only the
   * max is needed), 2 = the subsample's mass reaches p + (1 - p) / 2 above it (top-p).
   */
  private estimate(bits: Uint16Array, start: number, vocab: number, mode: 0 | 1 | 2, k: number, invT: number, topP: number): number {
    const S = 16;
    const cn = this.coarseN;
    let ms = -1;
    for (let i = start, end = start + vocab; i < end; i += S) {
      const h = bits[i];
      const kv = h ^ (0x8000 | ((h >> 15) * 0x7fff));
      if (kv > POS_INF || kv < NEG_INF) continue;
      cn[kv >> 6]++;
      if (kv > ms) ms = kv;
    }
    this.ms = ms;
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
        const cw = this.coarse;
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
  private table(vRef: number, invT: number, thr: number): void {
    const KV = keyValues();
    const wt = (this.wt ??= new Float64Array(0x10000));
    const fpow = this.fpow;
    this.vRef = vRef;
    this.invT = invT;
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
    this.wThr = thr <= NEG_INF ? -1 : thr >= POS_INF ? Infinity : Math.exp((KV[thr] - vRef) * invT);
  }

  /**
   * One pass over the row: ids with key >= thr into `cand` (returned count); mode 1 also
   * sums the weight table into `z`, mode 2 also records the running sum every 1024 ids.
   * With the table, "key >= thr" is "weight not below the threshold's weight, or not yet
   * computed" (a few more ids of equal weight may come along: harmless).
   */
  private collect(bits: Uint16Array, start: number, vocab: number, thr: number, mode: 0 | 1 | 2): number {
    if (mode === 0) return this.collectOnly(bits, start, vocab, thr);
    const wt = this.wt!;
    const wThr = this.wThr;
    const cand = this.cand;
    let n = 0;
    let z = 0;
    // Blocks of 1024 ids in both modes (mode 2 needs the running sums; one shape for the JIT).
    const nb = (vocab + 1023) >> 10;
    if (this.blockZ.length < nb) this.blockZ = new Float64Array(nb);
    const aligned = (bits.byteOffset + start * 2) % 4 === 0;
    const words = aligned ? new Uint32Array(bits.buffer as ArrayBuffer, bits.byteOffset + start * 2, vocab >> 1) : undefined;
    const lazy: Lazy = { KV: keyValues(), vRef: this.vRef, invT: this.invT, wThr, n: 0 };
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
      this.blockZ[b] = z;
    }
    this.z = z;
    return n;
  }

  private collectOnly(bits: Uint16Array, start: number, vocab: number, thr: number): number {
    const cand = this.cand;
    let n = 0;
    let i = 0;
    if ((bits.byteOffset + start * 2) % 4 === 0) {
      const pairs = vocab >> 1;
      const words = new Uint32Array(bits.buffer as ArrayBuffer, bits.byteOffset + start * 2, pairs);
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

  /** Valid (not NaN, not penalised) candidates into `order`, by key descending then id; returns how many, max key in `maxKey`. */
  private orderByKey(bits: Uint16Array, start: number, n: number, place: boolean): number {
    const cand = this.cand;
    const marks = this.marks;
    const counts = (this.keyCount ??= new Int32Array(0x10001));
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
    this.maxKey = hi;
    this.minKey = lo;
    if (count === 0) return 0;
    if (place) this.place(bits, start, count);
    return count;
  }

  /** Turns the per-key counts left by orderByKey into the ordered ids in `order` (and clears them). */
  private place(bits: Uint16Array, start: number, count: number): void {
    const cand = this.cand;
    const counts = this.keyCount!;
    const lo = this.minKey;
    const hi = this.maxKey;
    // Start offsets from the top key down, then place ids in ascending order (stable).
    for (let kv = hi, pos = 0; kv >= lo; kv--) {
      const c = counts[kv];
      counts[kv] = pos;
      pos += c;
    }
    const order = this.order;
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
  private topPGroups(bits: Uint16Array, start: number, count: number, vmax: number, invT: number, total: number, topP: number, thr: number, rng: Prng): number {
    const KV = keyValues();
    const counts = this.keyCount!;
    const lo = this.minKey;
    const hi = this.maxKey;
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
    const cand = this.cand;
    for (let c = 0; c < count; c++) {
      const h = bits[start + cand[c]];
      let kv = h ^ (0x8000 | ((h >> 15) * 0x7fff));
      if (kv === 0x7fff) kv = 0x8000;
      if (kv === hitKey && hitAt-- === 0) return cand[c];
    }
    return cand[0];
  }

  /** Indices of the penalised tokens (NaN dropped) by value descending, then id. */
  private extrasOrder(ne: number): number[] {
    if (this.marks.length > 0x200000) {
      const out: number[] = [];
      for (let e = 0; e < ne; e++) if (this.exVal[e] === this.exVal[e]) out.push(e);
      return out.sort((a, b) => this.exVal[b] - this.exVal[a] || this.exId[a] - this.exId[b]);
    }
    // One native numeric sort of (order key of the float32 value, index) packed in a double.
    const packed = (this.exPacked = this.exPacked.length < ne ? new Float64Array(ne) : this.exPacked);
    let m = 0;
    for (let e = 0; e < ne; e++) {
      const v = this.exVal[e];
      if (v !== v) continue;
      F32[0] = v === 0 ? 0 : v; // -0 ties +0
      const b = U32[0];
      const key = b >= 0x80000000 ? ~b >>> 0 : b + 0x80000000; // ascending with the value
      packed[m++] = (0xffffffff - key) * 0x200000 + this.exId[e]; // value descending, then id
    }
    const sorted = packed.subarray(0, m).sort();
    const out: number[] = new Array<number>(m);
    for (let i = 0; i < m; i++) out[i] = this.marks[sorted[i] % 0x200000] - 1; // id -> extra index
    return out;
  }

  /**
   * Walks the ordered candidates merged with the penalised extras (value descending, ties
   * by id) into selIdx / selW (weight exp((v - vmax) / T)), up to `limit` tokens, or with
   * `total` > 0 until the cumulative probability reaches topP. Returns the count, or -1
   * when the collected set ran out before the answer was certain (collect everything).
   */
  private merged(bits: Uint16Array, start: number, count: number, ex: number[], limit: number, invT: number, thr: number, KV: Float64Array, vmax: number, total: number, topP: number): number {
    this.ensure(Math.min(limit, count + ex.length));
    const order = this.order;
    const selIdx = this.selIdx;
    const selW = this.selW;
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
        if (ei < ex.length && (this.exVal[ex[ei]] > mv || (this.exVal[ex[ei]] === mv && this.exId[ex[ei]] < mid))) {
          id = this.exId[ex[ei]];
          v = this.exVal[ex[ei++]];
        } else {
          id = mid;
          v = mv;
          mi++;
        }
      } else {
        if (thr > 0) return -1;
        if (ei >= ex.length) break;
        id = this.exId[ex[ei]];
        v = this.exVal[ex[ei++]];
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
  private cut(m: number, total: number, topP: number): number {
    if (topP >= 1) return m;
    let acc = 0;
    for (let i = 0; i < m; i++) {
      acc += this.selW[i] / total;
      if (acc >= topP) return i + 1;
    }
    return m;
  }

  /** One draw over selW[0..m) (in order). */
  private finish(m: number, rng: Prng): number {
    let kept = 0;
    for (let i = 0; i < m; i++) kept += this.selW[i];
    let r = rng.next() * kept;
    for (let i = 0; i < m; i++) {
      r -= this.selW[i];
      if (r < 0) return this.selIdx[i];
    }
    return this.selIdx[m - 1];
  }

  /**
   * The softmax normaliser relative to `this.vRef` with the penalised tokens' new values.
   * The collect() pass summed it relative to the subsample's max; it is redone relative to
   * the real max when that overflows, or when swapping the penalised weights would cancel
   * most of it (precision).
   */
  private normaliser(bits: Uint16Array, start: number, vocab: number, ne: number, vmax: number, invT: number, z: number, vRef: number, full: boolean): number {
    let ok = Number.isFinite(vRef) && Number.isFinite(z) && (vmax - vRef) * invT <= 600;
    let zr = z;
    const exW = (e: number, ref: number): number => (this.exVal[e] === this.exVal[e] ? Math.exp((this.exVal[e] - ref) * invT) : 0);
    if (ok && ne > 0) {
      const wt = this.wt!;
      for (let e = 0; e < ne; e++) {
        const h = bits[start + this.exId[e]];
        zr += exW(e, vRef) - wt[h];
      }
      if (!(zr >= 1e-3 * z)) ok = false;
    }
    if (ok) return zr;
    this.table(vmax, invT, 0x10000);
    if (ne === 0) {
      this.collect(bits, start, vocab, 0x10000, full ? 2 : 1);
      return this.z;
    }
    const wt = this.wt!;
    const marks = this.marks;
    zr = 0;
    for (let i = 0; i < vocab; i++) {
      const h = bits[start + i];
      if (marks[i] === 0) zr += wt[h];
    }
    for (let e = 0; e < ne; e++) zr += exW(e, vmax);
    return zr;
  }

  /** Plain temperature: one draw over the whole row in id order, weights from the table. */
  private drawInOrder(bits: Uint16Array, start: number, vocab: number, ne: number, vRef: number, invT: number, z: number, rng: Prng): number {
    const wt = this.wt!;
    let last = 0;
    if (ne === 0) {
      let r = rng.next() * z;
      const bz = this.blockZ;
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
    const exW = (e: number): number => (this.exVal[e] === this.exVal[e] ? Math.exp((this.exVal[e] - vRef) * invT) : 0);
    let r = rng.next() * z;
    const marks = this.marks;
    for (let i = 0; i < vocab; i++) {
      const h = bits[start + i];
      const w = marks[i] !== 0 ? exW(marks[i] - 1) : wt[h];
      if (w > 0) last = i;
      r -= w;
      if (r < 0) return i;
    }
    return last;
  }

  /** Float rows (fp32 / fp64 / other dtypes widened; penalties applied in the row). */
  private sampleRow(row: Float32Array, vocab: number, temperature: number, topK: number, topP: number, rng: Prng): number {
    const invT = 1 / temperature;
    let vmax = -Infinity;
    for (let i = 0; i < vocab; i++) if (row[i] > vmax) vmax = row[i];
    if (!Number.isFinite(vmax)) return argmaxFloat(row, 0, vocab);
    if (this.cand.length < vocab) {
      this.cand = new Int32Array(vocab);
      this.order = new Int32Array(vocab);
    }
    const cand = this.cand;
    let n = 0;
    let z = 0;
    if (topK === 0) {
      if (this.rowW.length < vocab) this.rowW = new Float64Array(vocab);
      const w = this.rowW;
      for (let i = 0; i < vocab; i++) {
        const x = Math.exp((row[i] - vmax) * invT);
        z += w[i] = x === x ? x : 0;
      }
      if (topP >= 1) {
        let r = rng.next() * z;
        let last = 0;
        for (let i = 0; i < vocab; i++) {
          if (w[i] > 0) last = i;
          r -= w[i];
          if (r < 0) return i;
        }
        return last;
      }
      // Top-p: lower a weight threshold until the survivors hold the mass, sort only those.
      for (let t = 1 / 128; ; t = t > 1e-300 ? t / 256 : 0) {
        n = 0;
        let mass = 0;
        for (let i = 0; i < vocab; i++) {
          if (w[i] >= t && row[i] === row[i]) {
            cand[n++] = i;
            mass += w[i];
          }
        }
        if (t === 0 || mass >= topP * z * (1 + 1e-9)) break;
      }
    } else {
      let thr = -Infinity;
      const want = 2 * topK + 16;
      if (vocab >= 16 * 512 && want * 4 < vocab) {
        // The r-th largest of every 16th value (a small sorted window) bounds the k-th from below.
        const r = Math.ceil(want / 16);
        const top = new Float64Array(r);
        let m = 0;
        for (let i = 0; i < vocab; i += 16) {
          const v = row[i];
          if (v !== v || (m === r && !(v > top[r - 1]))) continue;
          let j = m < r ? m++ : r - 1;
          while (j > 0 && top[j - 1] < v) {
            top[j] = top[j - 1];
            j--;
          }
          top[j] = v;
        }
        if (m === r) thr = top[r - 1];
      }
      for (;;) {
        n = 0;
        for (let i = 0; i < vocab; i++) if (row[i] >= thr) cand[n++] = i;
        if (n >= topK || thr === -Infinity) break;
        thr = -Infinity;
      }
    }
    const ids = Array.from(cand.subarray(0, n)).sort((a, b) => row[b] - row[a] || a - b);
    const m = topK > 0 ? Math.min(topK, ids.length) : ids.length;
    this.ensure(m);
    let lastV = NaN;
    let lastW = 0;
    let total = 0;
    let keep = m;
    let acc = 0;
    for (let i = 0; i < m; i++) {
      const v = row[ids[i]];
      if (v !== lastV) {
        lastV = v;
        lastW = Math.exp((v - vmax) * invT);
      }
      this.selIdx[i] = ids[i];
      this.selW[i] = lastW;
      if (topK === 0) {
        acc += lastW / z;
        if (acc >= topP) {
          keep = i + 1;
          break;
        }
      } else total += lastW;
    }
    return this.finish(topK === 0 ? keep : this.cut(m, total, topP), rng);
  }

  private row(logits: Tensor, start: number, vocab: number): Float32Array {
    if (this.scratch.length !== vocab) this.scratch = new Float32Array(vocab);
    const out = this.scratch;
    if (logits.dtype === 'float16') float16ToFloat32((logits.data as Uint16Array).subarray(start, start + vocab), out);
    else if (logits.dtype === 'float32') out.set((logits.data as Float32Array).subarray(start, start + vocab));
    else {
      const all = logits.toFloat32();
      out.set(all.subarray(start, start + vocab));
    }
    return out;
  }
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

/** Order keys of halves: +Inf and -Inf; keys above / below are NaN. */
const POS_INF = 0xfc00;
const NEG_INF = 0x03ff;
const EMPTY: number[] = [];
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
let keyValueTable: Float64Array | undefined;

/** The value of every half order key (key = bits ^ 0x8000 for positive halves, bits ^ 0xffff for negative). */
function keyValues(): Float64Array {
  if (keyValueTable === undefined) {
    keyValueTable = new Float64Array(0x10000);
    for (let kv = 0; kv < 0x10000; kv++) keyValueTable[kv] = halfToNumber(kv >= 0x8000 ? kv ^ 0x8000 : kv ^ 0xffff);
  }
  return keyValueTable;
}
