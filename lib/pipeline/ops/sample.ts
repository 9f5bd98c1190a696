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
import { argmaxFloat, argmaxHalf } from './sample-argmax.js';
import { sampleRow } from './sample-float.js';
import { sampleHalf } from './sample-half.js';
import { SamplerState } from './sample-state.js';

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

export { argmaxHalf, argmaxFloat } from './sample-argmax.js';

/** A sampler with reusable scratch memory (one per pipeline step). */
export class Sampler {
  private readonly s = new SamplerState();

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
        return sampleHalf(this.s, bits, start, vocab, greedy ? 0 : temperature, greedy ? 1 : topK, topP, ne, rng);
      } finally {
        for (let i = 0; i < ne; i++) this.s.marks[this.s.exId[i]] = 0;
      }
    }
    const row = this.row(logits, start, vocab);
    if (penalize) {
      const ne = this.penalties(vocab, history!, repetitionPenalty, (id) => row[id]);
      for (let i = 0; i < ne; i++) {
        row[this.s.exId[i]] = this.s.exVal[i];
        this.s.marks[this.s.exId[i]] = 0;
      }
    }
    if (greedy) return argmaxFloat(row, 0, vocab);
    return sampleRow(this.s, row, vocab, temperature, topK, topP, rng);
  }

  /**
   * Unique in-range history ids into exId / exVal (penalised value, rounded to float32 like
   * the widened row), marked in `marks`. Returns how many.
   */
  private penalties(vocab: number, history: ArrayLike<number>, penalty: number, value: (id: number) => number): number {
    if (this.s.marks.length < vocab) this.s.marks = new Int32Array(vocab);
    const marks = this.s.marks;
    let n = 0;
    for (let i = 0; i < history.length; i++) {
      const id = history[i];
      if (!(id >= 0 && id < vocab) || !Number.isInteger(id) || marks[id] !== 0) continue;
      marks[id] = n + 1;
      const v = value(id);
      this.s.exId[n] = id;
      this.s.exVal[n] = Math.fround(v > 0 ? v / penalty : v * penalty);
      n++;
    }
    this.s.exId.length = n;
    this.s.exVal.length = n;
    return n;
  }

  private row(logits: Tensor, start: number, vocab: number): Float32Array {
    if (this.s.scratch.length !== vocab) this.s.scratch = new Float32Array(vocab);
    const out = this.s.scratch;
    if (logits.dtype === 'float16') float16ToFloat32((logits.data as Uint16Array).subarray(start, start + vocab), out);
    else if (logits.dtype === 'float32') out.set((logits.data as Float32Array).subarray(start, start + vocab));
    else {
      const all = logits.toFloat32();
      out.set(all.subarray(start, start + vocab));
    }
    return out;
  }
}
