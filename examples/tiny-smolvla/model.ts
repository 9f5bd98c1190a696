/**
 * The tiny SmolVLA-shaped model as reference-backend graphs (lib/reference/writer.ts): the
 * card's three stages at toy sizes, with the structure LeRobot's SmolVLA has
 * (src/lerobot/policies/smolvla/modeling_smolvla.py):
 *
 * - vision_encoder: pixels [1,3,8,8] → 4×4 patches → patch matmul + bias → [1, 4, H].
 * - llm_backbone: prefix = [image 0 ×√H | image 1 ×√H | language ×√H | state_proj(state)]
 *   (15 tokens); one attention layer under LeRobot's prefix mask — make_att_2d_masks with
 *   att_masks 0 for image/language and 1 for the state token (a constant block mask, as the
 *   card's folded CumSum chains make it) AND the pad mask (language padding) — emits the
 *   KV tensor [2, 15, H] (keys and values of the layer's output).
 * - action_head: x_t [1,5,6] and the timestep t → LeRobot's embed_suffix: action_in_proj,
 *   a time feature (tanh(t·w + b) where SmolVLA has a sinusoidal embedding), concatenated,
 *   action_time_mlp_in → SiLU → action_time_mlp_out; cross-attention to the KV under the
 *   prefix pad mask; Gelu; action_out_proj → velocity [1,5,6].
 *
 * Graph I/O is float32 or float16 (the `fp16` build also stores its weights in float16,
 * like W16A16); everything inside is computed in float32 by the reference backend.
 */
import type { RefGraphDesc, RefStaticDesc, RefTensorDesc, ReferenceBinaryDesc } from '../../lib/reference/writer.js';
import { Tensor } from '../../lib/tensor/Tensor.js';

/** Sizes. */
export const TINY = {
  image: 8,
  patch: 4,
  patches: 4,
  patchDim: 48,
  hidden: 16,
  lang: 6,
  vocab: 40,
  maxStateDim: 6,
  stateDim: 4,
  chunk: 5,
  maxActionDim: 6,
  actionDim: 3,
  /** 2 cameras × 4 patches + 6 language tokens + 1 state token. */
  prefix: 15,
} as const;

/** Weight name → dims (stored as float32 .npy by the generator). */
export const WEIGHT_DIMS: Readonly<Record<string, readonly number[]>> = {
  w_patch: [TINY.patchDim, TINY.hidden],
  b_patch: [TINY.hidden],
  w_state: [TINY.maxStateDim, TINY.hidden],
  b_state: [TINY.hidden],
  wq: [TINY.hidden, TINY.hidden],
  wk: [TINY.hidden, TINY.hidden],
  wv: [TINY.hidden, TINY.hidden],
  wo: [TINY.hidden, TINY.hidden],
  wk2: [TINY.hidden, TINY.hidden],
  wv2: [TINY.hidden, TINY.hidden],
  w_in: [TINY.maxActionDim, TINY.hidden],
  b_in: [TINY.hidden],
  w_t: [1, TINY.hidden],
  b_t: [TINY.hidden],
  w_mlp_in: [2 * TINY.hidden, TINY.hidden],
  b_mlp_in: [TINY.hidden],
  w_mlp_out: [TINY.hidden, TINY.hidden],
  b_mlp_out: [TINY.hidden],
  wq2: [TINY.hidden, TINY.hidden],
  wo2: [TINY.hidden, TINY.hidden],
  w_out: [TINY.hidden, TINY.maxActionDim],
  b_out: [TINY.maxActionDim],
};

export type Precision = 'fp32' | 'fp16';
type Weights = Readonly<Record<string, Float32Array>>;

const f32 = (name: string, dims: readonly number[]): RefTensorDesc => ({ name, dtype: 'float32', dims });

function statics(names: readonly string[], weights: Weights, precision: Precision): RefStaticDesc[] {
  return names.map((name) => {
    const dims = WEIGHT_DIMS[name];
    return precision === 'fp32'
      ? { ...f32(name, dims), data: weights[name] }
      : { name, dtype: 'float16', dims, data: Tensor.fromFloat32('float16', weights[name], dims).data as Uint16Array };
  });
}

/** LeRobot's make_att_2d_masks for att_masks [0 × 14, 1]: token i may attend j when cumsum[j] <= cumsum[i]. */
export function blockMask(): Float32Array {
  const n = TINY.prefix;
  const cum = Array.from({ length: n }, (_, i) => (i === n - 1 ? 1 : 0));
  return Float32Array.from({ length: n * n }, (_, k) => (cum[k % n] <= cum[Math.floor(k / n)] ? 1 : 0));
}

const MASK_BIG = 1e9;

export function visionBinary(weights: Weights, precision: Precision): ReferenceBinaryDesc {
  const io = precision === 'fp32' ? 'float32' : 'float16';
  const { image, patch, patches, patchDim, hidden } = TINY;
  const grid = image / patch;
  const graph: RefGraphDesc = {
    name: 'vision_encoder',
    inputs: [{ name: 'pixel_values', dtype: io, dims: [1, 3, image, image] }],
    outputs: [{ name: 'image_embeddings', dtype: io, dims: [1, patches, hidden] }],
    tensors: [f32('px', [1, 3, image, image]), f32('p6', [1, 3, grid, patch, grid, patch]), f32('pt', [1, grid, grid, 3, patch, patch]), f32('patches', [1, patches, patchDim]), f32('mm', [1, patches, hidden]), f32('emb', [1, patches, hidden])],
    nodes: [
      { op: 'Cast', inputs: ['pixel_values'], outputs: ['px'] },
      { op: 'Reshape', inputs: ['px'], outputs: ['p6'] },
      { op: 'Transpose', inputs: ['p6'], outputs: ['pt'], params: { perm: [0, 2, 4, 1, 3, 5] } },
      { op: 'Reshape', inputs: ['pt'], outputs: ['patches'] },
      { op: 'MatMul', inputs: ['patches', 'w_patch'], outputs: ['mm'] },
      { op: 'ElementWiseAdd', inputs: ['mm', 'b_patch'], outputs: ['emb'] },
      { op: 'Cast', inputs: ['emb'], outputs: ['image_embeddings'] },
    ],
  };
  return { description: `tiny smolvla vision encoder (${precision})`, statics: statics(['w_patch', 'b_patch'], weights, precision), graphs: [graph] };
}

export function backboneBinary(weights: Weights, precision: Precision): ReferenceBinaryDesc {
  const io = precision === 'fp32' ? 'float32' : 'float16';
  const { patches, hidden: H, lang: L, maxStateDim: S, prefix: N } = TINY;
  const graph: RefGraphDesc = {
    name: 'llm_backbone',
    inputs: [
      { name: 'image_embeddings_0', dtype: io, dims: [1, patches, H] },
      { name: 'image_embeddings_1', dtype: io, dims: [1, patches, H] },
      { name: '/embed_tokens/Gather_output_0', dtype: io, dims: [1, L, H] },
      { name: 'lang_masks', dtype: 'int32', dims: [1, L] },
      { name: 'state', dtype: io, dims: [1, S] },
    ],
    outputs: [{ name: 'kv_cache', dtype: io, dims: [2, N, H] }],
    tensors: [
      f32('lm', [1, L]), f32('pad', [1, N]), f32('pad_col', [N, 1]), f32('pad2d', [N, N]), f32('att', [N, N]), f32('am1', [N, N]), f32('madd', [N, N]),
      f32('i0', [1, patches, H]), f32('i1', [1, patches, H]), f32('le', [1, L, H]),
      f32('s1', [1, H]), f32('s2', [1, H]), f32('s3', [1, 1, H]), f32('x', [1, N, H]), f32('x2', [N, H]),
      f32('q', [N, H]), f32('k', [N, H]), f32('v', [N, H]), f32('sc', [N, N]), f32('scs', [N, N]), f32('scm', [N, N]), f32('p', [N, N]),
      f32('ctx', [N, H]), f32('o', [N, H]), f32('h', [N, H]), f32('k2', [N, H]), f32('v2', [N, H]), f32('k3', [1, N, H]), f32('v3', [1, N, H]), f32('kv', [2, N, H]),
    ],
    nodes: [
      // LeRobot embed_prefix + make_att_2d_masks: pad mask [images | language | state], outer product, AND the block mask.
      { op: 'Cast', inputs: ['lang_masks'], outputs: ['lm'] },
      { op: 'Concat', inputs: ['ones_img', 'lm', 'one'], outputs: ['pad'], params: { axis: 1 } },
      { op: 'Reshape', inputs: ['pad'], outputs: ['pad_col'] },
      { op: 'MatMul', inputs: ['pad_col', 'pad'], outputs: ['pad2d'] },
      { op: 'ElementWiseMultiply', inputs: ['block_mask', 'pad2d'], outputs: ['att'] },
      { op: 'ElementWiseSubtract', inputs: ['att', 'one'], outputs: ['am1'] },
      { op: 'ElementWiseMultiply', inputs: ['am1', 'big'], outputs: ['madd'] },
      // Image and language embeddings × √hidden; the state token from state_proj.
      { op: 'ElementWiseMultiply', inputs: ['image_embeddings_0', 'sqrt_h'], outputs: ['i0'] },
      { op: 'ElementWiseMultiply', inputs: ['image_embeddings_1', 'sqrt_h'], outputs: ['i1'] },
      { op: 'ElementWiseMultiply', inputs: ['/embed_tokens/Gather_output_0', 'sqrt_h'], outputs: ['le'] },
      { op: 'MatMul', inputs: ['state', 'w_state'], outputs: ['s1'] },
      { op: 'ElementWiseAdd', inputs: ['s1', 'b_state'], outputs: ['s2'] },
      { op: 'Reshape', inputs: ['s2'], outputs: ['s3'] },
      { op: 'Concat', inputs: ['i0', 'i1', 'le', 's3'], outputs: ['x'], params: { axis: 1 } },
      { op: 'Reshape', inputs: ['x'], outputs: ['x2'] },
      // One attention layer; its output's keys and values are the KV the action expert reads.
      { op: 'MatMul', inputs: ['x2', 'wq'], outputs: ['q'] },
      { op: 'MatMul', inputs: ['x2', 'wk'], outputs: ['k'] },
      { op: 'MatMul', inputs: ['x2', 'wv'], outputs: ['v'] },
      { op: 'MatMul', inputs: ['q', 'k'], outputs: ['sc'], params: { transpose_in1: true } },
      { op: 'ElementWiseMultiply', inputs: ['sc', 'inv_sqrt_h'], outputs: ['scs'] },
      { op: 'ElementWiseAdd', inputs: ['scs', 'madd'], outputs: ['scm'] },
      { op: 'Softmax', inputs: ['scm'], outputs: ['p'] },
      { op: 'MatMul', inputs: ['p', 'v'], outputs: ['ctx'] },
      { op: 'MatMul', inputs: ['ctx', 'wo'], outputs: ['o'] },
      { op: 'ElementWiseAdd', inputs: ['x2', 'o'], outputs: ['h'] },
      { op: 'MatMul', inputs: ['h', 'wk2'], outputs: ['k2'] },
      { op: 'MatMul', inputs: ['h', 'wv2'], outputs: ['v2'] },
      { op: 'Reshape', inputs: ['k2'], outputs: ['k3'] },
      { op: 'Reshape', inputs: ['v2'], outputs: ['v3'] },
      { op: 'Concat', inputs: ['k3', 'v3'], outputs: ['kv'], params: { axis: 0 } },
      { op: 'Cast', inputs: ['kv'], outputs: ['kv_cache'] },
    ],
  };
  return {
    description: `tiny smolvla backbone (${precision})`,
    statics: [
      ...statics(['w_state', 'b_state', 'wq', 'wk', 'wv', 'wo', 'wk2', 'wv2'], weights, precision),
      { ...f32('block_mask', [N, N]), data: blockMask() },
      { ...f32('ones_img', [1, 2 * patches]), fill: 1 },
      { ...f32('one', [1, 1]), fill: 1 },
      { ...f32('big', [1]), fill: MASK_BIG },
      { ...f32('sqrt_h', [1]), fill: Math.sqrt(H) },
      { ...f32('inv_sqrt_h', [1]), fill: 1 / Math.sqrt(H) },
    ],
    graphs: [graph],
  };
}

export function actionBinary(weights: Weights, precision: Precision): ReferenceBinaryDesc {
  const io = precision === 'fp32' ? 'float32' : 'float16';
  const { hidden: H, chunk: C, maxActionDim: A, prefix: N } = TINY;
  const graph: RefGraphDesc = {
    name: 'action_head',
    inputs: [
      { name: 'x_t', dtype: io, dims: [1, C, A] },
      { name: 'timestep', dtype: io, dims: [1] },
      { name: 'kv_cache', dtype: io, dims: [2, N, H] },
      { name: 'prefix_pad_masks', dtype: 'int32', dims: [1, N] },
    ],
    outputs: [{ name: 'velocity', dtype: io, dims: [1, C, A] }],
    tensors: [
      f32('x3', [1, C, A]), f32('xt', [C, A]), f32('t1', [1]), f32('kvf', [2, N, H]), f32('a', [C, H]), f32('a1', [C, H]), f32('tt', [1, 1]), f32('te', [1, H]), f32('te1', [1, H]), f32('temb', [1, H]), f32('tx', [C, H]), f32('cat', [C, 2 * H]), f32('m0', [C, H]), f32('m1', [C, H]), f32('sg', [C, H]), f32('sl', [C, H]), f32('g0', [C, H]), f32('g', [C, H]),
      f32('k', [1, N, H]), f32('v', [1, N, H]), f32('k2', [N, H]), f32('v2', [N, H]), f32('q', [C, H]), f32('sc', [C, N]), f32('scs', [C, N]),
      f32('pm', [1, N]), f32('pm1', [1, N]), f32('madd', [1, N]), f32('scm', [C, N]), f32('p', [C, N]), f32('ctx', [C, H]), f32('o', [C, H]), f32('h', [C, H]),
      f32('u', [C, H]), f32('vel', [C, A]), f32('vel1', [C, A]), f32('vel3', [1, C, A]),
    ],
    nodes: [
      { op: 'Cast', inputs: ['x_t'], outputs: ['x3'] },
      { op: 'Reshape', inputs: ['x3'], outputs: ['xt'] },
      { op: 'MatMul', inputs: ['xt', 'w_in'], outputs: ['a'] },
      { op: 'ElementWiseAdd', inputs: ['a', 'b_in'], outputs: ['a1'] },
      { op: 'Cast', inputs: ['timestep'], outputs: ['t1'] },
      { op: 'Reshape', inputs: ['t1'], outputs: ['tt'] },
      { op: 'MatMul', inputs: ['tt', 'w_t'], outputs: ['te'] },
      { op: 'ElementWiseAdd', inputs: ['te', 'b_t'], outputs: ['te1'] },
      { op: 'Tanh', inputs: ['te1'], outputs: ['temb'] },
      // embed_suffix: cat(action_emb, time_emb) → mlp_in → SiLU (x·sigmoid(x)) → mlp_out.
      { op: 'ElementWiseAdd', inputs: ['zeros_ch', 'temb'], outputs: ['tx'] },
      { op: 'Concat', inputs: ['a1', 'tx'], outputs: ['cat'], params: { axis: 1 } },
      { op: 'MatMul', inputs: ['cat', 'w_mlp_in'], outputs: ['m0'] },
      { op: 'ElementWiseAdd', inputs: ['m0', 'b_mlp_in'], outputs: ['m1'] },
      { op: 'Sigmoid', inputs: ['m1'], outputs: ['sg'] },
      { op: 'ElementWiseMultiply', inputs: ['m1', 'sg'], outputs: ['sl'] },
      { op: 'MatMul', inputs: ['sl', 'w_mlp_out'], outputs: ['g0'] },
      { op: 'ElementWiseAdd', inputs: ['g0', 'b_mlp_out'], outputs: ['g'] },
      // Cross-attention to the backbone's keys/values; padded prefix tokens masked out.
      { op: 'Cast', inputs: ['kv_cache'], outputs: ['kvf'] },
      { op: 'StridedSlice', inputs: ['kvf'], outputs: ['k'], params: { ranges: [0, 1, 1, 0, N, 1, 0, H, 1] } },
      { op: 'StridedSlice', inputs: ['kvf'], outputs: ['v'], params: { ranges: [1, 2, 1, 0, N, 1, 0, H, 1] } },
      { op: 'Reshape', inputs: ['k'], outputs: ['k2'] },
      { op: 'Reshape', inputs: ['v'], outputs: ['v2'] },
      { op: 'MatMul', inputs: ['g', 'wq2'], outputs: ['q'] },
      { op: 'MatMul', inputs: ['q', 'k2'], outputs: ['sc'], params: { transpose_in1: true } },
      { op: 'ElementWiseMultiply', inputs: ['sc', 'inv_sqrt_h'], outputs: ['scs'] },
      { op: 'Cast', inputs: ['prefix_pad_masks'], outputs: ['pm'] },
      { op: 'ElementWiseSubtract', inputs: ['pm', 'one'], outputs: ['pm1'] },
      { op: 'ElementWiseMultiply', inputs: ['pm1', 'big'], outputs: ['madd'] },
      { op: 'ElementWiseAdd', inputs: ['scs', 'madd'], outputs: ['scm'] },
      { op: 'Softmax', inputs: ['scm'], outputs: ['p'] },
      { op: 'MatMul', inputs: ['p', 'v2'], outputs: ['ctx'] },
      { op: 'MatMul', inputs: ['ctx', 'wo2'], outputs: ['o'] },
      { op: 'ElementWiseAdd', inputs: ['g', 'o'], outputs: ['h'] },
      { op: 'Gelu', inputs: ['h'], outputs: ['u'] },
      { op: 'MatMul', inputs: ['u', 'w_out'], outputs: ['vel'] },
      { op: 'ElementWiseAdd', inputs: ['vel', 'b_out'], outputs: ['vel1'] },
      { op: 'Reshape', inputs: ['vel1'], outputs: ['vel3'] },
      { op: 'Cast', inputs: ['vel3'], outputs: ['velocity'] },
    ],
  };
  return {
    description: `tiny smolvla action head (${precision})`,
    statics: [
      ...statics(['w_in', 'b_in', 'w_t', 'b_t', 'w_mlp_in', 'b_mlp_in', 'w_mlp_out', 'b_mlp_out', 'wq2', 'wo2', 'w_out', 'b_out'], weights, precision),
      { ...f32('zeros_ch', [C, H]), fill: 0 },
      { ...f32('one', [1]), fill: 1 },
      { ...f32('big', [1]), fill: MASK_BIG },
      { ...f32('inv_sqrt_h', [1]), fill: 1 / Math.sqrt(H) },
    ],
    graphs: [graph],
  };
}
