/**
 * Dense float32 matmul for host ops: [.., M, K] × weight [K, N] (+ bias [N]). The native
 * addon's kernel (lib/native/host-matmul.ts) runs it off the main thread on several cores;
 * this file holds the weight preparation both share and the pure-JS fallback used when
 * the addon is not loaded (same results up to float summation order).
 */
import { QnnNodeError } from '../../errors.js';
import { type NativeMatmulWeightHandle, nativeMatmul, nativeMatmulAvailable, nativeMatmulWeight, packMatmulWeight } from '../../native/host-matmul.js';
import { Tensor } from '../../tensor/Tensor.js';

/**
 * A weight ready for the kernels: [k × n] as float32 `source` (row-major [k × n], or
 * [n × k] when `transposed`), with the layouts each kernel reads made on first use: the
 * native kernel's packed panels (in native memory) straight from the source, the JS
 * kernel's row-major [k × n].
 */
export interface MatmulWeight {
  readonly k: number;
  readonly n: number;
  readonly source: Float32Array;
  readonly transposed: boolean;
  rowMajor?: Float32Array;
  packed?: NativeMatmulWeightHandle;
}

const prepared = new WeakMap<Tensor, Map<string, MatmulWeight>>();
const biases = new WeakMap<Tensor, Float32Array>();

/**
 * The weight tensor as [k × n]: `transpose: false` reads it as [prod(dims[:-1]), dims[-1]]
 * = [K, N]; `transpose: true` as [dims[0], prod(dims[1:])] = [N, K] (PyTorch's Linear and
 * Conv layout: a Conv3d kernel [out, C, T, P, P] is N = out, K = C·T·P·P, flattened in
 * that order). Cached per tensor: assets are prepared once.
 */
export function matmulWeight(weight: Tensor, transpose: boolean): MatmulWeight {
  const key = transpose ? 'nk' : 'kn';
  let byLayout = prepared.get(weight);
  const hit = byLayout?.get(key);
  if (hit) return hit;
  const d = weight.dims;
  if (d.length < 2 || weight.size === 0) throw new QnnNodeError('SHAPE_MISMATCH', `a matmul weight needs at least 2 non-empty dims but has [${d.join(', ')}]`, { details: { dims: [...d] } });
  const source = weight.dtype === 'float32' ? (weight.data as Float32Array) : weight.toFloat32();
  const n = transpose ? d[0] : d[d.length - 1];
  const result: MatmulWeight = { k: weight.size / n, n, source, transposed: transpose };
  if (!byLayout) prepared.set(weight, (byLayout = new Map()));
  byLayout.set(key, result);
  return result;
}

/** The weight as row-major [k × n] (made once when the source is [n × k]). */
export function rowMajorWeight(w: MatmulWeight): Float32Array {
  if (!w.transposed) return w.source;
  if (!w.rowMajor) {
    const t = new Float32Array(w.k * w.n);
    for (let r = 0; r < w.n; r++) for (let c = 0; c < w.k; c++) t[c * w.n + r] = w.source[r * w.k + c];
    w.rowMajor = t;
  }
  return w.rowMajor;
}

/** A bias tensor (n elements) as float32, cached. */
export function matmulBias(bias: Tensor, n: number): Float32Array {
  if (bias.size !== n) throw new QnnNodeError('SIZE_MISMATCH', `the bias has ${bias.size} elements but the weight has ${n} columns`, { details: { expected: n, actual: bias.size } });
  let f = biases.get(bias);
  if (!f) biases.set(bias, (f = bias.dtype === 'float32' ? (bias.data as Float32Array) : bias.toFloat32()));
  return f;
}

const COL_BLOCK = 128; // a [K × 128] weight block stays in L2 while 4 output rows sweep it
const ROWS = 4;

/**
 * out[m × n] = a[m × k] · w[k × n] (+ bias) in plain JS: 4 rows × 128 columns of output
 * per block, accumulated over k in float32 (out is a Float32Array), k ascending.
 */
export function matmulJs(a: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, m: number, k: number, n: number): void {
  for (let r = 0; r < m; r++) {
    if (bias) out.set(bias, r * n);
    else out.fill(0, r * n, (r + 1) * n);
  }
  for (let c0 = 0; c0 < n; c0 += COL_BLOCK) {
    const c1 = Math.min(n, c0 + COL_BLOCK);
    let r = 0;
    for (; r + ROWS <= m; r += ROWS) {
      const o0 = r * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      const a0 = r * k;
      for (let kk = 0; kk < k; kk++) {
        const x0 = a[a0 + kk];
        const x1 = a[a0 + k + kk];
        const x2 = a[a0 + 2 * k + kk];
        const x3 = a[a0 + 3 * k + kk];
        const wr = kk * n;
        for (let c = c0; c < c1; c++) {
          const wv = w[wr + c];
          out[o0 + c] += x0 * wv;
          out[o1 + c] += x1 * wv;
          out[o2 + c] += x2 * wv;
          out[o3 + c] += x3 * wv;
        }
      }
    }
    for (; r < m; r++) {
      const o = r * n;
      for (let kk = 0; kk < k; kk++) {
        const x = a[r * k + kk];
        const wr = kk * n;
        for (let c = c0; c < c1; c++) out[o + c] += x * w[wr + c];
      }
    }
  }
}

export type MatmulEngine = 'auto' | 'native' | 'js';

/**
 * out = a · weight (+ bias), [m × k] × [k × n], on the native kernel when available
 * (`engine: 'auto'`), or the one asked for. a and out are float32 and must not overlap.
 */
export async function matmulF32(a: Float32Array, weight: MatmulWeight, bias: Float32Array | null, out: Float32Array, m: number, engine: MatmulEngine = 'auto', threads?: number): Promise<'native' | 'js'> {
  const { k, n } = weight;
  if (a.length !== m * k || out.length !== m * n) {
    throw new QnnNodeError('SIZE_MISMATCH', `matmul of [${m} x ${k}] by [${k} x ${n}]: input has ${a.length} elements, output ${out.length}`, { details: { m, k, n } });
  }
  // No rows: nothing to compute on either engine (the native one takes m >= 1).
  if (m === 0) return engine === 'js' || (engine === 'auto' && !nativeMatmulAvailable()) ? 'js' : 'native';
  if (engine === 'native' || (engine === 'auto' && nativeMatmulAvailable())) {
    weight.packed ??= nativeMatmulWeight(packMatmulWeight(weight.source, k, n, weight.transposed), k, n);
    await nativeMatmul(a, weight.packed, bias, out, m, k, n, threads);
    return 'native';
  }
  matmulJs(a, rowMajorWeight(weight), bias, out, m, k, n);
  return 'js';
}
