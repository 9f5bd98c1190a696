import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { parseRaw, readRaw, readRawSync, writeRaw, writeRawSync } from '../../../lib/tensor/raw.js';
import { Tensor } from '../../../lib/tensor/Tensor.js';

const vals = (t: Tensor): Array<number | bigint> => Array.from(t.data as ArrayLike<number | bigint>);

const dir = mkdtempSync(join(tmpdir(), 'qnn-raw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('.raw files (headerless little-endian, as qnn-net-run uses them)', () => {
  it('reads little-endian float32 written byte by byte', async () => {
    const p = join(dir, 'in.raw');
    // 1.0, -2.0, 0.5 as little-endian IEEE 754 single
    writeFileSync(p, Uint8Array.of(0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f));
    const t = await readRaw(p, { dtype: 'float32', dims: [1, 3] });
    expect(t.dims).toEqual([1, 3]);
    expect(vals(t)).toEqual([1, -2, 0.5]);
    expect(vals(readRawSync(p, { dtype: 'float32', dims: [3] }))).toEqual([1, -2, 0.5]);
  });

  it('reads quantized storage with parameters and packed 4-bit data', () => {
    const t = parseRaw(Uint8Array.of(0, 128, 255), { dtype: 'ufixed8', dims: [3], quant: { encoding: 'scale-offset', scale: 2, offset: -128 } });
    expect(Array.from(t.toFloat32())).toEqual([-256, 0, 254]);
    const p = parseRaw(Uint8Array.of(0x21, 0x03), { dtype: 'ufixed4', dims: [3], quant: { encoding: 'scale-offset', scale: 1, offset: 0 } });
    expect(Array.from(p.toFloat32())).toEqual([1, 2, 3]);
  });

  it('checks the byte size exactly: FILE_TRUNCATED when short, SIZE_MISMATCH when long', async () => {
    const p = join(dir, 'short.raw');
    writeFileSync(p, new Uint8Array(10));
    await expect(readRaw(p, { dtype: 'float32', dims: [3] })).rejects.toMatchObject({
      code: 'FILE_TRUNCATED',
      message: expect.stringMatching(/short\.raw has 10 bytes.*needs 12/),
    });
    expect(() => parseRaw(new Uint8Array(16), { dtype: 'float32', dims: [3] })).toThrow(
      expect.objectContaining({ code: 'SIZE_MISMATCH', message: expect.stringMatching(/16 bytes.*needs 12/) }),
    );
    expect(() => parseRaw(new Uint8Array(3), { dtype: 'ufixed4', dims: [5] })).not.toThrow();
    expect(() => parseRaw(new Uint8Array(2), { dtype: 'ufixed4', dims: [5] })).toThrow(expect.objectContaining({ code: 'FILE_TRUNCATED' }));
  });

  it('validates dtype and dims and reports missing files', async () => {
    expect(() => parseRaw(new Uint8Array(4), { dtype: 'float8' as never, dims: [4] })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_DTYPE' }));
    expect(() => parseRaw(new Uint8Array(4), { dtype: 'uint8', dims: [-4] })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    const missing = join(dir, 'nope.raw');
    await expect(readRaw(missing, { dtype: 'uint8', dims: [1] })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining(missing) });
    expect(() => readRawSync(missing, { dtype: 'uint8', dims: [1] })).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND' }));
  });

  it('wraps bytes without copying when aligned', () => {
    const bytes = new Uint8Array(8);
    const t = parseRaw(bytes, { dtype: 'int32', dims: [2] });
    bytes[4] = 5;
    expect(t.data[1]).toBe(5);
  });

  it('writes the storage bytes only, little-endian', async () => {
    const t = new Tensor('int16', Int16Array.of(1, -2), [2]);
    const p = join(dir, 'out.raw');
    await writeRaw(p, t);
    expect(Array.from(readFileSync(p))).toEqual([1, 0, 0xfe, 0xff]);
    writeRawSync(join(dir, 'h.raw'), new Tensor('float16', [1], [1]));
    expect(Array.from(readFileSync(join(dir, 'h.raw')))).toEqual([0x00, 0x3c]);
    // round trip through a view at an offset writes only the view's bytes
    const big = new Int16Array([9, 9, 7, 8]);
    await writeRaw(p, new Tensor('int16', big.subarray(2), [2]));
    expect(Array.from(readFileSync(p))).toEqual([7, 0, 8, 0]);
  });
});
