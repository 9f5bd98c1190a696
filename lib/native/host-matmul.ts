/**
 * The native f32 matmul (`addon.hostMatmul`, native/addon/HostMatmul.cc): register-tiled,
 * cache-blocked, vectorized by the compiler (AVX2+FMA / AVX2 copies picked at run time on x86-64 Linux), split
 * over rows on several threads, off the main thread. Host ops use it when the addon is
 * loaded and fall back to lib/pipeline/ops/matmul.ts otherwise (QNN_NODE_NO_NATIVE_MATMUL=1
 * forces the fallback).
 */
import { QnnNodeError, invalidArg, outOfRange } from '../errors.js';
import type { NativeAddon, NativeMatmulWeightHandle } from './AddonTypes.js';
import { loadAddon } from './binding.js';

/** Columns per packed panel (kMatmulPanel in HostMatmul.h). */
export const MATMUL_PANEL = 16;

type MatmulFn = NonNullable<NativeAddon['hostMatmul']>;
type WeightFn = NonNullable<NativeAddon['hostMatmulWeight']>;
let native: { matmul: MatmulFn; weight: WeightFn } | null | undefined;

function nativeFns(): { matmul: MatmulFn; weight: WeightFn } | null {
  if (native !== undefined) return native;
  try {
    const addon = loadAddon();
    native = typeof addon.hostMatmul === 'function' && typeof addon.hostMatmulWeight === 'function' ? { matmul: addon.hostMatmul.bind(addon), weight: addon.hostMatmulWeight.bind(addon) } : null;
  } catch {
    native = null; // no addon for this platform
  }
  return native;
}

function required(): { matmul: MatmulFn; weight: WeightFn } {
  const fns = nativeFns();
  if (!fns) throw new QnnNodeError('ADDON_NOT_FOUND', 'The native addon (with hostMatmul) is not available on this platform');
  return fns;
}

export type { NativeMatmulWeightHandle };

/** True when the native matmul can run (the addon has it and QNN_NODE_NO_NATIVE_MATMUL is unset). */
export function nativeMatmulAvailable(): boolean {
  return !process.env.QNN_NODE_NO_NATIVE_MATMUL && nativeFns() !== null;
}

/** Elements of a packed [k × n] weight. */
export function packedWeightLength(k: number, n: number): number {
  return Math.ceil(n / MATMUL_PANEL) * MATMUL_PANEL * k;
}

/**
 * Packs a [k × n] weight into panels of MATMUL_PANEL columns, each k-major (the last one
 * zero-padded): packed[(p·k + kk)·16 + j] = W[kk][p·16 + j]. `w` is row-major [k × n], or
 * with `transposed` row-major [n × k] (PyTorch's layout), read as its transpose.
 */
export function packMatmulWeight(w: Float32Array, k: number, n: number, transposed = false): Float32Array {
  if (!(w instanceof Float32Array)) throw invalidArg('a Float32Array', 'weight', w);
  if (w.length !== k * n) throw new QnnNodeError('SIZE_MISMATCH', `a [${k} x ${n}] weight needs ${k * n} elements but has ${w.length}`, { details: { expected: k * n, actual: w.length } });
  const out = new Float32Array(packedWeightLength(k, n));
  const panels = Math.ceil(n / MATMUL_PANEL);
  for (let p = 0; p < panels; p++) {
    const col0 = p * MATMUL_PANEL;
    const cols = Math.min(MATMUL_PANEL, n - col0);
    if (transposed) {
      // Column j of the panel is row col0 + j of the [n × k] source: read it sequentially.
      for (let j = 0; j < cols; j++) {
        const src = (col0 + j) * k;
        for (let kk = 0; kk < k; kk++) out[(p * k + kk) * MATMUL_PANEL + j] = w[src + kk];
      }
    } else {
      for (let kk = 0; kk < k; kk++) {
        const dst = (p * k + kk) * MATMUL_PANEL;
        const src = kk * n + col0;
        for (let j = 0; j < cols; j++) out[dst + j] = w[src + j];
      }
    }
  }
  return out;
}

/**
 * A packed weight (packMatmulWeight) copied into native memory for nativeMatmul: the
 * worker threads read only native memory, so nothing JS does (transfer, GC) can free it
 * under them. `packed` may be reused or transferred afterwards.
 */
export function nativeMatmulWeight(packed: Float32Array, k: number, n: number): NativeMatmulWeightHandle {
  return required().weight(packed, k, n);
}

/**
 * out[m × n] = a[m × k] · B (+ bias) on the native pool; rejects when the addon is
 * unavailable. a and bias are copied at the call, the result into out when done (out
 * transferred meanwhile rejects with BUFFER_DETACHED).
 */
export async function nativeMatmul(a: Float32Array, weight: NativeMatmulWeightHandle, bias: Float32Array | null, out: Float32Array, m: number, k: number, n: number, threads?: number): Promise<void> {
  const fns = required();
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) throw outOfRange('a whole number from 1 to 64', 'threads', threads);
  await fns.matmul(a, weight, bias, out, m, k, n, threads);
}
