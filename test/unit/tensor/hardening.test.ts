// Issue 9 (items 4 and 6, TypeScript side): exact element counts, allocation failures and
// malformed .npy v3 headers all end in documented error codes.
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../../lib/errors.js';
import { parseNpy } from '../../../lib/tensor/npy.js';
import { checkedElementCount } from '../../../lib/tensor/shape.js';
import { Tensor } from '../../../lib/tensor/Tensor.js';

/** A .npy 3.0 file around `header` (raw bytes; NumPy pads to 64 and ends with '\n'). */
function npyV3(header: Uint8Array, data: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil((12 + header.length + 1) / 64) * 64 - 12).fill(0x20);
  padded.set(header);
  padded[padded.length - 1] = 0x0a;
  const out = new Uint8Array(12 + padded.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 3, 0]);
  new DataView(out.buffer).setUint32(8, padded.length, true);
  out.set(padded, 12);
  out.set(data, 12 + padded.length);
  return out;
}

describe('checkedElementCount', () => {
  it('is exact up to 2^53 - 1 and undefined above, never a wrapped or rounded number', () => {
    expect(checkedElementCount([])).toBe(1);
    expect(checkedElementCount([2, 3, 4])).toBe(24);
    expect(checkedElementCount([2 ** 26, 2 ** 26])).toBe(2 ** 52);
    expect(checkedElementCount([2 ** 26, 2 ** 26, 2])).toBeUndefined(); // 2^53: one above the largest safe integer
    expect(checkedElementCount([2 ** 26 + 1, 2 ** 27 + 1])).toBeUndefined(); // rounds in float64
    expect(checkedElementCount([0xffffffff, 0xffffffff, 0xffffffff])).toBeUndefined();
    expect(checkedElementCount([2 ** 32, 2 ** 32, 0])).toBe(0);
    expect(checkedElementCount([1e308, 1e308, 0])).toBeUndefined(); // not safe integers
    expect(checkedElementCount([-1, 2])).toBeUndefined();
    expect(checkedElementCount([1.5])).toBeUndefined();
  });
});

describe('Tensor sizes', () => {
  it('Tensor.zeros with dims too large to allocate throws ERR_OUT_OF_RANGE naming the dims, not a bare RangeError', () => {
    for (const dims of [
      [2 ** 31, 2 ** 20],
      [2 ** 26, 2 ** 26],
    ]) {
      let err: unknown;
      try {
        Tensor.zeros('float32', dims);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RangeError);
      expect(hasCode(err, 'ERR_OUT_OF_RANGE')).toBe(true);
      expect((err as Error).message).toContain(`[${dims.join(', ')}]`);
    }
    expect(() => Tensor.zeros('float64', [2 ** 27, 2 ** 27])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('rejects dims whose product is not exact', () => {
    expect(() => new Tensor('uint8', new Uint8Array(0), [2 ** 26 + 1, 2 ** 27 + 1])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('.npy v3 headers', () => {
  const header = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));

  it('reads a valid UTF-8 header', () => {
    const t = parseNpy(npyV3(header("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }"), Uint8Array.from([1, 0, 0xfe, 0xff])));
    expect([...t.data]).toEqual([1, -2]);
  });

  it('throws NPY_MALFORMED for a header that is not valid UTF-8', () => {
    const bad = header("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }");
    bad[2] = 0xff; // inside 'descr'
    let err: unknown;
    try {
      parseNpy(npyV3(bad, new Uint8Array(4)));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'NPY_MALFORMED', message: expect.stringContaining('not valid UTF-8') });
  });
});
