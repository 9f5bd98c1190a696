/**
 * The Sampler against a slow, obviously-correct reference (full sort of the vocabulary)
 * over many random logit rows, options and seeds: ties, ±0, -Infinity, NaN, outliers,
 * temperature 0, top-k 1 / >= vocab, top-p 1, repetition penalty. fp16 rows go through
 * the half-bits path, fp32 rows through the float path; both must pick the same token.
 */
import { describe, expect, it } from 'vitest';
import { Prng, Sampler, Tensor } from '../../lib/index.js';
import type { SampleOptions } from '../../lib/pipeline/ops/sample.js';

/** The documented semantics, written the slow way. `row` is the widened (float32) row. */
function reference(row: Float32Array, o: SampleOptions, seed: number): number {
  const vocab = row.length;
  const v = Float32Array.from(row);
  const { temperature = 0, topP = 1, repetitionPenalty = 1, history = [] } = o;
  let topK = o.topK ?? 0;
  if (topK >= vocab) topK = 0;
  if (repetitionPenalty !== 1) {
    const seen = new Set<number>();
    for (const id of Array.from(history)) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab || seen.has(id)) continue;
      seen.add(id);
      v[id] = v[id] > 0 ? v[id] / repetitionPenalty : v[id] * repetitionPenalty;
    }
  }
  const ids = Array.from({ length: vocab }, (_, i) => i).filter((i) => !Number.isNaN(v[i]));
  ids.sort((a, b) => v[b] - v[a] || a - b); // value descending, ties (and -0 / +0) by id
  const argmax = ids.length > 0 ? ids[0] : 0;
  if (temperature === 0 || topK === 1) return argmax;
  const max = v[argmax];
  if (!Number.isFinite(max)) return argmax;
  const w = (i: number): number => (Number.isNaN(v[i]) ? 0 : Math.exp((v[i] - max) / temperature));
  const u = new Prng(seed).next();
  let z = 0;
  for (let i = 0; i < vocab; i++) z += w(i);
  if (topK === 0 && topP >= 1) {
    let r = u * z;
    let last = 0;
    for (let i = 0; i < vocab; i++) {
      if (w(i) > 0) last = i;
      r -= w(i);
      if (r < 0) return i;
    }
    return last;
  }
  const sel = topK > 0 ? ids.slice(0, topK) : ids;
  let total = z;
  if (topK > 0) {
    total = 0;
    for (const i of sel) total += w(i);
  }
  let keep = sel.length;
  if (topP < 1) {
    let acc = 0;
    for (let j = 0; j < sel.length; j++) {
      acc += w(sel[j]) / total;
      if (acc >= topP) {
        keep = j + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let j = 0; j < keep; j++) kept += w(sel[j]);
  let r = u * kept;
  for (let j = 0; j < keep; j++) {
    r -= w(sel[j]);
    if (r < 0) return sel[j];
  }
  return sel[keep - 1];
}

function randomRow(rng: Prng, vocab: number): Float32Array {
  const kind = rng.nextUint32() % 5;
  const scale = [0.5, 3, 8, 20][rng.nextUint32() % 4];
  const row = new Float32Array(vocab);
  for (let i = 0; i < vocab; i++) {
    let x = rng.normal() * scale;
    if (kind === 1) x = Math.round(x); // many ties
    if (kind === 2) x = Math.round(x * 4) / 4 - 0; // ties, some -0
    row[i] = x;
  }
  if (kind === 3) {
    // -Infinity (masked tokens), NaN, ±0, an outlier
    for (let i = 0; i < vocab; i += 1 + (rng.nextUint32() % 7)) row[i] = -Infinity;
    for (let i = 3; i < vocab; i += 50 + (rng.nextUint32() % 50)) row[i] = NaN;
    row[rng.nextUint32() % vocab] = -0;
    row[rng.nextUint32() % vocab] = 0;
    if (rng.next() < 0.5) row[rng.nextUint32() % vocab] = scale * 6;
  }
  if (kind === 4) {
    // a peaked row: one or two dominant tokens
    row[rng.nextUint32() % vocab] = scale * 5;
    row[rng.nextUint32() % vocab] = scale * 5;
  }
  return row;
}

function randomOptions(rng: Prng, vocab: number): SampleOptions {
  const pick = <T>(xs: T[]): T => xs[rng.nextUint32() % xs.length];
  const o: { temperature?: number; topK?: number; topP?: number; repetitionPenalty?: number; history?: number[] } = {
    temperature: pick([0, 0.05, 0.3, 0.7, 1, 1.5, 4]),
    topK: pick([0, 0, 1, 2, 5, 50, 1000, vocab - 1, vocab, vocab + 7]),
    topP: pick([1, 1, 0.5, 0.8, 0.9, 0.95, 0.999]),
  };
  if (o.topK! < 0) o.topK = 0;
  if (rng.next() < 0.3) {
    o.repetitionPenalty = pick([1.1, 1.3, 0.8]);
    o.history = Array.from({ length: 1 + (rng.nextUint32() % 40) }, () => (rng.next() < 0.9 ? rng.nextUint32() % vocab : -1 - (rng.nextUint32() % 3)));
    o.history.push(o.history[0]); // a duplicate
  }
  return o;
}

function check(dtype: 'float16' | 'float32', vocabs: number[], trials: number, seed: number): void {
  const rng = new Prng(seed);
  const sampler = new Sampler(); // one sampler across calls: scratch reuse must not leak state
  let mismatches = 0;
  const failures: string[] = [];
  for (let t = 0; t < trials; t++) {
    const vocab = vocabs[t % vocabs.length];
    const logits = Tensor.fromFloat32(dtype, randomRow(rng, vocab), [1, 1, vocab]);
    const row = logits.toFloat32(); // what the model "said", after fp16 rounding
    for (let d = 0; d < 4; d++) {
      const options = randomOptions(rng, vocab);
      const drawSeed = rng.nextUint32();
      const got = sampler.sample(logits, options, new Prng(drawSeed));
      const want = reference(row, options, drawSeed);
      if (got !== want) {
        mismatches++;
        if (failures.length < 5) failures.push(`trial ${t} vocab ${vocab} ${JSON.stringify({ ...options, history: undefined })}: got ${got} (${row[got]}), want ${want} (${row[want]})`);
      }
    }
  }
  expect(failures).toEqual([]);
  expect(mismatches).toBe(0);
}

describe('Sampler vs the full-sort reference', () => {
  it('fp16 rows, small and mid-size vocabularies', () => check('float16', [1, 2, 3, 7, 64, 500, 9000, 20000], 160, 1));
  it('fp32 rows, small and mid-size vocabularies', () => check('float32', [1, 2, 5, 33, 700, 12000], 120, 2));
  it('fp16 rows at the Qwen3-VL vocabulary (151,936)', () => check('float16', [151_936], 6, 3), 60_000);

  it('edge cases: all -Infinity, all NaN, +Infinity, temperature 0, p = 1, k >= vocab', () => {
    const s = new Sampler();
    const t = (values: number[], dtype: 'float16' | 'float32' = 'float16'): Tensor => Tensor.fromFloat32(dtype, values, [values.length]);
    for (const dtype of ['float16', 'float32'] as const) {
      expect(s.sample(t([-Infinity, -Infinity], dtype), { temperature: 1 }, new Prng(0))).toBe(0);
      expect(s.sample(t([NaN, -Infinity, -Infinity], dtype), { temperature: 1, topP: 0.9 }, new Prng(0))).toBe(1);
      expect(s.sample(t([NaN, NaN], dtype), {}, new Prng(0))).toBe(0);
      expect(s.sample(t([NaN, 1, 3, NaN, 3], dtype), {}, new Prng(0))).toBe(2); // NaN never wins greedy
      expect(s.sample(t([1, Infinity, 5, Infinity], dtype), { temperature: 1, topK: 3 }, new Prng(0))).toBe(1);
      expect(s.sample(t([-0, 0, -1], dtype), {}, new Prng(0))).toBe(0); // -0 ties +0: first index
      const row = [0.5, 2, 1, 2, -3];
      for (const o of [{ temperature: 0.9, topK: 5 }, { temperature: 0.9, topK: 99, topP: 0.7 }, { temperature: 0.9, topP: 1 }]) {
        for (let seed = 0; seed < 20; seed++) expect(s.sample(t(row, dtype), o, new Prng(seed))).toBe(reference(Float32Array.from(row), o, seed));
      }
    }
  });
});
