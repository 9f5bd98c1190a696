import { describe, expect, it } from 'vitest';

import { float16ToFloat32, float16ToFloat64, float32ToFloat16, float64ToFloat16, halfToNumber, numberToHalf } from '../../../lib/tensor/fp16.js';

// ---- Slow, independent references -------------------------------------------------

/** Value of a half bit pattern from the IEEE 754 definition (pow arithmetic, no tables). */
function refHalfValue(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN;
  if (e === 0) return s * m * Math.pow(2, -24);
  return s * (1 + m / 1024) * Math.pow(2, e - 15);
}

/**
 * Nearest half to x (any double), ties to even, by binary search over the positive finite
 * halves and exact distance comparison (differences are exact in double here, see the
 * test file notes). Beyond 65504 the next "half" is 2^16 (0x7c00, even), which is how
 * IEEE rounding overflows to infinity.
 */
function refToHalf(x: number): number {
  if (Number.isNaN(x)) return -1; // caller checks NaN separately
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  let lo = 0;
  let hi = 0x7bff;
  if (a >= 65504) lo = 0x7bff;
  else {
    // largest h with value(h) <= a
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (refHalfValue(mid) <= a) lo = mid;
      else hi = mid - 1;
    }
  }
  const loV = refHalfValue(lo);
  if (loV === a) return sign | lo;
  const up = lo + 1; // 0x7c00 when lo is 0x7bff
  const upV = lo === 0x7bff ? 65536 : refHalfValue(up);
  if (a >= upV) return sign | 0x7c00; // only reachable for a >= 65536
  const dLo = a - loV;
  const dUp = upV - a;
  if (dLo < dUp) return sign | lo;
  if (dUp < dLo) return sign | up;
  return sign | ((lo & 1) === 0 ? lo : up);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function bitsToFloat(u: number): number {
  u32[0] = u;
  return f32[0];
}
function floatToBits(x: number): number {
  f32[0] = x;
  return u32[0];
}

const allHalves = Uint16Array.from({ length: 65536 }, (_, i) => i);

describe('float16ToFloat32', () => {
  it('widens every one of the 65,536 half bit patterns exactly', () => {
    const out = float16ToFloat32(allHalves);
    const bits = new Uint32Array(out.buffer);
    let checked = 0;
    for (let h = 0; h < 65536; h++) {
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      if (e === 0x1f && m !== 0) {
        // NaN: stays NaN, sign kept, payload in the top payload bits (as NumPy does)
        expect(Number.isNaN(out[h])).toBe(true);
        expect(bits[h] >>> 31).toBe(h >> 15);
        expect((bits[h] >>> 13) & 0x3ff).toBe(m);
        expect(bits[h] & 0x1fff).toBe(0);
      } else {
        const want = refHalfValue(h);
        if (!Object.is(out[h], want)) expect({ h, got: out[h] }).toEqual({ h, got: want });
      }
      checked++;
    }
    expect(checked).toBe(65536);
  });

  it('handles named values', () => {
    const got = float16ToFloat32(Uint16Array.of(0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0x3555));
    expect(Object.is(got[0], 0)).toBe(true);
    expect(Object.is(got[1], -0)).toBe(true);
    expect(got[2]).toBe(2 ** -24);
    expect(got[3]).toBe(1023 * 2 ** -24);
    expect(got[4]).toBe(2 ** -14);
    expect(got[5]).toBe(1);
    expect(got[6]).toBe(65504);
    expect(got[7]).toBe(-65504);
    expect(got[8]).toBe(Infinity);
    expect(got[9]).toBe(-Infinity);
    expect(got[10]).toBeNaN();
    expect(got[11]).toBe(0.333251953125);
  });

  it('writes into a given dst and rejects a wrong length or overlap', () => {
    const dst = new Float32Array(2);
    expect(float16ToFloat32(Uint16Array.of(0x3c00, 0xc000), dst)).toBe(dst);
    expect(Array.from(dst)).toEqual([1, -2]);
    expect(() => float16ToFloat32(new Uint16Array(3), new Float32Array(2))).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    const shared = new ArrayBuffer(16);
    expect(() => float16ToFloat32(new Uint16Array(shared, 0, 4), new Float32Array(shared, 0, 4))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG' }),
    );
    expect(() => float16ToFloat32(new Float32Array(2) as unknown as Uint16Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
  });

  it('handles views at odd 2-byte offsets and odd lengths (the paired-load path)', () => {
    for (const [start, end] of [[1, 65536], [1, 65535], [2, 65535], [3, 8], [1, 2], [0, 1], [5, 5]]) {
      const view = allHalves.subarray(start, end);
      const got = float16ToFloat32(view);
      expect(got.length).toBe(end - start);
      for (let i = 0; i < view.length; i += 1) {
        const want = refHalfValue(view[i]);
        if (!(Object.is(got[i], want) || (Number.isNaN(want) && Number.isNaN(got[i])))) expect({ start, i, got: got[i] }).toEqual({ start, i, got: want });
      }
    }
    // dst at an offset inside a bigger buffer: nothing outside it is touched
    const big = new Float32Array(10).fill(7);
    float16ToFloat32(Uint16Array.of(0x3c00, 0x4000, 0x4200), big.subarray(3, 6));
    expect(Array.from(big)).toEqual([7, 7, 7, 1, 2, 3, 7, 7, 7, 7]);
  });

  it('float16ToFloat64 and halfToNumber agree with the reference', () => {
    const d = float16ToFloat64(allHalves);
    for (let h = 0; h < 65536; h += 7) {
      const want = refHalfValue(h);
      expect(Object.is(d[h], want) || (Number.isNaN(want) && Number.isNaN(d[h]))).toBe(true);
      expect(Object.is(halfToNumber(h), want) || (Number.isNaN(want) && Number.isNaN(halfToNumber(h)))).toBe(true);
    }
  });
});

function checkNarrowing(values: Float32Array): void {
  const got = float32ToFloat16(values);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x)) {
      expect((got[i] & 0x7c00) === 0x7c00 && (got[i] & 0x3ff) !== 0).toBe(true);
      continue;
    }
    const want = refToHalf(x);
    if (got[i] !== want) expect({ x, bits: floatToBits(x).toString(16), got: got[i].toString(16) }).toEqual({ x, bits: floatToBits(x).toString(16), got: want.toString(16) });
  }
}

describe('float32ToFloat16', () => {
  it('round-trips every half bit pattern (NaN payloads included)', () => {
    const back = float32ToFloat16(float16ToFloat32(allHalves));
    for (let h = 0; h < 65536; h++) if (back[h] !== h) expect(back[h]).toBe(h);
  });

  it('rounds to nearest even at every halfway point and one float32 ulp either side', () => {
    const xs: number[] = [];
    for (let h = 0; h < 0x7bff; h++) {
      const lo = refHalfValue(h);
      const mid = (lo + refHalfValue(h + 1)) / 2; // exact in float32 (12 significant bits)
      const midBits = floatToBits(mid);
      expect(bitsToFloat(midBits)).toBe(mid);
      xs.push(mid, bitsToFloat(midBits - 1), bitsToFloat(midBits + 1), -mid, -bitsToFloat(midBits + 1));
    }
    checkNarrowing(Float32Array.from(xs));
    // spot-check the tie rule directly: 1 + 2^-11 is halfway between 0x3c00 (even) and 0x3c01
    expect(float32ToFloat16(Float32Array.of(1 + 2 ** -11, 1 + 3 * 2 ** -11))).toEqual(Uint16Array.of(0x3c00, 0x3c02));
  });

  it('handles overflow, max half, subnormals and underflow', () => {
    const cases: Array<[number, number]> = [
      [65504, 0x7bff],
      [65519.99609375, 0x7bff], // just below the halfway point to 2^16
      [65520, 0x7c00], // halfway: ties to even = inf
      [1e10, 0x7c00],
      [-1e10, 0xfc00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway to 0: ties to even = 0
      [bitsToFloat(floatToBits(2 ** -25) + 1), 0x0001], // just above halfway
      [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 ulps: even = 2
      [2 ** -14 - 2 ** -25, 0x0400], // halfway between largest subnormal and smallest normal
      [2 ** -14, 0x0400],
      [1e-45, 0x0000], // float32 subnormal
      [-1e-45, 0x8000],
      [-0, 0x8000],
      [0, 0x0000],
    ];
    const got = float32ToFloat16(Float32Array.from(cases.map((c) => c[0])));
    cases.forEach(([x, want], i) => expect({ x, got: got[i] }).toEqual({ x, got: want }));
    checkNarrowing(Float32Array.from(cases.map((c) => c[0])));
  });

  it('matches the reference on 300,000 random float32 bit patterns', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed;
    };
    const bits = new Uint32Array(300000);
    for (let i = 0; i < bits.length; i++) {
      // Half the samples concentrated in and around the half range (exponent 100..150).
      const r = rnd();
      bits[i] = i % 2 === 0 ? r : ((r & 0x807fffff) | ((100 + (rnd() % 51)) << 23)) >>> 0;
    }
    checkNarrowing(new Float32Array(bits.buffer));
  });

  it('narrows into views at odd offsets and odd lengths (the paired-store path)', () => {
    const src = float16ToFloat32(allHalves);
    for (const [start, end] of [[1, 65536], [1, 65535], [2, 65535], [3, 8], [1, 2], [0, 1], [5, 5]]) {
      const buf = new Uint16Array(65537).fill(0xabcd);
      const dst = buf.subarray(start, end);
      float32ToFloat16(src.subarray(start, end), dst);
      for (let i = start; i < end; i++) if (buf[i] !== i) expect({ start, i, got: buf[i] }).toEqual({ start, i, got: i });
      // nothing outside the view is written
      if (start > 0) expect(buf[start - 1]).toBe(0xabcd);
      expect(buf[end]).toBe(0xabcd);
    }
  });

  it('keeps NaN as NaN, with its top payload bits', () => {
    const nan = new Float32Array(new Uint32Array([0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa02000]).buffer);
    const got = float32ToFloat16(nan);
    expect(Array.from(got, (h) => h.toString(16))).toEqual(['7e00', 'fe00', '7e00', '7d01']);
  });

  it('does not write into the source', () => {
    const src = Float32Array.of(1.0001, -2.5, 70000);
    const copy = src.slice();
    float32ToFloat16(src);
    expect(src).toEqual(copy);
  });
});

describe('numberToHalf / float64ToFloat16 (double input, single rounding)', () => {
  it('rounds a double directly, without float32 double rounding', () => {
    // 1 + 2^-11 + 2^-40: via float32 it becomes the tie 1 + 2^-11 and rounds down to 1;
    // the correct nearest half is 1 + 2^-10.
    const x = 1 + 2 ** -11 + 2 ** -40;
    expect(numberToHalf(x)).toBe(0x3c01);
    expect(float32ToFloat16(Float32Array.of(x))[0]).toBe(0x3c00);
  });

  it('agrees with the reference on halves, midpoints and random doubles', () => {
    const xs: number[] = [];
    for (let h = 0; h < 0x7bff; h += 3) {
      const a = refHalfValue(h);
      const mid = (a + refHalfValue(h + 1)) / 2;
      xs.push(a, mid, mid + mid * 2 ** -45, mid - mid * 2 ** -45, -mid);
    }
    let seed = 99;
    for (let i = 0; i < 50000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      xs.push((seed / 2 ** 32 - 0.5) * 2 ** ((seed % 48) - 30));
    }
    xs.push(65520, 65519.999999, 2 ** -25, 2 ** -25 + 2 ** -80, 1e300, -1e-300, -0, Infinity);
    const got = float64ToFloat16(xs);
    xs.forEach((x, i) => {
      if (got[i] !== refToHalf(x)) expect({ x, got: got[i] }).toEqual({ x, got: refToHalf(x) });
    });
    expect(numberToHalf(NaN) & 0x7c00).toBe(0x7c00);
    expect(numberToHalf(NaN) & 0x3ff).not.toBe(0);
  });
});
