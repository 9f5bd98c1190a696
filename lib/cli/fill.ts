/**
 * Generated inputs for graphs run without input files (the bundled example, benchmarks,
 * `--fill`): deterministic for a seed so two runs print the same outputs.
 */
import type { TensorSpec } from '../backend/types.js';
import { Prng, hashString } from '../random.js';
import { DTYPES } from '../tensor/dtypes.js';
import { Tensor } from '../tensor/Tensor.js';

export type FillMode = 'zeros' | 'ones' | 'random';
export const FILL_MODES: readonly FillMode[] = ['zeros', 'ones', 'random'];

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * A tensor for `spec`: zeros, ones, or random values (floats uniform in [-1, 1); real
 * values in [0, 1) quantized with the spec's parameters for quantized dtypes; integers
 * uniform in [0, 16), which stays a valid index for small tables; booleans 0/1). The
 * stream depends on the seed and the tensor name only.
 */
export function fillTensor(spec: TensorSpec, mode: FillMode, seed = 0): Tensor {
  const { dtype, dims } = spec;
  const opts = spec.quant ? { quant: spec.quant } : {};
  const info = DTYPES[dtype];
  const n = product(dims);
  if (mode === 'zeros') {
    if (info.quantized && spec.quant) return Tensor.fromFloat32(dtype, new Float32Array(n), dims, opts);
    return Tensor.zeros(dtype, dims, opts);
  }
  if (dtype === 'bool') {
    const rng = new Prng(hashString(spec.name, seed));
    return new Tensor('bool', Uint8Array.from({ length: n }, () => (mode === 'ones' ? 1 : rng.nextUint32() & 1)), dims);
  }
  const values = new Float32Array(n);
  if (mode === 'ones') {
    values.fill(1);
  } else {
    const rng = new Prng(hashString(spec.name, seed));
    if (info.float) for (let i = 0; i < n; i++) values[i] = rng.next() * 2 - 1;
    else if (info.quantized) for (let i = 0; i < n; i++) values[i] = rng.next();
    else for (let i = 0; i < n; i++) values[i] = rng.nextUint32() & 15;
  }
  if (info.quantized && !spec.quant) {
    // No parameters to quantize with: store the values as the integers themselves.
    return new Tensor(dtype, Array.from(values, (v) => Math.round(v * 15)), dims);
  }
  return Tensor.fromFloat32(dtype, values, dims, opts);
}
