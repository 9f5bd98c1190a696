/**
 * Parity metrics between an output and a reference, over tensors of any dtype: values
 * are converted to float64 first (dequantized for quantized tensors, Number() for
 * 64-bit integers, 0/1 for bool).
 *
 * Definitions (a = actual, b = reference, n = count, d = a - b):
 * - cosine = a·b / (|a| |b|); 1 when both are all zeros, 0 when exactly one is.
 * - maxAbsError = max |d|; meanAbsError = Σ|d| / n; rmse = sqrt(Σd² / n).
 * - relativeError = |d| / |b| (L2 norms); 0 when both are 0, Infinity when only |b| is 0.
 * - psnr = 20·log10(peak / rmse) dB with peak = max |b|; Infinity when rmse is 0.
 * - Empty tensors compare as identical (errors 0, cosine 1, psnr Infinity).
 * - NaN anywhere propagates to every metric it touches (cosine, errors, psnr).
 */

import { QnnNodeError, invalidArg, outOfRange } from '../errors.js';
import { Tensor } from './Tensor.js';

export interface CompareResult {
  readonly cosine: number;
  readonly maxAbsError: number;
  readonly meanAbsError: number;
  readonly rmse: number;
  readonly relativeError: number;
  readonly psnr: number;
  readonly count: number;
}

/** A tensor, or flat numbers (treated as a 1-D tensor). */
export type MetricInput = Tensor | ArrayLike<number>;

function values(x: MetricInput, name: string): { v: ArrayLike<number>; dims: readonly number[] | undefined } {
  if (x instanceof Tensor) {
    return { v: x.dtype === 'float64' ? (x.data as Float64Array) : x.dtype === 'float32' ? (x.data as Float32Array) : x.toFloat64(), dims: x.dims };
  }
  if (x !== null && typeof x === 'object' && typeof (x as ArrayLike<number>).length === 'number' && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array)) {
    return { v: x, dims: undefined };
  }
  throw invalidArg('a Tensor or an array of numbers', name, x);
}

/**
 * Compares `actual` against `reference`. Two tensors must have equal dims; a plain
 * array only needs the same element count. Otherwise SHAPE_MISMATCH.
 */
export function compare(actual: MetricInput, reference: MetricInput): CompareResult {
  const a = values(actual, 'actual');
  const b = values(reference, 'reference');
  const dimsDiffer =
    a.dims !== undefined && b.dims !== undefined && (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims![i]));
  if (dimsDiffer || a.v.length !== b.v.length) {
    const fa = a.dims ? `[${a.dims.join(', ')}]` : `${a.v.length} values`;
    const fb = b.dims ? `[${b.dims.join(', ')}]` : `${b.v.length} values`;
    throw new QnnNodeError('SHAPE_MISMATCH', `Cannot compare ${fa} with reference ${fb}`, {
      details: { actual: a.dims ?? a.v.length, reference: b.dims ?? b.v.length },
    });
  }
  const n = a.v.length;
  let dot = 0;
  let aa = 0;
  let bb = 0;
  let sumAbs = 0;
  let sumSq = 0;
  let maxAbs = 0;
  let peak = 0;
  const av = a.v;
  const bv = b.v;
  for (let i = 0; i < n; i++) {
    const x = av[i];
    const y = bv[i];
    const d = x - y;
    const ad = Math.abs(d);
    dot += x * y;
    aa += x * x;
    bb += y * y;
    sumAbs += ad;
    sumSq += d * d;
    if (ad > maxAbs || ad !== ad) maxAbs = ad !== ad || maxAbs !== maxAbs ? NaN : ad;
    const ay = Math.abs(y);
    if (ay > peak || ay !== ay) peak = ay !== ay || peak !== peak ? NaN : ay;
  }
  if (n === 0) return { cosine: 1, maxAbsError: 0, meanAbsError: 0, rmse: 0, relativeError: 0, psnr: Infinity, count: 0 };
  const normA = Math.sqrt(aa);
  const normB = Math.sqrt(bb);
  let cosine: number;
  if (normA === 0 && normB === 0) cosine = 1;
  else if (normA === 0 || normB === 0) cosine = 0;
  else cosine = Math.max(-1, Math.min(1, dot / (normA * normB)));
  if (Number.isNaN(dot) || Number.isNaN(aa) || Number.isNaN(bb)) cosine = NaN;
  const rmse = Math.sqrt(sumSq / n);
  const normD = Math.sqrt(sumSq);
  const relativeError = normB === 0 ? (normD === 0 ? 0 : Infinity) : normD / normB;
  const psnr = rmse === 0 ? Infinity : 20 * Math.log10(peak / rmse);
  return { cosine, maxAbsError: maxAbs, meanAbsError: sumAbs / n, rmse, relativeError, psnr, count: n };
}

/** True when x ranks above y: NaN ranks above everything (as in NumPy's argmax). */
function above(x: number, y: number): boolean {
  return x > y || (x !== x && y === y);
}

/** Flat (C-order) index of the largest value; the first one on ties; the first NaN if any. */
export function argmax(t: MetricInput): number {
  const { v } = values(t, 't');
  if (v.length === 0) throw outOfRange('a non-empty tensor', 't', t);
  let best = 0;
  for (let i = 1; i < v.length; i++) if (above(v[i], v[best])) best = i;
  return best;
}

export interface TopK {
  /** The k largest values, descending. */
  readonly values: number[];
  /** Their flat (C-order) indices; equal values keep ascending index order. */
  readonly indices: number[];
}

/** The k largest values of the flattened tensor, descending, stable on ties (NaN first). */
export function topK(t: MetricInput, k: number): TopK {
  const { v } = values(t, 't');
  const n = v.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw outOfRange(`an integer k from 0 to ${n}`, 'k', k);
  let idx: number[];
  if (k <= 64) {
    // Insertion into a small sorted list: O(n·k) worst case, O(n) typical.
    idx = [];
    for (let i = 0; i < n && k > 0; i++) {
      const x = v[i];
      if (idx.length === k && !above(x, v[idx[k - 1]])) continue;
      let j = idx.length === k ? k - 1 : idx.length;
      while (j > 0 && above(x, v[idx[j - 1]])) j--;
      idx.splice(j, 0, i);
      if (idx.length > k) idx.pop();
    }
  } else {
    idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((i, j) => (above(v[i], v[j]) ? -1 : above(v[j], v[i]) ? 1 : i - j));
    idx.length = k;
  }
  return { values: idx.map((i) => v[i]), indices: idx };
}
