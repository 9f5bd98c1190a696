/**
 * Next-token sampling from logits: greedy, temperature, top-k, top-p (nucleus) and a
 * repetition penalty (HF semantics: positive logits divided by it, negative multiplied),
 * drawn with a seeded PRNG so a seed gives the same tokens everywhere.
 *
 * Cost per token for a 151,936 vocabulary: greedy over fp16 compares the half bits
 * directly (no conversion); the other modes widen the row once into a reused Float32Array.
 */
import { invalidArg } from '../../errors.js';
import { float16ToFloat32, halfToNumber } from '../../tensor/fp16.js';
import type { Tensor } from '../../tensor/Tensor.js';
import type { Prng } from '../../backend/mock/prng.js';

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

/** Logits below max − this (in temperature-scaled units) carry < e^-30 of the mass and are not candidates for top-p. */
const TAIL = 30;
const BUCKETS = 120;

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
  return best - start;
}

export function argmaxFloat(values: Float32Array | Float64Array, start = 0, end = values.length): number {
  let best = start;
  let bestValue = -Infinity;
  for (let i = start; i < end; i++) {
    if (values[i] > bestValue) {
      bestValue = values[i];
      best = i;
    }
  }
  return best - start;
}

/** A sampler with reusable scratch memory (one per pipeline step). */
export class Sampler {
  private scratch = new Float32Array(0);
  private candIdx = new Int32Array(0);
  private candVal = new Float32Array(0);
  private mass: Float64Array | undefined;
  private candKey: Int32Array | undefined;
  /** Total mass over the vocabulary when candidates() used the top-p band, else undefined (renormalise over the candidates). */
  private z: number | undefined;

  /**
   * Picks a token from the last row of `logits` (last dim = vocabulary). `rng` is only
   * consulted when temperature > 0.
   */
  sample(logits: Tensor, options: SampleOptions, rng: Prng): number {
    checkOptions(options);
    const dims = logits.dims;
    const vocab = dims.length ? dims[dims.length - 1] : logits.size;
    if (vocab === 0 || logits.size === 0) throw invalidArg('logits with a non-empty last dimension', 'logits', logits);
    const start = logits.size - vocab;
    const { temperature = 0, topK = 0, topP = 1, repetitionPenalty = 1, history } = options;
    const greedy = temperature === 0 || topK === 1;
    const penalize = repetitionPenalty !== 1 && history !== undefined && history.length > 0;
    if (greedy && !penalize) {
      if (logits.dtype === 'float16') return argmaxHalf(logits.data as Uint16Array, start, logits.size);
      if (logits.dtype === 'float32' || logits.dtype === 'float64') return argmaxFloat(logits.data as Float32Array, start, logits.size);
    }
    if (!penalize && topK > 0 && logits.dtype === 'float16') {
      // Top-k straight from the half bits: no widening of the whole row.
      const n = this.topKHalf(logits.data as Uint16Array, start, vocab, Math.min(topK, vocab));
      return this.draw(n, this.candVal[0], 1 / temperature, topP, rng);
    }
    const row = this.row(logits, start, vocab);
    if (penalize) {
      const seen = new Set<number>();
      for (let i = 0; i < history!.length; i++) {
        const id = history![i];
        if (id < 0 || id >= vocab || seen.has(id)) continue;
        seen.add(id);
        row[id] = row[id] > 0 ? row[id] / repetitionPenalty : row[id] * repetitionPenalty;
      }
    }
    if (greedy) return argmaxFloat(row, 0, vocab);
    let max = -Infinity;
    for (let i = 0; i < vocab; i++) if (row[i] > max) max = row[i];
    const invT = 1 / temperature;
    if (topK === 0 && topP >= 1) {
      // Full softmax: one pass for the sum, one for the draw.
      let sum = 0;
      for (let i = 0; i < vocab; i++) sum += Math.exp((row[i] - max) * invT);
      let r = rng.next() * sum;
      for (let i = 0; i < vocab; i++) {
        r -= Math.exp((row[i] - max) * invT);
        if (r < 0) return i;
      }
      return argmaxFloat(row, 0, vocab);
    }
    const n = this.candidates(row, vocab, max, invT, topK, topP);
    return this.draw(n, max, invT, topP, rng);
  }

  /** Softmax over the candidates (sorted descending), top-p cut, one draw. */
  private draw(n: number, max: number, invT: number, topP: number, rng: Prng): number {
    let total = 0;
    const probs = this.candVal;
    for (let i = 0; i < n; i++) {
      probs[i] = Math.exp((probs[i] - max) * invT);
      total += probs[i];
    }
    if (this.z !== undefined) total = this.z;
    let keep = n;
    if (topP < 1) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        acc += probs[i] / total;
        if (acc >= topP) {
          keep = i + 1;
          break;
        }
      }
    }
    let kept = 0;
    for (let i = 0; i < keep; i++) kept += probs[i];
    let r = rng.next() * kept;
    for (let i = 0; i < keep; i++) {
      r -= probs[i];
      if (r < 0) return this.candIdx[i];
    }
    return this.candIdx[keep - 1];
  }

  /**
   * The k largest halves into candIdx / candVal, descending (ties: lower id first), from
   * the half bits. A strided subsample's k-th largest key is a lower bound for the full
   * k-th largest, so one cheap pass keeps only keys >= it (a few times k ids) and a small
   * sorted window picks the k among those.
   */
  private topKHalf(bits: Uint16Array, start: number, vocab: number, k: number): number {
    if (this.candIdx.length < k) {
      this.candIdx = new Int32Array(k);
      this.candVal = new Float32Array(k);
    }
    const stride = 16;
    let floor = -1;
    if (vocab >= k * stride * 4) {
      const n0 = this.window(bits, start, 0, vocab, stride, k, -1);
      if (n0 === k) floor = halfKey(bits[start + this.candIdx[k - 1]]);
    }
    const n = this.window(bits, start, 0, vocab, 1, k, floor);
    for (let i = 0; i < n; i++) this.candVal[i] = halfToNumber(bits[start + this.candIdx[i]]);
    this.z = undefined;
    return n;
  }

  /** Sorted window of the k largest keys >= floor among ids from..to (step), into candIdx. */
  private window(bits: Uint16Array, start: number, from: number, to: number, step: number, k: number, floor: number): number {
    if (this.candKey === undefined || this.candKey.length < k) this.candKey = new Int32Array(k);
    const idx = this.candIdx;
    const key = this.candKey;
    let n = 0;
    let low = floor; // smallest key that can still enter
    for (let i = from; i < to; i += step) {
      const h = bits[start + i];
      const kv = h ^ (0x8000 | ((h >> 15) * 0x7fff));
      if (kv < low || (n === k && kv <= key[k - 1])) continue;
      let j = n < k ? n++ : k - 1;
      while (j > 0 && key[j - 1] < kv) {
        key[j] = key[j - 1];
        idx[j] = idx[j - 1];
        j--;
      }
      key[j] = kv;
      idx[j] = i;
      if (n === k) low = key[k - 1];
    }
    return n;
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

  /** Fills candIdx/candVal with the top-k (or, for k = 0, the non-negligible) logits, sorted descending. */
  private candidates(row: Float32Array, vocab: number, max: number, invT: number, topK: number, topP: number): number {
    const k = topK === 0 ? vocab : Math.min(topK, vocab);
    if (this.candIdx.length < k) {
      this.candIdx = new Int32Array(k);
      this.candVal = new Float32Array(k);
    }
    const idx = this.candIdx;
    const val = this.candVal;
    let n = 0;
    if (topK === 0) {
      // Top-p over the whole vocabulary without sorting it: a histogram of the mass by
      // scaled distance from the max finds the smallest band holding p of the mass (Z is
      // exact over every non-negligible token); only that band is sorted.
      const mass = (this.mass ??= new Float64Array(BUCKETS));
      mass.fill(0);
      const scale = BUCKETS / TAIL;
      let z = 0;
      for (let i = 0; i < vocab; i++) {
        const d = (max - row[i]) * invT;
        if (d >= TAIL) continue;
        const e = Math.exp(-d);
        z += e;
        mass[(d * scale) | 0] += e;
      }
      let band = BUCKETS - 1;
      for (let b = 0, acc = 0; b < BUCKETS; b++) {
        acc += mass[b];
        if (acc >= topP * z) {
          band = b;
          break;
        }
      }
      for (let i = 0; i < vocab; i++) {
        const d = (max - row[i]) * invT;
        if (d < TAIL && ((d * scale) | 0) <= band) {
          idx[n] = i;
          val[n] = row[i];
          n++;
        }
      }
      this.z = z;
      sortDescending(idx, val, n);
      return n;
    }
    this.z = undefined;
    // Keep a sorted (descending) window of the best k; insertion is cheap because most
    // values are below the current k-th best.
    for (let i = 0; i < vocab; i++) {
      const v = row[i];
      if (n === k && !(v > val[k - 1])) continue;
      let j = n < k ? n++ : k - 1;
      while (j > 0 && val[j - 1] < v) {
        val[j] = val[j - 1];
        idx[j] = idx[j - 1];
        j--;
      }
      val[j] = v;
      idx[j] = i;
    }
    return n;
  }
}

/** Order key of a half: same order as the values (NaN aside), as an unsigned 16-bit integer. */
function halfKey(h: number): number {
  return h ^ (0x8000 | ((h >> 15) * 0x7fff));
}

function sortDescending(idx: Int32Array, val: Float32Array, n: number): void {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => val[b] - val[a] || idx[a] - idx[b]);
  const i2 = Int32Array.from(order, (o) => idx[o]);
  const v2 = Float32Array.from(order, (o) => val[o]);
  idx.set(i2);
  val.set(v2);
}
