import { describe, expect, it } from 'vitest';

import { argmax, compare, topK } from '../../../lib/tensor/metrics.js';
import { Tensor } from '../../../lib/tensor/Tensor.js';

describe('compare', () => {
  it('computes every metric by its definition', () => {
    const a = new Tensor('float32', Float32Array.of(1, 2, 3, 4), [2, 2]);
    const b = new Tensor('float32', Float32Array.of(1, 2, 2, 6), [2, 2]);
    const r = compare(a, b);
    // d = [0, 0, 1, -2]
    expect(r.count).toBe(4);
    expect(r.maxAbsError).toBe(2);
    expect(r.meanAbsError).toBe(0.75);
    expect(r.rmse).toBeCloseTo(Math.sqrt(5 / 4), 12);
    expect(r.relativeError).toBeCloseTo(Math.sqrt(5) / Math.sqrt(1 + 4 + 4 + 36), 12);
    expect(r.cosine).toBeCloseTo((1 + 4 + 6 + 24) / (Math.sqrt(30) * Math.sqrt(45)), 12);
    // peak = max |reference| = 6
    expect(r.psnr).toBeCloseTo(20 * Math.log10(6 / Math.sqrt(5 / 4)), 10);
  });

  it('identical inputs give zero error, cosine 1 and infinite PSNR', () => {
    const r = compare([0.5, -1, 2], [0.5, -1, 2]);
    expect(r).toEqual({ cosine: 1, maxAbsError: 0, meanAbsError: 0, rmse: 0, relativeError: 0, psnr: Infinity, count: 3 });
  });

  it('defines cosine for zero vectors: 1 when both are zero, 0 when one is', () => {
    expect(compare([0, 0], [0, 0]).cosine).toBe(1);
    expect(compare([0, 0], [1, 0]).cosine).toBe(0);
    expect(compare([1, 0], [0, 0]).cosine).toBe(0);
    expect(compare([1, 0], [0, 0]).relativeError).toBe(Infinity);
    expect(compare([-2, 0], [1, 0]).cosine).toBe(-1);
  });

  it('dequantizes quantized tensors and converts any dtype', () => {
    const q = new Tensor('ufixed8', Uint8Array.of(0, 128, 255), [3], { quant: { encoding: 'scale-offset', scale: 0.5, offset: -128 } });
    const f = new Tensor('float32', Float32Array.of(-64, 0, 63.5), [3]);
    expect(compare(q, f).maxAbsError).toBe(0);
    const h = new Tensor('float16', [-64, 0, 63.5], [3]);
    expect(compare(h, q).maxAbsError).toBe(0);
    const i = new Tensor('int64', [-64n, 0n, 64n], [3]);
    expect(compare(i, f).maxAbsError).toBe(0.5);
  });

  it('propagates NaN', () => {
    const r = compare([1, NaN, 3], [1, 2, 3]);
    expect(r.maxAbsError).toBeNaN();
    expect(r.rmse).toBeNaN();
    expect(r.cosine).toBeNaN();
    expect(compare([NaN, 1], [1, 1]).maxAbsError).toBeNaN();
  });

  it('throws SHAPE_MISMATCH naming both shapes', () => {
    const a = new Tensor('float32', new Float32Array(6), [2, 3]);
    const b = new Tensor('float32', new Float32Array(6), [3, 2]);
    expect(() => compare(a, b)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringMatching(/\[2, 3\].*\[3, 2\]/) }));
    expect(() => compare(a, [1, 2])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('2 values') }));
    expect(compare(a, new Float32Array(6)).count).toBe(6); // a plain array only needs the count
    expect(() => compare('x' as never, [1])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
  });

  it('treats empty inputs as identical', () => {
    expect(compare([], [])).toMatchObject({ count: 0, cosine: 1, maxAbsError: 0, psnr: Infinity });
  });
});

describe('argmax / topK', () => {
  it('argmax returns the first maximum and the first NaN', () => {
    expect(argmax([1, 5, 3, 5])).toBe(1);
    expect(argmax(new Tensor('int8', [-3, -1, -2], [3]))).toBe(1);
    expect(argmax([1, NaN, 9, NaN])).toBe(1);
    expect(() => argmax([])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('topK is descending and stable on ties, for small and large k', () => {
    const v = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
    expect(topK(v, 4)).toEqual({ values: [9, 6, 5, 5], indices: [5, 7, 4, 8] });
    expect(topK(v, 0)).toEqual({ values: [], indices: [] });
    const all = topK(v, v.length);
    expect(all.indices).toEqual([5, 7, 4, 8, 10, 2, 0, 9, 6, 1, 3]);
    // k > 64 takes the sort path: must agree with the insertion path's order
    let seed = 3;
    const big = Array.from({ length: 5000 }, () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % 50; // many ties
    });
    const ref = big.map((x, i) => [x, i]).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
    expect(topK(big, 100).indices).toEqual(ref.slice(0, 100).map((p) => p[1]));
    expect(topK(big, 64).indices).toEqual(ref.slice(0, 64).map((p) => p[1]));
    expect(topK(big, 64).values).toEqual(ref.slice(0, 64).map((p) => p[0]));
  });

  it('works on quantized tensors (dequantized) and validates k', () => {
    const q = new Tensor('sfixed8', Int8Array.of(10, -5, 30), [1, 3], { quant: { encoding: 'scale-offset', scale: 0.1, offset: 0 } });
    const r = topK(q, 2);
    expect(r.indices).toEqual([2, 0]);
    expect(r.values[0]).toBeCloseTo(3, 6);
    expect(() => topK(q, 4)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('number 4') }));
    expect(() => topK(q, 1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
