/**
 * `normalize`: per-dimension mean/std normalization over the last axis, LeRobot's
 * MEAN_STD mode (lerobot/processor/normalize_processor.py): `(x − mean) / (std + eps)`
 * (eps 1e-8 by default), and its inverse `x · std + mean` with `mode: "unnormalize"`.
 * Statistics come from a `stats` asset (`stats` + `key`, e.g. "observation.state") or from
 * two tensor assets (`mean`, `std`, e.g. .npy files). Computed in float64.
 */
import { Tensor } from '../../tensor/Tensor.js';
import type { HostOpContext, HostOpFn } from '../hostops.js';
import { finiteParam, floatDtypeParam } from './tensor.js';

function statsOf(ctx: HostOpContext): { mean: Float64Array; std: Float64Array; source: string } {
  const p = ctx.params;
  if (typeof p.stats === 'string') {
    const key = String(p.key);
    const feature = ctx.assets.stats(p.stats).get(key);
    const mean = feature?.get('mean');
    const std = feature?.get('std');
    if (!mean || !std) {
      const keys = [...ctx.assets.stats(p.stats).entries()].filter(([, s]) => s.has('mean') && s.has('std')).map(([k]) => JSON.stringify(k.slice(0, 80)));
      const shown = keys.length > 8 ? [...keys.slice(0, 8), `… ${keys.length - 8} more`] : keys;
      throw ctx.fail(`expected a feature with mean and std (${shown.join(', ') || 'none'}) for key in stats asset ${JSON.stringify(p.stats)} but received ${JSON.stringify(key)}`, { key });
    }
    return { mean, std, source: `${p.stats}:${key}` };
  }
  const mean = ctx.assets.tensor(String(p.mean)).toFloat64();
  const std = ctx.assets.tensor(String(p.std)).toFloat64();
  if (mean.length !== std.length) throw ctx.fail(`expected as many std values as means (${mean.length}) for asset ${JSON.stringify(p.std)} but received ${std.length}`);
  return { mean, std, source: `${String(p.mean)}/${String(p.std)}` };
}

export const normalize: HostOpFn = (ctx) => {
  const x = ctx.inputs.input;
  if (!(x instanceof Tensor)) throw ctx.fail('expected a tensor for inputs.input');
  const { mean, std, source } = statsOf(ctx);
  const d = x.dims.length ? x.dims[x.dims.length - 1] : 1;
  if (d !== mean.length) {
    throw ctx.fail(`expected a tensor whose last axis has the ${mean.length} entries of ${source} for inputs.input but received [${x.dims.join(', ')}]`, { expected: mean.length, received: d });
  }
  const inverse = ctx.params.mode === 'unnormalize';
  const eps = finiteParam(ctx, 'eps', 1e-8, 0);
  // An int input (a robot state read as integers) still normalizes to floats.
  const dtype = floatDtypeParam(ctx, x.dtype === 'float16' || x.dtype === 'float64' ? x.dtype : 'float32');
  if (!inverse) {
    const k = std.findIndex((s) => !(s + eps > 0));
    if (k >= 0) throw ctx.fail(`expected std + eps > 0 in every dimension of ${source} but received std ${std[k]} + eps ${eps} in dimension ${k}`, { dimension: k });
  }
  const src = x.toFloat64();
  const r = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const k = i % d;
    r[i] = inverse ? src[i] * std[k] + mean[k] : (src[i] - mean[k]) / (std[k] + eps);
  }
  const out = ctx.outputTensor(dtype, x.dims);
  if (out.dtype === 'float64') (out.data as Float64Array).set(r);
  else if (out.dtype === 'float32') (out.data as Float32Array).set(r);
  else out.bytes.set(Tensor.fromFloat32(out.dtype, Float32Array.from(r), out.dims).bytes);
  return out;
};
