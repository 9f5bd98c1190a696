import { describe, expect, it } from 'vitest';

import { Tensor } from '../../../lib/tensor/Tensor.js';
import { ALL_DTYPES, DTYPES, byteLengthOf, type DType, type QuantParams } from '../../../lib/tensor/dtypes.js';
import * as publicApi from '../../../lib/index.js';

const so = (scale: number, offset: number): QuantParams => ({ encoding: 'scale-offset', scale, offset });

describe('Tensor construction', () => {
  it('wraps a typed array without copying: writes show through both ways', () => {
    const src = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = new Tensor('float32', src, [2, 3]);
    expect(t.data).toBe(src);
    src[4] = 42;
    expect(t.data[4]).toBe(42);
    t.data[0] = -1;
    expect(src[0]).toBe(-1);
    expect(t.size).toBe(6);
    expect(t.byteLength).toBe(24);
    expect(t.bytes.buffer).toBe(src.buffer);
    expect(t.bytes.byteLength).toBe(24);
    t.bytes[0] = 0; // low byte of -1.0 is already 0; change a float through bytes instead
    t.bytes.set([0, 0, 0x80, 0x3f], 4); // 1.0 little-endian
    expect(src[1]).toBe(1);
  });

  it('wraps a subarray view at a non-zero offset', () => {
    const big = new Int16Array(10);
    const view = big.subarray(3, 7);
    const t = new Tensor('int16', view, [4]);
    big[3] = 99;
    expect(t.data[0]).toBe(99);
    expect(t.bytes.byteOffset).toBe(6);
  });

  it('rejects resizable / growable memory (it can move or shrink under a native run)', () => {
    const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
    const Growable = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer;
    const rab = new Resizable(24, { maxByteLength: 48 });
    const gsab = new Growable(24, { maxByteLength: 48 });
    const invalid = expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG', message: expect.stringContaining('Expected a fixed-length ArrayBuffer for data') });
    for (const data of [rab, new Float32Array(rab), new Float32Array(rab, 0, 6), gsab, new Float32Array(gsab)]) {
      expect(() => new Tensor('float32', data as Float32Array, [2, 3])).toThrow(invalid);
    }
    // An own `resizable` property cannot spoof the check either way.
    const fixed = new ArrayBuffer(24);
    Object.defineProperty(fixed, 'resizable', { value: true });
    expect(new Tensor('float32', fixed, [2, 3]).size).toBe(6);
    Object.defineProperty(rab, 'resizable', { value: false });
    expect(() => new Tensor('float32', rab, [2, 3])).toThrow(invalid);
    expect(new Tensor('float32', new Float32Array(new SharedArrayBuffer(24)), [2, 3]).size).toBe(6);
  });

  it('wraps an ArrayBuffer without copying', () => {
    const buf = new ArrayBuffer(8);
    const t = new Tensor('float16', buf, [4]);
    expect(t.data).toBeInstanceOf(Uint16Array);
    new Uint16Array(buf)[2] = 0x3c00;
    expect(t.toFloat32()[2]).toBe(1);
  });

  it('accepts a Node Buffer for byte-sized dtypes', () => {
    const b = Buffer.from([1, 0, 1]);
    const t = new Tensor('bool', b, [3]);
    b[1] = 1;
    expect(Array.from(t.toFloat32())).toEqual([1, 1, 1]);
  });

  it('uses the right storage array for every dtype', () => {
    for (const dtype of ALL_DTYPES) {
      const t = Tensor.zeros(dtype, [3, 5]);
      expect(t.data).toBeInstanceOf(DTYPES[dtype].arrayType);
      expect(t.byteLength).toBe(byteLengthOf(dtype, 15));
    }
    expect(Tensor.zeros('ufixed4', [3, 5]).byteLength).toBe(8);
    expect(Tensor.zeros('int64', [2]).data).toBeInstanceOf(BigInt64Array);
  });

  it('reports SIZE_MISMATCH naming both byte counts', () => {
    const err = (() => {
      try {
        new Tensor('float32', new Float32Array(5), [2, 3]);
      } catch (e) {
        return e as { code: string; message: string };
      }
      throw new Error('no throw');
    })();
    expect(err.code).toBe('SIZE_MISMATCH');
    expect(err.message).toContain('24');
    expect(err.message).toContain('20');
    expect(err.message).toContain('[2, 3]');
    expect(() => new Tensor('float32', new ArrayBuffer(25), [2, 3])).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    expect(() => new Tensor('ufixed4', new Uint8Array(2), [5])).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    expect(() => new Tensor('ufixed4', new Uint8Array(3), [5])).not.toThrow();
  });

  it('reports DTYPE_MISMATCH for the wrong typed array (no reinterpretation)', () => {
    expect(() => new Tensor('float32', new Uint8Array(8) as never, [2])).toThrow(
      expect.objectContaining({ code: 'DTYPE_MISMATCH', message: expect.stringMatching(/Float32Array.*Uint8Array/) }),
    );
    expect(() => new Tensor('sfixed8', new Uint8Array(2) as never, [2])).toThrow(expect.objectContaining({ code: 'DTYPE_MISMATCH' }));
    expect(() => new Tensor('float16', new Float32Array(2) as never, [2])).toThrow(expect.objectContaining({ code: 'DTYPE_MISMATCH', message: expect.stringContaining('fromFloat32') }));
  });

  it('validates dims and dtype', () => {
    expect(() => new Tensor('float32', new Float32Array(0), [-1 as number])).toThrow(/dims\[0\].*-1/);
    expect(() => new Tensor('float32', new Float32Array(2), [1.5])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Tensor('float32', new Float32Array(1), [NaN])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Tensor('float32', new Float32Array(1), 1 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => new Tensor('float24' as DType, new Float32Array(1), [1])).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_DTYPE', message: expect.stringContaining('float24') }),
    );
    expect(() => new Tensor('float32', 'abc' as never, [1])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
  });

  it('freezes a copy of dims and quant', () => {
    const dims = [2, 2];
    const quant = { encoding: 'scale-offset' as const, scale: 0.5, offset: 1 };
    const t = new Tensor('ufixed8', new Uint8Array(4), dims, { quant });
    dims[0] = 7;
    quant.scale = 99;
    expect(t.dims).toEqual([2, 2]);
    expect(Object.isFrozen(t.dims)).toBe(true);
    expect(t.quant).toEqual({ encoding: 'scale-offset', scale: 0.5, offset: 1 });
    expect(Object.isFrozen(t.quant)).toBe(true);
  });

  it('handles scalars and empty tensors', () => {
    const s = new Tensor('float32', [3.5], []);
    expect(s.size).toBe(1);
    expect(s.dims).toEqual([]);
    const e = new Tensor('int32', new Int32Array(0), [0, 4]);
    expect(e.size).toBe(0);
    expect(e.to('float32').size).toBe(0);
  });

  it('copies and validates plain arrays', () => {
    const values = [1, 2, 3];
    const t = new Tensor('int8', values, [3]);
    values[0] = 100;
    expect(Array.from(t.data)).toEqual([1, 2, 3]);
    expect(() => new Tensor('int8', [1, 200], [2])).toThrow(/data\[1\].*200/);
    expect(() => new Tensor('int32', [1.5], [1])).toThrow(/data\[0\].*1\.5/);
    expect(() => new Tensor('uint16', [-1], [1])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Tensor('float32', [1, 2], [3])).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    expect(() => new Tensor('float32', ['1' as never], [1])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(Array.from(new Tensor('float16', [1, -2, 65504, 1e6], [4]).data)).toEqual([0x3c00, 0xc000, 0x7bff, 0x7c00]);
    expect(Array.from(new Tensor('bool', [true, false, 1, 0], [4]).data)).toEqual([1, 0, 1, 0]);
    expect(() => new Tensor('bool', [2], [1])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    const big = new Tensor('int64', [2n ** 62n, -5, 0n], [3]);
    expect(big.data[0]).toBe(2n ** 62n);
    expect(big.data[1]).toBe(-5n);
    expect(() => new Tensor('int64', [2 ** 60], [1])).toThrow(/safe integer/);
    expect(() => new Tensor('uint64', [-1n], [1])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(Array.from(new Tensor('ufixed4', [1, 2, 15], [3]).data)).toEqual([0x21, 0x0f]);
    expect(() => new Tensor('sfixed4', [8], [1])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('only accepts quant params on quantized dtypes, and validates them', () => {
    expect(() => new Tensor('float32', new Float32Array(1), [1], { quant: so(1, 0) })).toThrow(expect.objectContaining({ code: 'DTYPE_MISMATCH' }));
    expect(() => new Tensor('ufixed8', new Uint8Array(1), [1], { quant: so(0, 0) })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('is exported from the package entry', () => {
    expect(publicApi.Tensor).toBe(Tensor);
    expect(typeof publicApi.parseNpy).toBe('function');
    expect(typeof publicApi.compare).toBe('function');
    expect(typeof publicApi.float16ToFloat32).toBe('function');
  });
});

describe('Tensor.fromFloat32 / fromBytes / zeros', () => {
  it('quantizes into new memory', () => {
    const f = Float32Array.of(0, 0.5, 1);
    const t = Tensor.fromFloat32('ufixed8', f, [3], { quant: so(1 / 255, 0) });
    expect(Array.from(t.data)).toEqual([0, 128, 255]);
    expect(Array.from(f)).toEqual([0, 0.5, 1]);
    const same = Tensor.fromFloat32('float32', f, [3]);
    expect(same.data).not.toBe(f);
    expect(() => Tensor.fromFloat32('ufixed8', f, [3])).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CONVERSION' }));
    expect(() => Tensor.fromFloat32('float32', f, [4])).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
  });

  it('fromBytes wraps aligned bytes and copies misaligned ones', () => {
    const buf = new Uint8Array(12);
    const aligned = Tensor.fromBytes('float32', buf.subarray(4, 12), [2]);
    buf.set([0, 0, 0x80, 0x3f], 4);
    expect(aligned.data[0]).toBe(1);
    const misaligned = Tensor.fromBytes('float32', buf.subarray(1, 9), [2]);
    buf.fill(0xff);
    expect(misaligned.data[0]).not.toBeNaN(); // was copied before the fill
    expect(() => Tensor.fromBytes('float32', buf.subarray(0, 7), [2])).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
  });

  it('zeros gives zero storage (q = 0 for quantized tensors)', () => {
    const t = Tensor.zeros('ufixed8', [2], { quant: so(0.5, -10) });
    expect(Array.from(t.data)).toEqual([0, 0]);
    expect(Array.from(t.toFloat32())).toEqual([-5, -5]);
  });
});

describe('Tensor.to', () => {
  function snapshot(t: Tensor): number[] {
    return Array.from(t.bytes);
  }

  it('never writes into the source', () => {
    const src = new Tensor('float32', Float32Array.of(1.25, -7.5, 1e9, NaN), [4]);
    const before = snapshot(src);
    for (const dtype of ALL_DTYPES) {
      const quant = DTYPES[dtype].quantized ? so(0.5, 0) : undefined;
      const out = src.to(dtype, { quant });
      expect(out.bytes.buffer).not.toBe(src.bytes.buffer);
    }
    expect(snapshot(src)).toEqual(before);
  });

  it('same dtype gives an independent copy', () => {
    const src = new Tensor('int16', Int16Array.of(1, 2), [2]);
    const copy = src.to('int16');
    copy.data[0] = 9;
    expect(src.data[0]).toBe(1);
  });

  it('float -> integer rounds half to even, saturates and maps NaN to 0', () => {
    const src = new Tensor('float64', Float64Array.of(0.5, 1.5, 2.5, -2.5, -0.4, 300, -300, NaN, Infinity), [9]);
    expect(Array.from(src.to('int8').data)).toEqual([0, 2, 2, -2, 0, 127, -128, 0, 127]);
    expect(Array.from(src.to('uint8').data)).toEqual([0, 2, 2, 0, 0, 255, 0, 0, 255]);
    const big = new Tensor('float64', Float64Array.of(1e30, -1e30, 2 ** 53, NaN), [4]).to('int64');
    expect(Array.from(big.data)).toEqual([2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n, 0n]);
    expect(Array.from(new Tensor('float32', Float32Array.of(-1, 1e30), [2]).to('uint64').data)).toEqual([0n, 2n ** 64n - 1n]);
  });

  it('integer -> integer saturates, exactly for 64-bit values beyond 2^53', () => {
    const src = new Tensor('int64', BigInt64Array.of(2n ** 60n + 1n, -1n, 300n), [3]);
    expect(Array.from(src.to('uint64').data)).toEqual([2n ** 60n + 1n, 0n, 300n]);
    expect(Array.from(src.to('int16').data)).toEqual([32767, -1, 300]);
    expect(Array.from(src.to('uint8').data)).toEqual([255, 0, 255]);
    expect(Array.from(new Tensor('int32', Int32Array.of(-5, 70000), [2]).to('uint16').data)).toEqual([0, 65535]);
    expect(Array.from(new Tensor('uint32', Uint32Array.of(4e9), [1]).to('int64').data)).toEqual([4000000000n]);
  });

  it('converts bool both ways', () => {
    const b = new Tensor('bool', Uint8Array.of(0, 1, 7), [3]);
    expect(Array.from(b.to('float32').data)).toEqual([0, 1, 1]);
    expect(Array.from(b.to('int64').data)).toEqual([0n, 1n, 1n]);
    expect(Array.from(new Tensor('float32', Float32Array.of(0, -0, 0.1, NaN), [4]).to('bool').data)).toEqual([0, 0, 1, 1]);
    expect(Array.from(new Tensor('int64', BigInt64Array.of(0n, 2n ** 62n), [2]).to('bool').data)).toEqual([0, 1]);
  });

  it('float16 <-> float32 / float64', () => {
    const h = new Tensor('float32', Float32Array.of(1, 0.1, 70000), [3]).to('float16');
    expect(Array.from(h.data)).toEqual([0x3c00, 0x2e66, 0x7c00]);
    expect(Array.from(h.to('float64').data)).toEqual([1, 0.0999755859375, Infinity]);
    // float64 -> float16 rounds once (no float32 detour)
    expect(new Tensor('float64', Float64Array.of(1 + 2 ** -11 + 2 ** -40), [1]).to('float16').data[0]).toBe(0x3c01);
  });

  it('quantized <-> float and quantized -> quantized', () => {
    const q = new Tensor('ufixed8', Uint8Array.of(0, 128, 255), [3], { quant: so(0.1, -128) });
    expect(Array.from(q.to('float64').data)).toEqual([0.1 * -128, 0, 0.1 * 127]);
    expect(Array.from(q.to('float32').data)).toEqual(Array.from(Float32Array.of(-12.8, 0, 12.7)));
    const s = q.to('sfixed16', { quant: so(0.05, 0) });
    expect(Array.from(s.data)).toEqual([-256, 0, 254]);
    const re = q.to('ufixed8', { quant: so(0.2, -64) });
    expect(Array.from(re.data)).toEqual([0, 64, 128]); // 12.7/0.2 = 63.5 -> 64 (even) -> +64
    const copy = q.to('ufixed8');
    expect(copy.quant).toEqual(q.quant);
    expect(copy.data).not.toBe(q.data);
    const h = q.to('float16');
    expect(Array.from(h.to('float32').data)).toEqual([-12.796875, 0, 12.703125]);
  });

  it('refuses conversions that make no sense or lack parameters', () => {
    const q = new Tensor('ufixed8', Uint8Array.of(1), [1], { quant: so(1, 0) });
    expect(() => q.to('int32')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CONVERSION', message: expect.stringContaining('ufixed8 to int32') }));
    expect(() => q.to('bool')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CONVERSION' }));
    expect(() => new Tensor('int8', [1], [1]).to('sfixed8', { quant: so(1, 0) })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CONVERSION' }));
    expect(() => new Tensor('float32', [1], [1]).to('sfixed8')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CONVERSION' }));
    expect(() => q.to('sfixed16')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CONVERSION' }));
    const noParams = new Tensor('ufixed8', Uint8Array.of(1), [1]);
    expect(() => noParams.toFloat32()).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CONVERSION', message: expect.stringContaining('no quantization parameters') }));
    expect(() => new Tensor('float32', [1], [1]).to('int8', { quant: so(1, 0) })).toThrow(expect.objectContaining({ code: 'DTYPE_MISMATCH' }));
    expect(() => new Tensor('float32', [1], [1]).to('complex64' as DType)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_DTYPE' }));
  });

  it('converts every pair of dtypes that should convert, and round-trips small integers', () => {
    const values = [0, 1, 2, 3];
    for (const from of ALL_DTYPES) {
      for (const to of ALL_DTYPES) {
        const fq = DTYPES[from].quantized ? so(1, 0) : undefined;
        const tq = DTYPES[to].quantized ? so(1, 0) : undefined;
        const src = Tensor.fromFloat32(from, values, [2, 2], { quant: fq });
        const forbidden =
          (DTYPES[from].quantized && !DTYPES[to].quantized && !DTYPES[to].float) ||
          (DTYPES[to].quantized && !DTYPES[from].quantized && !DTYPES[from].float);
        if (forbidden) {
          expect(() => src.to(to, { quant: tq })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CONVERSION' }));
          continue;
        }
        const out = src.to(to, { quant: tq });
        expect(out.dims).toEqual([2, 2]);
        const want = from === 'bool' || to === 'bool' ? [0, 1, 1, 1] : values;
        expect({ from, to, got: Array.from(out.toFloat64()) }).toEqual({ from, to, got: want });
      }
    }
  });
});

describe('Tensor.reshape / clone', () => {
  it('returns a view over the same memory', () => {
    const t = new Tensor('float32', new Float32Array(6), [2, 3]);
    const r = t.reshape([3, -1]);
    expect(r.dims).toEqual([3, 2]);
    r.data[5] = 5;
    expect(t.data[5]).toBe(5);
    expect(() => t.reshape([4, 2])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringMatching(/\[2, 3\].*\[4, 2\]/) }));
    expect(() => t.reshape([-1, -1])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => t.reshape([4, -1])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });

  it('moves the per-axis quantization axis when it survives and refuses otherwise', () => {
    const quant: QuantParams = { encoding: 'axis-scale-offset', axis: 1, scales: [1, 2, 3], offsets: [0, 0, 0] };
    const t = new Tensor('sfixed8', new Int8Array(6), [2, 3], { quant });
    const r = t.reshape([1, 2, 3, 1]);
    expect(r.quant).toMatchObject({ axis: 2 });
    expect(() => t.reshape([3, 2])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });

  it('clone copies memory', () => {
    const t = new Tensor('uint8', Uint8Array.of(1, 2), [2]);
    const c = t.clone();
    c.data[0] = 9;
    expect(t.data[0]).toBe(1);
    expect(String(c)).toBe('Tensor<uint8>[2]');
  });
});
