/**
 * The native f32 matmul (`addon.hostMatmul`, native/addon/HostMatmul.cc): register-tiled,
 * cache-blocked, vectorized by the compiler (an AVX2+FMA clone on x86-64 Linux), split
 * over rows on several threads, off the main thread. Host ops use it when the addon is
 * loaded and fall back to lib/pipeline/ops/matmul.ts otherwise (QNN_NODE_NO_NATIVE_MATMUL=1
 * forces the fallback).
 */
import { QnnNodeError, invalidArg, outOfRange } from '../errors.js';
import type { NativeAddon } from './AddonTypes.js';
import { loadAddon } from './binding.js';

/** Columns per packed panel (kMatmulPanel in HostMatmul.h). */
export const MATMUL_PANEL = 16;

type MatmulFn = NonNullable<NativeAddon['hostMatmul']>;
let matmulFn: MatmulFn | null | undefined;

function nativeFn(): MatmulFn | null {
  if (matmulFn !== undefined) return matmulFn;
  try {
    const addon = loadAddon();
    matmulFn = typeof addon.hostMatmul === 'function' ? addon.hostMatmul.bind(addon) : null;
  } catch {
    matmulFn = null; // no addon for this platform
  }
  return matmulFn;
}

/** True when the native matmul can run (the addon has it and QNN_NODE_NO_NATIVE_MATMUL is unset). */
export function nativeMatmulAvailable(): boolean {
  return !process.env.QNN_NODE_NO_NATIVE_MATMUL && nativeFn() !== null;
}

/** Elements of a packed [k × n] weight. */
export function packedWeightLength(k: number, n: number): number {
  return Math.ceil(n / MATMUL_PANEL) * MATMUL_PANEL * k;
}

/**
 * Packs a row-major [k × n] weight into panels of MATMUL_PANEL columns, each k-major (the
 * last one zero-padded): packed[(p·k + kk)·16 + j] = w[kk·n + p·16 + j].
 */
export function packMatmulWeight(w: Float32Array, k: number, n: number): Float32Array {
  if (!(w instanceof Float32Array)) throw invalidArg('a Float32Array', 'weight', w);
  if (w.length !== k * n) throw new QnnNodeError('SIZE_MISMATCH', `a [${k} x ${n}] weight needs ${k * n} elements but has ${w.length}`, { details: { expected: k * n, actual: w.length } });
  const out = new Float32Array(packedWeightLength(k, n));
  const panels = Math.ceil(n / MATMUL_PANEL);
  for (let p = 0; p < panels; p++) {
    const col0 = p * MATMUL_PANEL;
    const cols = Math.min(MATMUL_PANEL, n - col0);
    for (let kk = 0; kk < k; kk++) {
      const dst = (p * k + kk) * MATMUL_PANEL;
      const src = kk * n + col0;
      for (let j = 0; j < cols; j++) out[dst + j] = w[src + j];
    }
  }
  return out;
}

/** out[m × n] = a[m × k] · B (+ bias) on the native pool; rejects when the addon is unavailable. */
export async function nativeMatmul(a: Float32Array, packedB: Float32Array, bias: Float32Array | null, out: Float32Array, m: number, k: number, n: number, threads?: number): Promise<void> {
  const fn = nativeFn();
  if (!fn) throw new QnnNodeError('ADDON_NOT_FOUND', 'The native addon (with hostMatmul) is not available on this platform');
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) throw outOfRange('a whole number from 1 to 64', 'threads', threads);
  await fn(a, packedB, bias, out, m, k, n, threads);
}
