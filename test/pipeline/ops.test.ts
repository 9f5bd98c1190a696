import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EmbeddingTable,
  Prng,
  Sampler,
  Tensor,
  argmaxHalf,
  concatDims,
  concatInto,
  decodeImage,
  kvWrite,
  padTensor,
  preprocessImage,
  resizeRgb,
  sliceTensor,
  writeMask,
  writeRange,
} from '../../lib/index.js';
import { halfToNumber, numberToHalf } from '../../lib/tensor/fp16.js';
import { pngBytes, tempDir, writeEmbeddingTable } from './fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('image preprocessing', () => {
  it('decodes PNG and JPEG to RGB', () => {
    const png = decodeImage(pngBytes(3, 2, (x, y) => [x * 10, y * 20, 7]));
    expect([png.width, png.height, png.channels]).toEqual([3, 2, 3]);
    expect([...png.data.subarray(0, 6)]).toEqual([0, 0, 7, 10, 0, 7]);
    expect([...png.data.subarray(15, 18)]).toEqual([20, 20, 7]);
    const raw = Buffer.alloc(8 * 8 * 4, 128);
    const jpg = jpeg.encode({ data: raw, width: 8, height: 8 }, 100).data;
    const dj = decodeImage(new Uint8Array(jpg));
    expect([dj.width, dj.height]).toEqual([8, 8]);
    for (const v of dj.data) expect(Math.abs(v - 128)).toBeLessThanOrEqual(2);
    expect(codeOf(() => decodeImage(new Uint8Array([1, 2, 3, 4])))).toBe('ERR_INVALID_ARG');
    expect(codeOf(() => decodeImage({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }))).toBe('SIZE_MISMATCH');
    expect(codeOf(() => decodeImage('/nonexistent/x.png'))).toBe('FILE_NOT_FOUND');
  });

  it('resizes with half-pixel bilinear, nearest and bicubic', () => {
    const img = { width: 2, height: 2, channels: 3 as const, data: Uint8Array.from([0, 0, 0, 100, 100, 100, 200, 200, 200, 40, 40, 40]) };
    // 2x2 -> 1x1 bilinear: the sample point is the centre, the mean of the four pixels.
    expect(resizeRgb(img, 1, 1, 'bilinear')[0]).toBeCloseTo((0 + 100 + 200 + 40) / 4);
    // 2x1 -> 4x1: centres at -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped).
    const row = { width: 2, height: 1, channels: 3 as const, data: Uint8Array.from([0, 0, 0, 100, 100, 100]) };
    const up = resizeRgb(row, 4, 1, 'bilinear');
    expect([up[0], up[3], up[6], up[9]].map((v) => Math.round(v * 100) / 100)).toEqual([0, 25, 75, 100]);
    expect([...resizeRgb(row, 4, 1, 'nearest')].filter((_, i) => i % 3 === 0)).toEqual([0, 0, 100, 100]);
    // Bicubic keeps constant images constant and interpolates monotone ramps in between.
    const flat = { width: 3, height: 3, channels: 3 as const, data: new Uint8Array(27).fill(90) };
    for (const v of resizeRgb(flat, 5, 4, 'bicubic')) expect(v).toBeCloseTo(90, 4);
    const bc = resizeRgb(row, 4, 1, 'bicubic');
    expect(bc[3]).toBeGreaterThan(0);
    expect(bc[3]).toBeLessThan(bc[6]);
  });

  it('normalises into NCHW and NHWC in the graph dtype', () => {
    const src = pngBytes(2, 2, (x, y) => [x * 255, y * 255, 51]);
    const nchw = preprocessImage(src, { width: 2, height: 2, resize: 'nearest', mean: [0.5], std: [0.5], layout: 'NCHW', dtype: 'float16' });
    expect(nchw.dtype).toBe('float16');
    expect(nchw.dims).toEqual([1, 3, 2, 2]);
    const v = nchw.toFloat32();
    expect([...v.subarray(0, 4)]).toEqual([-1, 1, -1, 1]); // R channel, row-major
    expect([...v.subarray(4, 8)]).toEqual([-1, -1, 1, 1]); // G
    expect(v[8]).toBeCloseTo((51 / 255 - 0.5) / 0.5, 3); // B
    const nhwc = preprocessImage(src, { width: 2, height: 2, resize: 'nearest', rescale: 1, layout: 'NHWC', dtype: 'uint8' });
    expect(nhwc.dims).toEqual([1, 2, 2, 3]);
    expect([...nhwc.data.subarray(0, 6)]).toEqual([0, 0, 51, 255, 0, 51]);
    expect(codeOf(() => preprocessImage(src, { width: 0, height: 2, dtype: 'float32' }))).toBe('ERR_INVALID_ARG');
    expect(codeOf(() => preprocessImage(src, { width: 2, height: 2, std: [1, 0, 1], dtype: 'float32' }))).toBe('ERR_INVALID_ARG');
  });
});

describe('embedding tables', () => {
  it('gathers rows lazily (pread) or from memory, in the table dtype or converted', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'embed.bin');
    const value = (id: number, d: number): number => id + d / 8;
    writeEmbeddingTable(path, 1000, 16, 'float16', [3, 7, 999], value);
    for (const mode of ['lazy', 'memory'] as const) {
      const table = new EmbeddingTable(path, 'float16', [1000, 16], 0, mode);
      const out = table.gather([7, 3, 999], Tensor.zeros('float16', [1, 3, 16]));
      const f = out.toFloat32();
      expect(f[0]).toBe(7);
      expect(f[16 + 5]).toBe(3 + 5 / 8);
      expect(f[32 + 15]).toBe(halfToNumber(numberToHalf(999 + 15 / 8))); // rounded to half once
      const asF32 = table.gather([3], Tensor.zeros('float32', [1, 1, 16]));
      expect(asF32.data[4]).toBe(3.5);
      expect(codeOf(() => table.gather([1000], Tensor.zeros('float16', [1, 1, 16])))).toBe('ERR_OUT_OF_RANGE');
      expect(codeOf(() => table.gather([1, 2], Tensor.zeros('float16', [1, 1, 16])))).toBe('SIZE_MISMATCH');
      table.close();
      expect(codeOf(() => table.gather([1], Tensor.zeros('float16', [1, 1, 16])))).toBe('DISPOSED');
    }
  });
});

describe('tensor ops', () => {
  const seq = (dtype: 'float32' | 'int32', dims: number[], start = 0): Tensor => writeRange(Tensor.zeros(dtype, dims), start);

  it('concat, slice and pad along any axis', () => {
    const a = seq('float32', [2, 2, 3]);
    const b = seq('float32', [2, 1, 3], 100);
    const dims = concatDims([a, b], 1);
    expect(dims).toEqual([2, 3, 3]);
    const c = concatInto([a, b], 1, Tensor.zeros('float32', dims));
    expect([...(c.data as Float32Array)]).toEqual([0, 1, 2, 3, 4, 5, 100, 101, 102, 6, 7, 8, 9, 10, 11, 103, 104, 105]);
    const s = sliceTensor(c, 1, -1, 1);
    expect(s.dims).toEqual([2, 1, 3]);
    expect([...(s.data as Float32Array)]).toEqual([100, 101, 102, 103, 104, 105]);
    const p = padTensor(seq('int32', [1, 3], 5), 1, 5, -1);
    expect([...(p.data as Int32Array)]).toEqual([5, 6, 7, -1, -1]);
    expect(codeOf(() => concatDims([a, seq('int32', [2, 1, 3])], 1))).toBe('DTYPE_MISMATCH');
    expect(codeOf(() => concatDims([a, seq('float32', [2, 1, 4])], 1))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => sliceTensor(c, 1, 2, 5))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => sliceTensor(c, 3, 0))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => padTensor(c, 1, 2))).toBe('ERR_OUT_OF_RANGE');
  });

  it('writes KV entries in place at a position', () => {
    // cache [layers=2, heads=1, max_len=4, dim=2]; write 2 positions at 1, then 1 at 3.
    const cache = Tensor.zeros('float16', [2, 1, 4, 2]);
    const before = cache.data;
    kvWrite(cache, Tensor.fromFloat32('float16', [1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 2, 2]), 2, 1);
    kvWrite(cache, Tensor.fromFloat32('float16', [9, 9, 10, 10], [2, 1, 1, 2]), 2, 3);
    expect(cache.data).toBe(before);
    expect([...cache.toFloat32()]).toEqual([0, 0, 1, 2, 3, 4, 9, 9, 0, 0, 5, 6, 7, 8, 10, 10]);
    expect(codeOf(() => kvWrite(cache, Tensor.zeros('float16', [2, 1, 2, 2]), 2, 3))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => kvWrite(cache, Tensor.zeros('float32', [2, 1, 1, 2]), 2, 0))).toBe('DTYPE_MISMATCH');
    expect(codeOf(() => kvWrite(cache, Tensor.zeros('float16', [2, 2, 1, 2]), 2, 0))).toBe('SHAPE_MISMATCH');
  });

  it('builds position ids and attention masks', () => {
    expect([...writeRange(Tensor.zeros('int64', [1, 3]), 7).data]).toEqual([7n, 8n, 9n]);
    expect([...writeRange(Tensor.zeros('int32', [1, 4]), 2).data]).toEqual([2, 3, 4, 5]);
    const mask = writeMask(Tensor.zeros('float16', [1, 6]), 4, 0, -65504);
    expect([...mask.toFloat32()]).toEqual([0, 0, 0, 0, -65504, -65504]);
  });
});

describe('sampling', () => {
  const logits = (values: number[], dtype: 'float16' | 'float32' = 'float32'): Tensor => Tensor.fromFloat32(dtype, values, [1, 1, values.length]);

  it('greedy picks the argmax (fp16 compares half bits without converting)', () => {
    const values = [-3, 0.5, -0.0, 2.25, 2.0, -100, 2.24];
    const s = new Sampler();
    expect(s.sample(logits(values, 'float16'), {}, new Prng(0))).toBe(3);
    expect(s.sample(logits(values), {}, new Prng(0))).toBe(3);
    // all negative: the least negative wins
    const neg = [-5, -0.25, -7, -0.5];
    expect(argmaxHalf(Uint16Array.from(neg, numberToHalf))).toBe(1);
    // uses the last row of [1, n, vocab]
    const twoRows = Tensor.fromFloat32('float32', [9, 0, 0, 0, 0, 1], [1, 2, 3]);
    expect(s.sample(twoRows, {}, new Prng(0))).toBe(2);
  });

  it('argmaxHalf agrees with a float argmax (first index on ties) at any alignment', () => {
    const rng = new Prng(9);
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + (rng.nextUint32() % 300);
      const values = Array.from({ length: n }, () => Math.round(rng.normal() * 8) / 4); // many ties
      const bits = Uint16Array.from(values, numberToHalf);
      const start = rng.nextUint32() % n;
      let want = start;
      for (let i = start; i < n; i++) if (values[i] > values[want]) want = i;
      expect(argmaxHalf(bits, start, n)).toBe(want - start);
    }
  });

  it('applies the repetition penalty to tokens in the history', () => {
    const s = new Sampler();
    // 4 / 2 = 2 < 3: token 0 loses to token 1 once penalised; negatives are multiplied.
    expect(s.sample(logits([4, 3, -1]), { repetitionPenalty: 2, history: [0] }, new Prng(0))).toBe(1);
    expect(s.sample(logits([4, 3, -1]), { repetitionPenalty: 2, history: [2] }, new Prng(0))).toBe(0);
  });

  it('is deterministic for a seed and follows the softmax distribution', () => {
    const s = new Sampler();
    const l = logits([Math.log(0.5), Math.log(0.3), Math.log(0.2)], 'float32');
    const draw = (seed: number, n: number, opts = { temperature: 1 }): number[] => {
      const rng = new Prng(seed);
      return Array.from({ length: n }, () => s.sample(l, opts, rng));
    };
    expect(draw(42, 50)).toEqual(draw(42, 50));
    expect(draw(42, 50)).not.toEqual(draw(43, 50));
    const counts = [0, 0, 0];
    for (const t of draw(1, 6000)) counts[t]++;
    expect(counts[0] / 6000).toBeCloseTo(0.5, 1);
    expect(counts[1] / 6000).toBeCloseTo(0.3, 1);
    expect(counts[2] / 6000).toBeCloseTo(0.2, 1);
    // top-k 2 never yields token 2; top-p 0.5 only token 0.
    expect(new Set(draw(5, 500, { temperature: 1, topK: 2 } as never))).toEqual(new Set([0, 1]));
    expect(new Set(draw(5, 200, { temperature: 1, topP: 0.5 } as never))).toEqual(new Set([0]));
    expect(new Set(draw(5, 500, { temperature: 1, topP: 0.75 } as never))).toEqual(new Set([0, 1]));
  });

  it('top-k on fp16 logits (selected from the half bits) draws exactly like the float path', () => {
    const rng = new Prng(4);
    const values = Array.from({ length: 1000 }, () => Math.round(rng.normal() * 64) / 16);
    const h = logits(values, 'float16');
    const f = logits([...h.toFloat32()], 'float32');
    for (const opts of [{ temperature: 0.8, topK: 5 }, { temperature: 1.3, topK: 40, topP: 0.8 }]) {
      const a = new Prng(77);
      const b = new Prng(77);
      const s1 = new Sampler();
      const s2 = new Sampler();
      const fromHalf = Array.from({ length: 200 }, () => s1.sample(h, opts, a));
      const fromFloat = Array.from({ length: 200 }, () => s2.sample(f, opts, b));
      expect(fromHalf).toEqual(fromFloat);
      expect(new Set(fromHalf).size).toBeGreaterThan(1);
    }
  });

  it('rejects bad options', () => {
    const s = new Sampler();
    const l = logits([1, 2]);
    expect(codeOf(() => s.sample(l, { temperature: -1 }, new Prng(0)))).toBe('ERR_INVALID_ARG');
    expect(codeOf(() => s.sample(l, { topP: 0 }, new Prng(0)))).toBe('ERR_INVALID_ARG');
    expect(codeOf(() => s.sample(l, { topK: 1.5 }, new Prng(0)))).toBe('ERR_INVALID_ARG');
    expect(codeOf(() => s.sample(l, { repetitionPenalty: 0 }, new Prng(0)))).toBe('ERR_INVALID_ARG');
  });
});
