/**
 * Qwen3-VL's learned vision position embedding for a patch grid, as
 * Qwen3VLVisionModel.fast_pos_embed_interpolate computes it (transformers
 * models/qwen3_vl/modeling_qwen3_vl.py): the table holds a G × G grid (G =
 * sqrt(num_position_embeddings), 48 for 2304 rows); for an h × w patch grid,
 *
 *   hi = linspace(0, G−1, h), wi = linspace(0, G−1, w)            (float32)
 *   floor = int(·), ceil = min(floor + 1, G − 1), d = value − floor
 *   emb(r, c) = (1−dh)(1−dw)·E[fh, fw] + (1−dh)dw·E[fh, cw] + dh(1−dw)·E[ch, fw] + dh·dw·E[ch, cw]
 *
 * (bilinear with align_corners=True), summed in that order in float32, repeated for each
 * of t frames and permuted into merge-window order like the patches
 * (view(t, h/m, m, w/m, m, D).permute(0, 1, 3, 2, 4, 5)). `interpolate: 'none'` takes the
 * rows as they are (the table's grid must be the image's).
 */
import { QnnNodeError, outOfRange } from '../../errors.js';
import type { Tensor } from '../../tensor/Tensor.js';

export interface PosEmbedOptions {
  /** Patch grid (before the merge): rows, columns, frames. */
  readonly gridHeight: number;
  readonly gridWidth: number;
  readonly temporal?: number;
  readonly mergeSize: number;
  readonly interpolate?: 'bilinear' | 'none';
}

const f32 = Math.fround;

/** torch.linspace(0, end, steps) in float32 (the symmetric form ATen uses on CPU). */
export function linspaceF32(end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) return out;
  const step = f32(end / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < halfway ? f32(f32(step * i)) : f32(end - f32(step * (steps - i - 1)));
  return out;
}

function checkOptions(table: Tensor, o: PosEmbedOptions): { side: number; dim: number } {
  for (const key of ['gridHeight', 'gridWidth', 'mergeSize'] as const) {
    if (!Number.isSafeInteger(o[key]) || o[key] < 1) throw outOfRange('a whole number >= 1', key, o[key]);
  }
  if (o.temporal !== undefined && (!Number.isSafeInteger(o.temporal) || o.temporal < 1)) throw outOfRange('a whole number >= 1', 'temporal', o.temporal);
  if (o.gridHeight % o.mergeSize !== 0 || o.gridWidth % o.mergeSize !== 0) {
    throw new QnnNodeError('SHAPE_MISMATCH', `a ${o.gridHeight}x${o.gridWidth} patch grid does not split into ${o.mergeSize}x${o.mergeSize} merge windows`, { details: { gridHeight: o.gridHeight, gridWidth: o.gridWidth, mergeSize: o.mergeSize } });
  }
  const d = table.dims;
  if (d.length !== 2) throw new QnnNodeError('SHAPE_MISMATCH', `a position embedding table is [rows, dim] but this one is [${d.join(', ')}]`, { details: { dims: [...d] } });
  const side = Math.round(Math.sqrt(d[0]));
  if (side * side !== d[0]) throw new QnnNodeError('SHAPE_MISMATCH', `a position embedding table holds a square grid but has ${d[0]} rows`, { details: { rows: d[0] } });
  if (o.interpolate === 'none' && (side !== o.gridHeight || side !== o.gridWidth)) {
    throw new QnnNodeError('SHAPE_MISMATCH', `interpolate "none" needs the table's ${side}x${side} grid to be the image's ${o.gridWidth}x${o.gridHeight} patch grid`, { details: { side, gridHeight: o.gridHeight, gridWidth: o.gridWidth } });
  }
  return { side, dim: d[1] };
}

/** The position embeddings [t·h·w, dim] in merge-window order (float32). */
export function interpolatePosEmbed(table: Tensor, o: PosEmbedOptions): Float32Array {
  const { side: G, dim: D } = checkOptions(table, o);
  const { gridHeight: h, gridWidth: w, mergeSize: m } = o;
  const t = o.temporal ?? 1;
  const E = table.dtype === 'float32' ? (table.data as Float32Array) : table.toFloat32();
  // Row-major h × w grid first (HF's patch_pos_embeds), then the permutation.
  const grid = new Float32Array(h * w * D);
  if (o.interpolate === 'none') {
    grid.set(E.subarray(0, h * w * D));
  } else {
    const hi = linspaceF32(G - 1, h);
    const wi = linspaceF32(G - 1, w);
    for (let r = 0; r < h; r++) {
      const fh = Math.trunc(hi[r]);
      const ch = Math.min(fh + 1, G - 1);
      const dh = f32(hi[r] - fh);
      for (let c = 0; c < w; c++) {
        const fw = Math.trunc(wi[c]);
        const cw = Math.min(fw + 1, G - 1);
        const dw = f32(wi[c] - fw);
        const w00 = f32(f32(1 - dh) * f32(1 - dw));
        const w01 = f32(f32(1 - dh) * dw);
        const w10 = f32(dh * f32(1 - dw));
        const w11 = f32(dh * dw);
        const e00 = (fh * G + fw) * D;
        const e01 = (fh * G + cw) * D;
        const e10 = (ch * G + fw) * D;
        const e11 = (ch * G + cw) * D;
        const o0 = (r * w + c) * D;
        for (let k = 0; k < D; k++) {
          grid[o0 + k] = f32(f32(f32(f32(E[e00 + k] * w00) + f32(E[e01 + k] * w01)) + f32(E[e10 + k] * w10)) + f32(E[e11 + k] * w11));
        }
      }
    }
  }
  const out = new Float32Array(t * h * w * D);
  let o0 = 0;
  for (let f = 0; f < t; f++) {
    for (let bh = 0; bh < h / m; bh++) {
      for (let bw = 0; bw < w / m; bw++) {
        for (let mh = 0; mh < m; mh++) {
          for (let mw = 0; mw < m; mw++, o0 += D) {
            const src = ((bh * m + mh) * w + (bw * m + mw)) * D;
            out.set(grid.subarray(src, src + D), o0);
          }
        }
      }
    }
  }
  return out;
}

const cache = new WeakMap<Tensor, Map<string, Float32Array>>();

/** interpolatePosEmbed, cached per table and options (a fixed image size pays it once). */
export function cachedPosEmbed(table: Tensor, o: PosEmbedOptions): Float32Array {
  const key = `${o.gridHeight}x${o.gridWidth}x${o.temporal ?? 1}/${o.mergeSize}/${o.interpolate ?? 'bilinear'}`;
  let byKey = cache.get(table);
  const hit = byKey?.get(key);
  if (hit) return hit;
  const v = interpolatePosEmbed(table, o);
  if (!byKey) cache.set(table, (byKey = new Map()));
  byKey.set(key, v);
  return v;
}
