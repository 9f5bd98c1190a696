import { describe, expect, it } from 'vitest';

import { Tensor } from '../../../lib/tensor/Tensor.js';
import { dequantize, intRange, pack4, quantize, roundHalfEven, unpack4 } from '../../../lib/tensor/quantize.js';
import type { DType, QuantParams } from '../../../lib/tensor/dtypes.js';

const so = (scale: number, offset: number, bitwidth?: number): QuantParams =>
  bitwidth === undefined ? { encoding: 'scale-offset', scale, offset } : { encoding: 'scale-offset', scale, offset, bitwidth };

/** Independent reference: exact tie detection with floor, then offset and clamp. */
function refQuant(x: number, scale: number, offset: number, min: number, max: number): number {
  if (Number.isNaN(x)) return Math.min(max, Math.max(min, -offset));
  const v = x / scale;
  const fl = Math.floor(v);
  const frac = v - fl;
  let r = frac > 0.5 ? fl + 1 : frac < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
  r -= offset;
  return Math.min(max, Math.max(min, r));
}

describe('roundHalfEven', () => {
  it('rounds ties to even and everything else to nearest', () => {
    const cases: Array<[number, number]> = [
      [0.5, 0], [1.5, 2], [2.5, 2], [-0.5, -0], [-1.5, -2], [-2.5, -2], [2.4999, 2], [2.5001, 3], [-2.5001, -3], [7, 7], [2 ** 52 + 1, 2 ** 52 + 1],
    ];
    for (const [x, want] of cases) expect({ x, r: roundHalfEven(x) }).toEqual({ x, r: want });
  });
});

describe('intRange', () => {
  it('uses the storage bits or the bitwidth', () => {
    expect(intRange('ufixed8')).toEqual({ min: 0, max: 255 });
    expect(intRange('sfixed8')).toEqual({ min: -128, max: 127 });
    expect(intRange('sfixed16', 12)).toEqual({ min: -2048, max: 2047 });
    expect(intRange('ufixed16', 10)).toEqual({ min: 0, max: 1023 });
    expect(intRange('sfixed4')).toEqual({ min: -8, max: 7 });
    expect(intRange('ufixed4')).toEqual({ min: 0, max: 15 });
    expect(intRange('int32')).toEqual({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  });
});

describe('quantize (real = scale * (q + offset))', () => {
  it('uses a negative offset as minus the zero point (ufixed8, zero point 128)', () => {
    const q = quantize([0, 0.5, -0.5, 1.27, -1.28], 'ufixed8', [5], so(0.01, -128));
    expect(Array.from(q)).toEqual([128, 178, 78, 255, 0]);
    const back = dequantize(q, 'ufixed8', [5], so(0.01, -128));
    expect(Array.from(back)).toEqual(Array.from(Float32Array.of(0, 0.5, -0.5, 1.27, -1.28)));
  });

  it('saturates to the storage range and to the bitwidth range', () => {
    expect(Array.from(quantize([-1000, 1000, Infinity, -Infinity], 'ufixed8', [4], so(1, 0)))).toEqual([0, 255, 255, 0]);
    expect(Array.from(quantize([-1000, 1000, 5], 'sfixed8', [3], so(1, 0)))).toEqual([-128, 127, 5]);
    expect(Array.from(quantize([-5000, 5000, 100], 'sfixed16', [3], so(1, 0, 12)))).toEqual([-2048, 2047, 100]);
    expect(Array.from(quantize([5000, -3], 'ufixed16', [2], so(1, 0, 10)))).toEqual([1023, 0]);
    // saturation applies after the offset: q = round(x) - offset
    expect(Array.from(quantize([0, 200], 'ufixed8', [2], so(1, 100)))).toEqual([0, 100]);
  });

  it('rounds half to even on exact ties (scale a power of two)', () => {
    const q = quantize([0.25, 0.75, 1.25, -0.25, -0.75, -1.25], 'sfixed8', [6], so(0.5, 0));
    expect(Array.from(q)).toEqual([0, 2, 2, 0, -2, -2]);
    // with an odd offset the tie is decided before the offset is applied
    expect(Array.from(quantize([0.25, 0.75], 'sfixed8', [2], so(0.5, 3)))).toEqual([-3, -1]);
  });

  it('maps NaN to the code for real 0 (-offset, saturated)', () => {
    expect(Array.from(quantize([NaN], 'ufixed8', [1], so(0.1, -128)))).toEqual([128]);
    expect(Array.from(quantize([NaN], 'ufixed8', [1], so(0.1, 10)))).toEqual([0]);
  });

  it('agrees with an independent reference on random data for every quantized dtype', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const dtypes: DType[] = ['ufixed8', 'sfixed8', 'ufixed16', 'sfixed16', 'ufixed32', 'sfixed32', 'ufixed4', 'sfixed4'];
    for (const dtype of dtypes) {
      const { min, max } = intRange(dtype);
      const scale = 0.0137;
      const offset = dtype.startsWith('u') ? -Math.floor((max + 1) / 3) : 3;
      const xs = Float32Array.from({ length: 4001 }, () => (rnd() - 0.5) * scale * (max - min) * 1.3);
      const q = quantize(xs, dtype, [xs.length], so(scale, offset));
      const values = dtype.endsWith('4') ? unpack4(q, xs.length, dtype === 'sfixed4') : q;
      for (let i = 0; i < xs.length; i++) {
        const want = refQuant(xs[i], scale, offset, min, max);
        if (values[i] !== want) expect({ dtype, x: xs[i], q: values[i] }).toEqual({ dtype, x: xs[i], q: want });
      }
      // dequantize(quantize(x)) is within half a step unless saturated
      const back = dequantize(q, dtype, [xs.length], so(scale, offset), new Float64Array(xs.length));
      for (let i = 0; i < xs.length; i++) {
        const qi = values[i];
        if (qi > min && qi < max) expect(Math.abs(back[i] - xs[i])).toBeLessThanOrEqual(scale / 2 + 1e-9);
        expect(back[i]).toBeCloseTo(scale * (qi + offset), 9);
      }
    }
  });

  it('applies per-axis scales and offsets along the given axis', () => {
    const dims = [2, 3];
    const x = [1, 2, 3, 1, 2, 3];
    const axis0: QuantParams = { encoding: 'axis-scale-offset', axis: 0, scales: [1, 0.5], offsets: [0, -2] };
    expect(Array.from(quantize(x, 'sfixed8', dims, axis0))).toEqual([1, 2, 3, 4, 6, 8]);
    const axis1: QuantParams = { encoding: 'axis-scale-offset', axis: 1, scales: [1, 0.5, 0.25], offsets: [0, 1, -1] };
    const q = quantize(x, 'sfixed8', dims, axis1);
    expect(Array.from(q)).toEqual([1, 3, 13, 1, 3, 13]);
    expect(Array.from(dequantize(q, 'sfixed8', dims, axis1))).toEqual(x);
    // axis in the middle of a rank-3 tensor: dims [2, 2, 2], channel = (i >> 1) & 1
    const axisMid: QuantParams = { encoding: 'axis-scale-offset', axis: 1, scales: [1, 10], offsets: [0, 0] };
    expect(Array.from(quantize([10, 10, 10, 10, 10, 10, 10, 10], 'sfixed8', [2, 2, 2], axisMid))).toEqual([10, 10, 1, 1, 10, 10, 1, 1]);
  });

  it('per-axis agrees with the per-element reference for long and short runs', () => {
    let seed = 11;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const shapes: Array<[number[], number]> = [
      [[3, 40], 0], // runs of 40 (run loop)
      [[40, 3], 1], // runs of 1 (interleaved loop)
      [[2, 3, 40], 1],
      [[2, 5, 7], 1],
    ];
    for (const [dims, axis] of shapes) {
      const n = dims.reduce((a, b) => a * b, 1);
      const channels = dims[axis];
      const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
      const scales = Array.from({ length: channels }, (_, c) => 0.01 * (c + 1));
      const offsets = Array.from({ length: channels }, (_, c) => c * 5 - 7);
      const quant: QuantParams = { encoding: 'axis-scale-offset', axis, scales, offsets };
      const xs = Array.from({ length: n }, () => (rnd() - 0.5) * 4);
      xs[3] = NaN;
      xs[5] = 1e12;
      const q = quantize(xs, 'sfixed8', dims, quant);
      const back = dequantize(q, 'sfixed8', dims, quant, new Float64Array(n));
      for (let i = 0; i < n; i++) {
        const c = Math.floor(i / inner) % channels;
        const want = refQuant(xs[i], scales[c], offsets[c], -128, 127);
        if (q[i] !== want) expect({ dims, i, q: q[i] }).toEqual({ dims, i, q: want });
        expect(back[i]).toBeCloseTo(scales[c] * (want + offsets[c]), 12);
      }
    }
  });

  it('validates parameters with errors that name the value', () => {
    expect(() => quantize([1], 'ufixed8', [1], so(0, 0))).toThrow(/quant\.scale.*number 0/);
    expect(() => quantize([1], 'ufixed8', [1], so(-1, 0))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => quantize([1], 'ufixed8', [1], so(NaN, 0))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => quantize([1], 'ufixed8', [1], so(1, 0.5))).toThrow(/quant\.offset.*0\.5/);
    expect(() => quantize([1], 'ufixed8', [1], so(1, 0, 9))).toThrow(/quant\.bitwidth.*9/);
    expect(() => quantize([1], 'float32', [1], so(1, 0))).toThrow(expect.objectContaining({ code: 'DTYPE_MISMATCH' }));
    const bad: QuantParams = { encoding: 'axis-scale-offset', axis: 1, scales: [1, 1], offsets: [0, 0] };
    expect(() => quantize([1, 2, 3, 4, 5, 6], 'sfixed8', [2, 3], bad)).toThrow(
      expect.objectContaining({ code: 'SIZE_MISMATCH', message: expect.stringMatching(/needs 3 scales.*received 2 scales/) }),
    );
    const badAxis: QuantParams = { encoding: 'axis-scale-offset', axis: 2, scales: [1], offsets: [0] };
    expect(() => quantize([1, 2], 'sfixed8', [2, 1], badAxis)).toThrow(/quant\.axis.*number 2/);
  });

  it('rejects an out buffer of the wrong length', () => {
    expect(() => quantize([1, 2, 3], 'ufixed8', [3], so(1, 0), new Uint8Array(2))).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
  });
});

describe('4-bit packing (two values per byte, low nibble first)', () => {
  it('packs unsigned and signed nibbles in QNN order', () => {
    expect(Array.from(pack4([1, 2, 3], 3))).toEqual([0x21, 0x03]);
    expect(Array.from(pack4([15, 0, 0, 15], 4))).toEqual([0x0f, 0xf0]);
    expect(Array.from(pack4([-1, 7], 2, new Int8Array(1)))).toEqual([0x7f]);
    expect(Array.from(pack4([-8, -1], 2, new Int8Array(1)))).toEqual([-8]); // 0xf8
  });

  it('unpacks with sign extension for signed types', () => {
    expect(Array.from(unpack4(Uint8Array.of(0xf8, 0x07), 3, true))).toEqual([-8, -1, 7]);
    expect(Array.from(unpack4(Uint8Array.of(0xf8, 0x07), 3, false))).toEqual([8, 15, 7]);
    expect(Array.from(unpack4(Int8Array.of(-8), 2, true))).toEqual([-8, -1]);
  });

  it('refuses values that do not fit in 4 bits', () => {
    expect(() => pack4([16], 1)).toThrow(/values\[0\].*16/);
    expect(() => pack4([0, 8], 2, new Int8Array(1))).toThrow(/values\[1\].*8/);
    expect(() => unpack4(new Uint8Array(1), 3, false)).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
  });

  it('quantizes sfixed4 into packed storage that dequantizes back', () => {
    const t = Tensor.fromFloat32('sfixed4', [-1, -0.5, 0, 0.5, 100], [5], { quant: so(0.125, 0) });
    expect(t.byteLength).toBe(3);
    expect(Array.from(unpack4(t.data, 5, true))).toEqual([-8, -4, 0, 4, 7]);
    expect(Array.from(t.toFloat32())).toEqual([-1, -0.5, 0, 0.5, 0.875]);
  });
});
