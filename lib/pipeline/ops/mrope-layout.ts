/**
 * The multimodal (M-RoPE) position layout of a prompt [text prefix, vision grid, text
 * suffix], as Qwen2-VL / Qwen3-VL's `get_rope_index` builds it (transformers
 * models/qwen3_vl/modeling_qwen3_vl.py, Qwen3VLModel.get_rope_index):
 *
 * - text tokens: t = h = w = their running index;
 * - the vision tokens (the grid after the spatial merge, gridHeight × gridWidth, row-major)
 *   start at s = the prefix's next position: t = s + frame, h = s + row, w = s + col. For an
 *   image `temporal` is 1 (both models). `temporal` > 1 lays out the frames of one video
 *   grid as Qwen2-VL does (t = s + frame); Qwen3-VL instead splits a video into one grid per
 *   frame with timestamp text between them: that layout (video on Qwen3-VL) is not what
 *   this op builds;
 * - text after the vision continues at max(every position so far) + 1;
 * - decoding continues at max(all positions) + 1 (= `next`), one position per token for all
 *   three rows (HF: cache position + rope delta, delta = next − prompt length).
 *
 * Positions past the prompt (padding up to a fixed prefill length) continue the text
 * numbering; they belong to masked slots and never influence a real token.
 */
import { outOfRange } from '../../errors.js';
import type { Tensor } from '../../tensor/Tensor.js';

export interface MropeLayout {
  /** Text tokens before the vision tokens. */
  readonly prefix: number;
  /** Merged vision grid: rows and columns of vision tokens (Qwen3-VL 512×512: 16 × 16). */
  readonly gridHeight: number;
  readonly gridWidth: number;
  /** Frames (1 for an image). */
  readonly temporal?: number;
  /** Text tokens after the vision tokens. */
  readonly suffix: number;
  /** Position of the first token. Default 0. */
  readonly start?: number;
}

export interface MropeResult {
  /** Tokens in the prompt (prefix + vision + suffix). */
  readonly length: number;
  /** The position the first decoded token takes (all three rows). */
  readonly next: number;
  /** next − length: add to a token's index in the sequence to get its decode position. */
  readonly delta: number;
}

export function checkMropeLayout(l: MropeLayout): void {
  for (const key of ['prefix', 'suffix', 'gridHeight', 'gridWidth', 'temporal', 'start'] as const) {
    const v = l[key];
    if (v === undefined && (key === 'temporal' || key === 'start')) continue;
    const min = key === 'gridHeight' || key === 'gridWidth' || key === 'temporal' ? 1 : 0;
    if (!Number.isSafeInteger(v) || (v as number) < min) throw outOfRange(`a whole number >= ${min}`, key, v);
  }
}

/** Tokens the layout spans. */
export function mropeLength(l: MropeLayout): number {
  return l.prefix + (l.temporal ?? 1) * l.gridHeight * l.gridWidth + l.suffix;
}

/**
 * Writes the three position rows into `out` ([3, 1, size] or [3, size], any integer or
 * float dtype; size >= the layout's length, the rest continues the text numbering).
 */
export function writeMropePositions(l: MropeLayout, out: Tensor): MropeResult {
  checkMropeLayout(l);
  const length = mropeLength(l);
  const size = out.size / 3;
  if (!Number.isInteger(size) || size < length) throw outOfRange(`a [3, 1, size] tensor with size >= ${length} (the prompt's tokens)`, 'positions', `a tensor [${out.dims.join(', ')}]`);
  const rows = [new Float64Array(size), new Float64Array(size), new Float64Array(size)];
  const set = (i: number, t: number, h: number, w: number): void => {
    rows[0][i] = t;
    rows[1][i] = h;
    rows[2][i] = w;
  };
  const start = l.start ?? 0;
  let i = 0;
  for (; i < l.prefix; i++) set(i, start + i, start + i, start + i);
  const s = start + l.prefix;
  let max = s - 1;
  const frames = l.temporal ?? 1;
  for (let f = 0; f < frames; f++) {
    for (let r = 0; r < l.gridHeight; r++) {
      for (let c = 0; c < l.gridWidth; c++, i++) set(i, s + f, s + r, s + c);
    }
  }
  if (frames * l.gridHeight * l.gridWidth > 0) max = s + Math.max(frames - 1, l.gridHeight - 1, l.gridWidth - 1);
  let p = max + 1;
  for (; i < size; i++, p++) set(i, p, p, p);
  const next = max + 1 + l.suffix;
  const data = out.data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let r = 0; r < 3; r++) for (let k = 0; k < size; k++) data[r * size + k] = BigInt(rows[r][k]);
  } else {
    for (let r = 0; r < 3; r++) (data as Int32Array).set(rows[r], r * size);
  }
  return { length, next, delta: next - length - start };
}
