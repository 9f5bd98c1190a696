/**
 * Rotary position embedding tables on the host: cos/sin for given positions, as graphs
 * that take rope inputs instead of position ids need them (the Qwen3-VL card's decode graph
 * takes 64-wide cos/sin for head dim 128).
 *
 * The arithmetic follows Hugging Face transformers' default rope (modeling_rope_utils
 * `_compute_default_rope_parameters` and the Qwen3-VL text rotary embedding): the inverse
 * frequencies 1 / θ^(2j / headDim) and each angle position·invFreq are float32 values;
 * cos and sin of that float32 angle are then rounded to the output dtype.
 *
 * Multimodal rope (Qwen2-VL / Qwen3-VL M-RoPE): positions come as three rows (t, h, w) and
 * `sections` [t, h, w] (sum = headDim/2) says which row each frequency takes its position
 * from. `interleaved: false` is Qwen2-VL's chunked layout (the first t frequencies from
 * row t, the next h from row h, the rest from row w); `interleaved: true` is Qwen3-VL's
 * `apply_interleaved_mrope` (frequency j from row h when j % 3 == 1 and j < 3·h, from row w
 * when j % 3 == 2 and j < 3·w, else from row t). docs/pipelines.md has the sources.
 */
import { QnnNodeError, invalidArg, outOfRange } from '../../errors.js';
import { numberToHalf } from '../../tensor/fp16.js';
import { Tensor } from '../../tensor/Tensor.js';

export interface RopeTableOptions {
  /** The rotary dimension (a head's dim for full rotary): an even integer >= 2. */
  readonly headDim: number;
  /** The base θ (rope_theta). Default 10000. */
  readonly theta?: number;
  /** float16 or float32 output. Default float32. */
  readonly dtype?: 'float16' | 'float32';
  /** Width headDim (the half-width table written twice, as HF's cat(freqs, freqs)) instead of headDim/2. */
  readonly duplicate?: boolean;
  /** M-RoPE sections [t, h, w] in frequencies (sum = headDim/2). */
  readonly sections?: readonly number[];
  /** Qwen3-VL's interleaved section layout instead of Qwen2-VL's chunked one. */
  readonly interleaved?: boolean;
}

/** The position rows of a rope table: one row (plain rope) or three (t, h, w), n positions each. */
export interface RopePositions {
  readonly rows: readonly ArrayLike<number>[];
  readonly length: number;
}

/** float32 inverse frequencies 1 / θ^(2j / dim), j < dim/2, computed as HF does (float32 exponent, float32 power). */
export function ropeInverseFrequencies(headDim: number, theta: number): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(half);
  for (let j = 0; j < half; j++) out[j] = Math.fround(1 / Math.fround(theta ** Math.fround((2 * j) / headDim)));
  return out;
}

/** For each frequency, which position row (0 = t, 1 = h, 2 = w) it takes its position from. */
export function mropeRowOfFrequency(half: number, sections: readonly number[] | undefined, interleaved: boolean): Uint8Array {
  const rows = new Uint8Array(half);
  if (!sections) return rows;
  const [, h, w] = sections;
  for (let j = 0; j < half; j++) {
    if (interleaved) rows[j] = j % 3 === 1 && j < 3 * h ? 1 : j % 3 === 2 && j < 3 * w ? 2 : 0;
    else rows[j] = j < sections[0] ? 0 : j < sections[0] + h ? 1 : 2;
  }
  return rows;
}

/** Checks the options (typed errors naming the option). */
export function checkRopeOptions(o: RopeTableOptions, name = 'options'): void {
  if (!Number.isSafeInteger(o.headDim) || o.headDim < 2 || o.headDim % 2 !== 0) throw outOfRange('an even integer >= 2', `${name}.headDim`, o.headDim);
  if (o.theta !== undefined && !(typeof o.theta === 'number' && Number.isFinite(o.theta) && o.theta > 1)) throw outOfRange('a finite number > 1', `${name}.theta`, o.theta);
  if (o.dtype !== undefined && o.dtype !== 'float16' && o.dtype !== 'float32') throw invalidArg('"float16" or "float32"', `${name}.dtype`, o.dtype);
  if (o.sections !== undefined) {
    const s = o.sections;
    if (!Array.isArray(s) || s.length !== 3 || s.some((v) => !Number.isSafeInteger(v) || v < 0)) throw invalidArg('three whole numbers [t, h, w]', `${name}.sections`, s);
    if (s[0] + s[1] + s[2] !== o.headDim / 2) throw outOfRange(`sections summing to headDim/2 = ${o.headDim / 2}`, `${name}.sections`, s);
  }
}

/**
 * Writes cos and sin tables [1, n, width] (width headDim/2, or headDim with `duplicate`)
 * into `cos` and `sin` (float16 or float32 tensors of that size).
 */
export function writeRopeTables(positions: RopePositions, options: RopeTableOptions, cos: Tensor, sin: Tensor): void {
  checkRopeOptions(options);
  const { headDim, duplicate = false, interleaved = false } = options;
  const half = headDim / 2;
  const width = duplicate ? headDim : half;
  const n = positions.length;
  for (const t of [cos, sin]) {
    if (t.dtype !== 'float16' && t.dtype !== 'float32') throw new QnnNodeError('UNSUPPORTED_DTYPE', `rope tables are float16 or float32, not ${t.dtype}`, { details: { dtype: t.dtype } });
    if (t.size !== n * width) throw new QnnNodeError('SIZE_MISMATCH', `a rope table of ${n} positions x ${width} needs ${n * width} elements but the tensor has ${t.size}`, { details: { expected: n * width, actual: t.size } });
  }
  if (positions.rows.length !== 1 && positions.rows.length !== 3) throw invalidArg('1 or 3 position rows', 'positions', positions.rows.length);
  if (positions.rows.length === 1 && options.sections) {
    // Text-only positions with M-RoPE: all three rows are the same (HF expands 2-D position ids).
    positions = { rows: [positions.rows[0], positions.rows[0], positions.rows[0]], length: n };
  }
  const invFreq = ropeInverseFrequencies(headDim, options.theta ?? 10000);
  const rowOf = mropeRowOfFrequency(half, positions.rows.length === 3 ? options.sections : undefined, interleaved);
  const half16 = cos.dtype === 'float16';
  const c = cos.data as Float32Array | Uint16Array;
  const s = sin.data as Float32Array | Uint16Array;
  for (let i = 0; i < n; i++) {
    const base = i * width;
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(Math.fround(positions.rows[rowOf[j]][i]) * invFreq[j]);
      const cv = Math.cos(angle);
      const sv = Math.sin(angle);
      const cw = half16 ? numberToHalf(cv) : cv;
      const sw = half16 ? numberToHalf(sv) : sv;
      c[base + j] = cw;
      s[base + j] = sw;
      if (duplicate) {
        c[base + half + j] = cw;
        s[base + half + j] = sw;
      }
    }
  }
}

/** Positions start, start+1, … (n of them) as one row. */
export function rangePositions(start: number, length: number): RopePositions {
  if (!Number.isSafeInteger(start) || start < 0) throw outOfRange('a whole number >= 0', 'start', start);
  if (!Number.isSafeInteger(length) || length < 1) throw outOfRange('a whole number >= 1', 'length', length);
  const row = new Float64Array(length);
  for (let i = 0; i < length; i++) row[i] = start + i;
  return { rows: [row], length };
}

/** Position rows from an integer tensor [1, n] / [n] (one row) or [3, 1, n] / [3, n] (t, h, w). */
export function tensorPositions(t: Tensor): RopePositions {
  const d = t.dims;
  const integer = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'].includes(t.dtype);
  const three = d.length >= 2 && d[0] === 3 && (d.length === 2 || (d.length === 3 && d[1] === 1));
  const one = d.length === 1 || (d.length === 2 && d[0] === 1);
  if (!integer || !(three || one) || t.size === 0) {
    throw invalidArg('an integer tensor [1, n] or [3, 1, n] of positions', 'positions', `a ${t.dtype} tensor [${d.join(', ')}]`);
  }
  const rowsCount = three ? 3 : 1;
  const n = t.size / rowsCount;
  const data = t.data;
  const rows: Float64Array[] = [];
  for (let r = 0; r < rowsCount; r++) {
    const row = new Float64Array(n);
    for (let i = 0; i < n; i++) row[i] = Number(data[r * n + i]);
    rows.push(row);
  }
  return { rows, length: n };
}
