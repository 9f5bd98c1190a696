/**
 * The vision host ops of Stage F (step formats: schema/manifest.schema.json $defs/op_patchify,
 * op_matmul, op_pos_embed_add; docs/pipelines.md): image → patches in merge-window order →
 * patch embeddings (matmul with the Conv3d kernel + bias from tensor assets) → + learned
 * position embedding (bilinearly resized to the image's grid).
 */
import { QnnNodeError } from '../../errors.js';
import { Tensor } from '../../tensor/Tensor.js';
import { tensorBytes } from '../limits.js';
import type { HostOpContext, HostOpFn } from '../hostops.js';
import { matmulBias, matmulF32, matmulWeight, type MatmulEngine } from './matmul.js';
import { checkedParam, floatTensorInput, param, wholeNumber } from './op-args.js';
import { patchGrid, patchifyInto, type PatchifyOptions } from './patchify.js';
import { cachedPosEmbed, type PosEmbedOptions } from './pos-embed.js';

type OutDtype = 'float32' | 'float16';
const isOutDtype = (v: unknown): boolean => v === 'float32' || v === 'float16';

/** Runs `fn` turning plain errors (shape, size) into HOST_OP_FAILED naming the step; typed library errors pass. */
function guarded<T>(ctx: HostOpContext, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof QnnNodeError && cause.code !== 'SHAPE_MISMATCH' && cause.code !== 'SIZE_MISMATCH') throw cause;
    throw ctx.fail((cause as Error).message, { cause });
  }
}

/** The float32 data of `t`, converted within the allocation limit when it is float16. */
function floatData(ctx: HostOpContext, t: Tensor): Float32Array {
  if (t.dtype === 'float32') return t.data as Float32Array;
  ctx.checkAllocation(t.size * 4, `float32 staging for ${t.size} elements`);
  return t.toFloat32();
}

/** Writes float32 results into the step's output tensor of `dtype` (converting when float16). */
function outputFrom(ctx: HostOpContext, values: Float32Array, dtype: OutDtype, dims: readonly number[], target?: Tensor): Tensor {
  const out = target ?? ctx.outputTensor(dtype, dims);
  if (out.dtype === 'float32') {
    if (out.data !== values) (out.data as Float32Array).set(values);
  } else {
    out.bytes.set(Tensor.fromFloat32(dtype, values, dims).bytes);
  }
  return out;
}

export const patchify: HostOpFn = (ctx) => {
  const image = floatTensorInput(ctx, 'image');
  const options: PatchifyOptions = {
    patchSize: wholeNumber(ctx, 'patchSize', 1, 16),
    temporalPatchSize: wholeNumber(ctx, 'temporalPatchSize', 1, 2),
    mergeSize: wholeNumber(ctx, 'mergeSize', 1, 2),
  };
  const dtype = checkedParam<OutDtype>(ctx, 'dtype', 'float32', '"float32" or "float16"', isOutDtype);
  const dims = image.dims[0] === 1 && image.dims.length === 4 ? image.dims.slice(1) : image.dims;
  const g = guarded(ctx, () => patchGrid(dims, options));
  const outDims = [g.gridT * g.gridH * g.gridW, g.patchDim];
  if (image.dtype !== 'float32') ctx.checkAllocation(image.size * 4, `float32 staging for ${image.size} pixels`);
  const out = ctx.outputTensor(dtype, outDims);
  if (dtype === 'float32') {
    guarded(ctx, () => patchifyInto(image.reshape(dims), options, out.data as Float32Array));
    return out;
  }
  ctx.checkAllocation(tensorBytes('float32', outDims), `float32 staging for patches [${outDims.join(', ')}]`);
  const staged = new Float32Array(outDims[0] * outDims[1]);
  guarded(ctx, () => patchifyInto(image.reshape(dims), options, staged));
  return outputFrom(ctx, staged, dtype, outDims, out);
};

export const matmul: HostOpFn = async (ctx) => {
  const input = floatTensorInput(ctx, 'input');
  const weightName = param<string>(ctx, 'weight', '');
  const biasName = param<string | undefined>(ctx, 'bias', undefined);
  const transpose = checkedParam(ctx, 'transposeWeight', false, 'a boolean', (v) => typeof v === 'boolean');
  const dtype = checkedParam<OutDtype>(ctx, 'dtype', 'float32', '"float32" or "float16"', isOutDtype);
  const engine = checkedParam<MatmulEngine>(ctx, 'engine', 'auto', '"auto", "native" or "js"', (v) => v === 'auto' || v === 'native' || v === 'js');
  const weight = guarded(ctx, () => matmulWeight(ctx.assets.tensor(weightName), transpose));
  const bias = biasName === undefined ? null : guarded(ctx, () => matmulBias(ctx.assets.tensor(biasName), weight.n));
  const d = input.dims;
  const k = d.length ? d[d.length - 1] : 0;
  if (d.length < 2 || k !== weight.k) {
    throw ctx.fail(`expected a tensor [.., M, ${weight.k}] for inputs.input (the weight ${JSON.stringify(weightName)} is [${weight.k} x ${weight.n}]) but received a ${input.dtype} tensor [${d.join(', ')}]`, { role: 'input' });
  }
  const m = input.size / k;
  const outDims = [...d.slice(0, -1), weight.n];
  ctx.checkAllocation(tensorBytes('float32', outDims), `a float32 matmul result [${outDims.join(', ')}]`);
  const a = floatData(ctx, input);
  let target = ctx.outputTensor(dtype, outDims);
  if (target.data.buffer === input.data.buffer) target = ctx.allocate(dtype, outDims); // never write over the input
  const result = target.dtype === 'float32' ? (target.data as Float32Array) : new Float32Array(m * weight.n);
  try {
    await matmulF32(a, weight, bias, result, m, engine);
  } catch (cause) {
    throw ctx.fail(`matmul failed: ${(cause as Error).message}`, { cause });
  }
  return outputFrom(ctx, result, dtype, outDims, target);
};

export const posEmbedAdd: HostOpFn = (ctx) => {
  const input = floatTensorInput(ctx, 'input');
  const options: PosEmbedOptions = {
    gridHeight: wholeNumber(ctx, 'gridHeight', 1),
    gridWidth: wholeNumber(ctx, 'gridWidth', 1),
    temporal: wholeNumber(ctx, 'temporal', 1, 1),
    mergeSize: wholeNumber(ctx, 'mergeSize', 1, 2),
    interpolate: checkedParam(ctx, 'interpolate', 'bilinear' as const, '"bilinear" or "none"', (v) => v === 'bilinear' || v === 'none'),
  };
  const dtype = checkedParam<OutDtype>(ctx, 'dtype', 'float32', '"float32" or "float16"', isOutDtype);
  const table = ctx.assets.tensor(param<string>(ctx, 'table', ''));
  const tokens = (options.temporal ?? 1) * options.gridHeight * options.gridWidth;
  const dim = table.dims[table.dims.length - 1];
  if (input.size !== tokens * dim || input.dims[input.dims.length - 1] !== dim) {
    throw ctx.fail(`expected a tensor [.., ${tokens}, ${dim}] (${options.gridHeight}x${options.gridWidth} patches of the table's width ${dim}) for inputs.input but received a ${input.dtype} tensor [${input.dims.join(', ')}]`, { role: 'input' });
  }
  ctx.checkAllocation(tensorBytes('float32', [tokens * 2, dim]), `float32 position embeddings for ${tokens} patches`);
  const pos = guarded(ctx, () => cachedPosEmbed(table, options));
  const x = floatData(ctx, input);
  const out = ctx.outputTensor(dtype, input.dims);
  const sum = out.dtype === 'float32' ? (out.data as Float32Array) : new Float32Array(input.size);
  for (let i = 0; i < sum.length; i++) sum[i] = x[i] + pos[i];
  return outputFrom(ctx, sum, dtype, input.dims, out);
};
