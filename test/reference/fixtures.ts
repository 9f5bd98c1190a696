/**
 * Reference-backend binaries the native smoke test (native/reference-backend/test/smoke.cc)
 * runs. The expected numbers are computed in the smoke test from the same values, so the
 * two files must change together.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeReferenceBinary, type ReferenceBinaryDesc } from '../../lib/reference/writer.js';

const range = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

/** basic.bin: graph "mlp": out = Relu(x[1,4] · W[4,3] + b[3]), W[i][j] = 3i + j + 1. */
export const basic: ReferenceBinaryDesc = {
  description: 'smoke basic',
  statics: [
    { name: 'W', dtype: 'float32', dims: [4, 3], data: range(12, (i) => i + 1) },
    { name: 'b', dtype: 'float32', dims: [3], data: Float32Array.from([0.5, -1, 2]) },
  ],
  graphs: [
    {
      name: 'mlp',
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
      outputs: [{ name: 'out', dtype: 'float32', dims: [1, 3] }],
      tensors: [{ name: 'h', dtype: 'float32', dims: [1, 3] }],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'W', 'b'], outputs: ['h'] },
        { op: 'Relu', inputs: ['h'], outputs: ['out'] },
      ],
    },
  ],
};

/** ops.bin: one graph per op family (see smoke.cc for the expected values). */
export const ops: ReferenceBinaryDesc = {
  description: 'smoke ops',
  statics: [
    { name: 'c', dtype: 'float32', dims: [2, 1], data: Float32Array.from([2, -1]) },
    // table[k] = k * 0.5 as fp16 (exact)
    { name: 'table', dtype: 'float16', dims: [5, 4], data: Uint16Array.from({ length: 20 }, (_, k) => halfBits(k * 0.5)) },
    { name: 'Wt', dtype: 'float32', dims: [4, 3], data: range(12, (i) => (i % 5) - 2) },
    {
      name: 'Wq',
      dtype: 'sfixed8',
      dims: [2, 2],
      data: Int8Array.from([2, 4, -2, 8]),
      quant: { encoding: 'axis-scale-offset', axis: 1, scales: [0.5, 0.25], offsets: [0, 0] },
    },
    // RmsNorm weights: gamma3 = [1, 2, -1], beta3 = [0.5, 0, -0.25], gamma23[k] = 0.5 + k / 4
    { name: 'gamma3', dtype: 'float32', dims: [3], data: Float32Array.from([1, 2, -1]) },
    { name: 'beta3', dtype: 'float32', dims: [3], data: Float32Array.from([0.5, 0, -0.25]) },
    { name: 'gamma23', dtype: 'float32', dims: [2, 3], data: range(6, (k) => 0.5 + k / 4) },
  ],
  graphs: [
    {
      name: 'elementwise',
      inputs: [
        { name: 'a', dtype: 'float32', dims: [2, 3] },
        { name: 'b', dtype: 'float32', dims: [3] },
      ],
      outputs: [{ name: 'out', dtype: 'float32', dims: [2, 3] }],
      tensors: [
        { name: 's', dtype: 'float32', dims: [2, 3] },
        { name: 'd', dtype: 'float32', dims: [2, 3] },
      ],
      nodes: [
        { op: 'ElementWiseAdd', inputs: ['a', 'b'], outputs: ['s'] },
        { op: 'ElementWiseMultiply', inputs: ['s', 'c'], outputs: ['d'] },
        { op: 'ElementWiseSubtract', inputs: ['d', 'b'], outputs: ['out'] },
      ],
    },
    {
      name: 'embed',
      inputs: [{ name: 'ids', dtype: 'int32', dims: [1, 3] }],
      outputs: [{ name: 'out', dtype: 'float32', dims: [1, 3, 4] }],
      tensors: [{ name: 'e', dtype: 'float16', dims: [1, 3, 4] }],
      nodes: [
        { op: 'Gather', inputs: ['table', 'ids'], outputs: ['e'], params: { axis: 0 } },
        { op: 'Cast', inputs: ['e'], outputs: ['out'] },
      ],
    },
    {
      name: 'softmax',
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 4] }],
      outputs: [{ name: 'out', dtype: 'float32', dims: [2, 4] }],
      nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['out'], params: { beta: { float: 1 } } }],
    },
    {
      name: 'quant',
      inputs: [{ name: 'x', dtype: 'float32', dims: [4] }],
      outputs: [
        { name: 'q', dtype: 'ufixed8', dims: [4], quant: { encoding: 'scale-offset', scale: 0.1, offset: -128 } },
        { name: 'out', dtype: 'float32', dims: [4] },
      ],
      nodes: [
        { op: 'Quantize', inputs: ['x'], outputs: ['q'] },
        { op: 'Dequantize', inputs: ['q'], outputs: ['out'] },
      ],
    },
    {
      name: 'concat',
      inputs: [
        { name: 'a', dtype: 'float32', dims: [1, 2] },
        { name: 'b', dtype: 'float32', dims: [1, 3] },
      ],
      outputs: [{ name: 'out', dtype: 'float32', dims: [5] }],
      tensors: [{ name: 'c5', dtype: 'float32', dims: [1, 5] }],
      nodes: [
        { op: 'Concat', inputs: ['a', 'b'], outputs: ['c5'], params: { axis: 1 } },
        { op: 'Reshape', inputs: ['c5'], outputs: ['out'] },
      ],
    },
    {
      name: 'matmul_t',
      inputs: [{ name: 'a', dtype: 'float32', dims: [2, 2, 3] }],
      outputs: [{ name: 'out', dtype: 'float32', dims: [2, 2, 4] }],
      tensors: [{ name: 'm', dtype: 'float32', dims: [2, 2, 4] }],
      nodes: [
        { op: 'MatMul', inputs: ['a', 'Wt'], outputs: ['m'], params: { transpose_in0: false, transpose_in1: true } },
        { op: 'Gelu', inputs: ['m'], outputs: ['out'] },
      ],
    },
    {
      name: 'transpose',
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3] }],
      outputs: [{ name: 'out', dtype: 'float32', dims: [3, 2] }],
      nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['out'], params: { perm: [1, 0] } }],
    },
    {
      name: 'slice',
      inputs: [{ name: 'x', dtype: 'float32', dims: [3, 4] }],
      outputs: [{ name: 'out', dtype: 'float32', dims: [2, 2] }],
      tensors: [
        { name: 's', dtype: 'float32', dims: [2, 2] },
        { name: 't', dtype: 'float32', dims: [2, 2] },
      ],
      nodes: [
        { op: 'StridedSlice', inputs: ['x'], outputs: ['s'], params: { ranges: [1, 3, 1, 0, -1, 2] } },
        { op: 'Sigmoid', inputs: ['s'], outputs: ['t'] },
        { op: 'Tanh', inputs: ['t'], outputs: ['out'] },
      ],
    },
    {
      name: 'unary',
      inputs: [{ name: 'x', dtype: 'float32', dims: [6] }],
      outputs: ['rsqrt', 'sqrt', 'exp', 'neg', 'sin', 'cos'].map((name) => ({ name, dtype: 'float32' as const, dims: [6] })),
      nodes: [
        { op: 'ElementWiseRsqrt', inputs: ['x'], outputs: ['rsqrt'] },
        { op: 'ElementWiseSquareRoot', inputs: ['x'], outputs: ['sqrt'] },
        { op: 'ElementWiseExp', inputs: ['x'], outputs: ['exp'] },
        { op: 'ElementWiseNeg', inputs: ['x'], outputs: ['neg'] },
        { op: 'ElementWiseSin', inputs: ['x'], outputs: ['sin'] },
        { op: 'ElementWiseCos', inputs: ['x'], outputs: ['cos'] },
      ],
    },
    {
      name: 'reduce',
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3, 4] }],
      outputs: [
        { name: 'outer', dtype: 'float32', dims: [1, 3, 1] },
        { name: 'middle', dtype: 'float32', dims: [2, 4] },
      ],
      nodes: [
        { op: 'ReduceMean', inputs: ['x'], outputs: ['outer'], params: { axes: [-1, 0], keep_dims: true } },
        { op: 'ReduceMean', inputs: ['x'], outputs: ['middle'], params: { axes: [1] } },
      ],
    },
    {
      name: 'rmsnorm',
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 2, 3] }],
      outputs: [
        { name: 'last', dtype: 'float32', dims: [2, 2, 3] },
        { name: 'two', dtype: 'float32', dims: [2, 2, 3] },
      ],
      nodes: [
        { op: 'RmsNorm', inputs: ['x', 'gamma3', 'beta3'], outputs: ['last'] },
        { op: 'RmsNorm', inputs: ['x', 'gamma23'], outputs: ['two'], params: { axes: [1, 2], epsilon: 0.5 } },
      ],
    },
    {
      name: 'qweights',
      inputs: [{ name: 'x', dtype: 'float16', dims: [1, 2] }],
      outputs: [{ name: 'out', dtype: 'float32', dims: [1, 2] }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'Wq'], outputs: ['out'] }],
    },
  ],
};

/** shared.bin: a prefill and a decode graph over one embedding table (weight sharing). */
export const shared: ReferenceBinaryDesc = {
  description: 'prefill+decode',
  firstTensorId: 7000,
  statics: [{ name: 'embed', dtype: 'float32', dims: [8, 4], data: range(32, (i) => i) }],
  graphs: [
    {
      name: 'prefill',
      inputs: [{ name: 'ids', dtype: 'int64', dims: [1, 4] }],
      outputs: [{ name: 'hidden', dtype: 'float32', dims: [1, 4, 4] }],
      nodes: [{ op: 'Gather', inputs: ['embed', 'ids'], outputs: ['hidden'] }],
    },
    {
      name: 'decode',
      inputs: [{ name: 'ids', dtype: 'int32', dims: [1, 1] }],
      outputs: [{ name: 'hidden', dtype: 'float32', dims: [1, 1, 4] }],
      nodes: [{ op: 'Gather', inputs: ['embed', 'ids'], outputs: ['hidden'] }],
    },
  ],
};

function halfBits(x: number): number {
  // Exact for the small multiples of 0.5 used here.
  if (x === 0) return 0;
  const e = Math.floor(Math.log2(x));
  const m = Math.round((x / 2 ** e - 1) * 1024);
  return ((e + 15) << 10) | m;
}

export async function writeFixtures(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await writeReferenceBinary(join(dir, 'basic.bin'), basic);
  await writeReferenceBinary(join(dir, 'ops.bin'), ops);
  await writeReferenceBinary(join(dir, 'shared.bin'), shared);
}
