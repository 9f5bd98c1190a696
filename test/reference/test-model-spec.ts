/**
 * What the test model library (testmodel/libQnnNodeTestModel.so, native/reference-backend/
 * models/test_model.cc) composes, written independently of the C++ so tests can compare:
 * graph and tensor names, dtypes, dims, quantization, static data and the expected outputs.
 * docs/models.md documents the same.
 */
import { halfToNumber, numberToHalf } from '../../lib/tensor/fp16.js';

export const QNN_DTYPE = { float32: '0x0232', float16: '0x0216', ufixed8: '0x0408', int32: '0x0032', bool8: '0x0508' } as const;
export const TENSOR_TYPE = { APP_WRITE: 0, APP_READ: 1, NATIVE: 3, STATIC: 4 } as const;

export interface SpecTensor {
  name: string;
  type: number;
  dtype: string;
  dims: number[];
  quant?: { scale: number; offset: number };
  /** STATIC: the stored bytes. */
  data?: Uint8Array;
}
export interface SpecNode {
  name: string;
  type: string;
  inputs: string[];
  outputs: string[];
  params: { name: string; dtype: string; value: number }[];
}
export interface SpecGraph {
  name: string;
  tensors: SpecTensor[];
  nodes: SpecNode[];
  inputs: string[];
  outputs: string[];
}

export function mlpWeight(): Float32Array {
  const w = new Float32Array(32);
  for (let i = 0; i < 8; i++) for (let j = 0; j < 4; j++) w[i * 4 + j] = (((4 * i + j) % 7) - 3) / 8;
  return w;
}
export function mlpBias(): Float32Array {
  return Float32Array.from([0, 1, 2, 3], (j) => (j - 1.5) / 10);
}
export function u8Bias(): Uint8Array {
  return Uint8Array.from({ length: 16 }, (_, k) => 60 + 10 * k);
}
export const GAIN = [0.5, 1, 1.5, 2];

const bytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const q = (scale: number, offset: number) => ({ scale: Math.fround(scale), offset });

export const TEST_MODEL_GRAPHS: readonly SpecGraph[] = [
  {
    name: 'f32_mlp',
    tensors: [
      { name: 'input', type: TENSOR_TYPE.APP_WRITE, dtype: QNN_DTYPE.float32, dims: [1, 8] },
      { name: 'fc_weight', type: TENSOR_TYPE.STATIC, dtype: QNN_DTYPE.float32, dims: [8, 4], data: bytes(mlpWeight()) },
      { name: 'fc_bias', type: TENSOR_TYPE.STATIC, dtype: QNN_DTYPE.float32, dims: [4], data: bytes(mlpBias()) },
      { name: 'fc_matmul_out', type: TENSOR_TYPE.NATIVE, dtype: QNN_DTYPE.float32, dims: [1, 4] },
      { name: 'fc_add_out', type: TENSOR_TYPE.NATIVE, dtype: QNN_DTYPE.float32, dims: [1, 4] },
      { name: 'output', type: TENSOR_TYPE.APP_READ, dtype: QNN_DTYPE.float32, dims: [1, 4] },
    ],
    nodes: [
      {
        name: 'fc_matmul',
        type: 'MatMul',
        inputs: ['input', 'fc_weight'],
        outputs: ['fc_matmul_out'],
        params: [
          { name: 'transpose_in0', dtype: QNN_DTYPE.bool8, value: 0 },
          { name: 'transpose_in1', dtype: QNN_DTYPE.bool8, value: 0 },
        ],
      },
      { name: 'fc_bias_add', type: 'ElementWiseAdd', inputs: ['fc_matmul_out', 'fc_bias'], outputs: ['fc_add_out'], params: [] },
      { name: 'fc_relu', type: 'Relu', inputs: ['fc_add_out'], outputs: ['output'], params: [] },
    ],
    inputs: ['input'],
    outputs: ['output'],
  },
  {
    name: 'u8_add',
    tensors: [
      { name: 'in_a', type: TENSOR_TYPE.APP_WRITE, dtype: QNN_DTYPE.ufixed8, dims: [1, 16], quant: q(0.05, -128) },
      { name: 'in_b', type: TENSOR_TYPE.APP_WRITE, dtype: QNN_DTYPE.ufixed8, dims: [1, 16], quant: q(0.05, -128) },
      { name: 'bias_q', type: TENSOR_TYPE.STATIC, dtype: QNN_DTYPE.ufixed8, dims: [1, 16], quant: q(0.02, -100), data: u8Bias() },
      { name: 'ab_sum', type: TENSOR_TYPE.NATIVE, dtype: QNN_DTYPE.ufixed8, dims: [1, 16], quant: q(0.1, -128) },
      { name: 'sum', type: TENSOR_TYPE.APP_READ, dtype: QNN_DTYPE.ufixed8, dims: [1, 16], quant: q(0.1, -128) },
    ],
    nodes: [
      { name: 'add_ab', type: 'ElementWiseAdd', inputs: ['in_a', 'in_b'], outputs: ['ab_sum'], params: [] },
      { name: 'add_bias', type: 'ElementWiseAdd', inputs: ['ab_sum', 'bias_q'], outputs: ['sum'], params: [] },
    ],
    inputs: ['in_a', 'in_b'],
    outputs: ['sum'],
  },
  {
    name: 'f16_mul',
    tensors: [
      { name: 'x', type: TENSOR_TYPE.APP_WRITE, dtype: QNN_DTYPE.float16, dims: [2, 4] },
      { name: 'y', type: TENSOR_TYPE.APP_WRITE, dtype: QNN_DTYPE.float16, dims: [2, 4] },
      { name: 'gain', type: TENSOR_TYPE.STATIC, dtype: QNN_DTYPE.float16, dims: [4], data: bytes(Uint16Array.from(GAIN, numberToHalf)) },
      { name: 'xy', type: TENSOR_TYPE.NATIVE, dtype: QNN_DTYPE.float16, dims: [2, 4] },
      { name: 'product', type: TENSOR_TYPE.APP_READ, dtype: QNN_DTYPE.float16, dims: [2, 4] },
    ],
    nodes: [
      { name: 'mul_xy', type: 'ElementWiseMultiply', inputs: ['x', 'y'], outputs: ['xy'], params: [] },
      { name: 'mul_gain', type: 'ElementWiseMultiply', inputs: ['xy', 'gain'], outputs: ['product'], params: [] },
    ],
    inputs: ['x', 'y'],
    outputs: ['product'],
  },
];

/** f32_mlp: output[j] = max(0, sum_i input[i] * W[i][j] + b[j]) (in double; compare with a tolerance). */
export function expectedMlp(input: readonly number[]): number[] {
  const w = mlpWeight();
  const b = mlpBias();
  return [0, 1, 2, 3].map((j) => {
    let acc = b[j];
    for (let i = 0; i < 8; i++) acc += input[i] * w[i * 4 + j];
    return Math.max(0, acc);
  });
}

const requant = (real: number, scale: number, offset: number): number => Math.min(255, Math.max(0, Math.round(real / scale) - offset));

/** u8_add: quantized q values of `sum` from the q values of in_a and in_b (each add requantizes). */
export function expectedU8Add(a: readonly number[], b: readonly number[]): number[] {
  const bias = u8Bias();
  return a.map((qa, k) => {
    const ab = requant(0.05 * (qa - 128) + 0.05 * (b[k] - 128), 0.1, -128);
    return requant(0.1 * (ab - 128) + 0.02 * (bias[k] - 100), 0.1, -128);
  });
}

/** f16_mul: product = half(half(x*y) * gain[c]). */
export function expectedF16Mul(x: readonly number[], y: readonly number[]): number[] {
  const h = (v: number) => halfToNumber(numberToHalf(v));
  return x.map((xv, k) => h(h(xv * y[k]) * GAIN[k % 4]));
}
