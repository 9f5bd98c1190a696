/**
 * Patch extraction as Qwen2-VL / Qwen2.5-VL / Qwen3-VL's image processor does it
 * (transformers Qwen2VLImageProcessor._preprocess): frames are padded to a multiple of
 * temporalPatchSize by repeating the last one (a still image becomes temporalPatchSize
 * identical frames), then
 *
 *   patches.reshape(gt, T, C, gh/m, m, P, gw/m, m, P).transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
 *          .reshape(gt·gh·gw, C·T·P·P)
 *
 * i.e. patches in merge-window order (window row, window col, row in window, col in
 * window) and each patch's vector ordered (channel, frame, y, x) — the flattening of the
 * Conv3d patch-embed kernel [out, C, T, P, P], so the patch embedding is one matmul.
 */
import { QnnNodeError, outOfRange } from '../../errors.js';
import type { Tensor } from '../../tensor/Tensor.js';

export interface PatchifyOptions {
  /** Spatial patch size P (Qwen3-VL 16, Qwen2-VL 14). */
  readonly patchSize: number;
  /** Frames per patch T (2). */
  readonly temporalPatchSize: number;
  /** Spatial merge size m (2): patches are ordered by m × m windows. */
  readonly mergeSize: number;
}

export interface PatchGrid {
  readonly frames: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Grid in patches: t, h, w (HF's grid_thw). */
  readonly gridT: number;
  readonly gridH: number;
  readonly gridW: number;
  /** Elements per patch vector: C·T·P·P. */
  readonly patchDim: number;
}

/** The grid an NCHW image [C, H, W], [1, C, H, W] or frames [F, C, H, W] makes. */
export function patchGrid(dims: readonly number[], o: PatchifyOptions): PatchGrid {
  for (const key of ['patchSize', 'temporalPatchSize', 'mergeSize'] as const) {
    if (!Number.isSafeInteger(o[key]) || o[key] < 1) throw outOfRange('a whole number >= 1', key, o[key]);
  }
  if (dims.length !== 3 && dims.length !== 4) throw new QnnNodeError('SHAPE_MISMATCH', `patchify takes an NCHW image [C, H, W] or frames [F, C, H, W] but received [${dims.join(', ')}]`, { details: { dims: [...dims] } });
  const [frames, channels, height, width] = dims.length === 3 ? [1, ...dims] : dims;
  const unit = o.patchSize * o.mergeSize;
  if (height % unit !== 0 || width % unit !== 0 || height === 0 || width === 0 || frames === 0 || channels === 0) {
    throw new QnnNodeError('SHAPE_MISMATCH', `patchify needs a height and width that are non-zero multiples of patchSize x mergeSize = ${unit} but the image is ${width}x${height}`, { details: { dims: [...dims], multiple: unit } });
  }
  const gridT = Math.ceil(frames / o.temporalPatchSize);
  return { frames, channels, height, width, gridT, gridH: height / o.patchSize, gridW: width / o.patchSize, patchDim: channels * o.temporalPatchSize * o.patchSize * o.patchSize };
}

/** Writes the patches [gridT·gridH·gridW, C·T·P·P] of `image` into `out` (float32). */
export function patchifyInto(image: Tensor, o: PatchifyOptions, out: Float32Array): PatchGrid {
  const g = patchGrid(image.dims, o);
  const { patchSize: P, temporalPatchSize: T, mergeSize: m } = o;
  if (out.length !== g.gridT * g.gridH * g.gridW * g.patchDim) {
    throw new QnnNodeError('SIZE_MISMATCH', `patchify output needs ${g.gridT * g.gridH * g.gridW * g.patchDim} elements but has ${out.length}`);
  }
  const src = image.dtype === 'float32' ? (image.data as Float32Array) : image.toFloat32();
  const plane = g.height * g.width;
  const frameSize = g.channels * plane;
  let at = 0;
  for (let gt = 0; gt < g.gridT; gt++) {
    for (let bh = 0; bh < g.gridH / m; bh++) {
      for (let bw = 0; bw < g.gridW / m; bw++) {
        for (let mh = 0; mh < m; mh++) {
          for (let mw = 0; mw < m; mw++) {
            const y0 = (bh * m + mh) * P;
            const x0 = (bw * m + mw) * P;
            for (let c = 0; c < g.channels; c++) {
              for (let t = 0; t < T; t++) {
                // Frames past the end repeat the last one (HF pads with copies of it).
                const f = Math.min(gt * T + t, g.frames - 1);
                const base = f * frameSize + c * plane;
                for (let py = 0; py < P; py++) {
                  const row = base + (y0 + py) * g.width + x0;
                  for (let px = 0; px < P; px++) out[at++] = src[row + px];
                }
              }
            }
          }
        }
      }
    }
  }
  return g;
}
