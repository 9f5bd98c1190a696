/** Sampling a float row (fp32 / fp64 / widened), penalties already applied in the row. */
import type { Prng } from '../../random.js';
import { argmaxFloat } from './sample-argmax.js';
import { cut, finish } from './sample-select.js';
import { ensure, type SamplerState } from './sample-state.js';

/** Float rows (fp32 / fp64 / other dtypes widened; penalties applied in the row). */
export function sampleRow(s: SamplerState, row: Float32Array, vocab: number, temperature: number, topK: number, topP: number, rng: Prng): number {
  const invT = 1 / temperature;
  let vmax = -Infinity;
  for (let i = 0; i < vocab; i++) if (row[i] > vmax) vmax = row[i];
  if (!Number.isFinite(vmax)) return argmaxFloat(row, 0, vocab);
  if (s.cand.length < vocab) {
    s.cand = new Int32Array(vocab);
    s.order = new Int32Array(vocab);
  }
  const cand = s.cand;
  let n = 0;
  let z = 0;
  if (topK === 0) {
    if (s.rowW.length < vocab) s.rowW = new Float64Array(vocab);
    const w = s.rowW;
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
  ensure(s, m);
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
    s.selIdx[i] = ids[i];
    s.selW[i] = lastW;
    if (topK === 0) {
      acc += lastW / z;
      if (acc >= topP) {
        keep = i + 1;
        break;
      }
    } else total += lastW;
  }
  return finish(s, topK === 0 ? keep : cut(s, m, total, topP), rng);
}
