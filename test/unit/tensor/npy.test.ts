import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { encodeNpy, parseNpy, readNpy, readNpySync, writeNpy, writeNpySync } from '../../../lib/tensor/npy.js';
import { Tensor } from '../../../lib/tensor/Tensor.js';

const vals = (t: Tensor): Array<number | bigint> => Array.from(t.data as ArrayLike<number | bigint>);

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/**
 * Files written by NumPy 2.4 (np.save / np.lib.format.write_array), as hex. NumPy 2 pads
 * the header so the data starts at byte 128.
 */
const NUMPY = {
  // np.array([[1, -2, 0.5], [65504, -0.0, inf]], '<f2')
  f2: '934e554d5059010076007b276465736372273a20273c6632272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a003c00c00038ff7b0080007c',
  // np.array([True, False, True])
  b1: '934e554d5059010076007b276465736372273a20277c6231272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a010001',
  // np.array([-(2**63), 2**53 + 1, 7], '<i8')
  i8: '934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000008001000000000020000700000000000000',
  // np.array(200, '|u1') (a 0-d scalar)
  u1Scalar: '934e554d5059010076007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200ac8',
  // version 2.0: np.array([1.5, -3.25], '<f4')
  f4v2: '934e554d50590200740000007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000c03f000050c0',
  // version 3.0: np.array([[1, -2]], '<i2')
  i2v3: '934e554d50590300740000007b276465736372273a20273c6932272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028312c2032292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0100feff',
  // np.asfortranarray(np.arange(6.).reshape(2, 3))
  f8Fortran: '934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00000000000000000000000000000840000000000000f03f000000000000104000000000000000400000000000001440',
  // np.zeros((0, 3), '<u2')
  empty: '934e554d5059010076007b276465736372273a20273c7532272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028302c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a',
};

/**
 * Builds a .npy file by hand from the format description: magic, version, little-endian
 * header length (2 bytes for 1.x, 4 for 2.x/3.x), header text padded to `align` and
 * ended by '\n', then the data bytes.
 */
function npyBytes(header: string, data: ArrayLike<number>, opts: { major?: number; minor?: number; align?: number; pad?: boolean } = {}): Uint8Array {
  const major = opts.major ?? 1;
  const lenBytes = major === 1 ? 2 : 4;
  const pre = 8 + lenBytes;
  const text = Buffer.from(header, major === 3 ? 'utf8' : 'latin1');
  let total = text.length + 1;
  if (opts.pad !== false) {
    const align = opts.align ?? 64;
    while ((pre + total) % align !== 0) total++;
  }
  const out = new Uint8Array(pre + total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, opts.minor ?? 0]);
  out[8] = total & 0xff;
  out[9] = (total >> 8) & 0xff;
  if (lenBytes === 4) {
    out[10] = (total >> 16) & 0xff;
    out[11] = (total >>> 24) & 0xff;
  }
  out.set(text, pre);
  out.fill(0x20, pre + text.length, pre + total - 1);
  out[pre + total - 1] = 0x0a;
  out.set(data, pre + total);
  return out;
}

const dict = (descr: string, shape: string, fortran = 'False'): string => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected a throw');
}

describe('parseNpy on files written by NumPy', () => {
  it('reads <f2 as float16 bits with dims', () => {
    const t = parseNpy(hex(NUMPY.f2));
    expect(t.dtype).toBe('float16');
    expect(t.dims).toEqual([2, 3]);
    expect(vals(t)).toEqual([0x3c00, 0xc000, 0x3800, 0x7bff, 0x8000, 0x7c00]);
    const f = t.toFloat32();
    expect(Array.from(f)).toEqual([1, -2, 0.5, 65504, -0, Infinity]);
    expect(Object.is(f[4], -0)).toBe(true);
  });

  it('reads |b1, <i8 (bigint, beyond 2^53), 0-d scalars and empty arrays', () => {
    const b = parseNpy(hex(NUMPY.b1));
    expect(b.dtype).toBe('bool');
    expect(vals(b)).toEqual([1, 0, 1]);
    const i = parseNpy(hex(NUMPY.i8));
    expect(i.dtype).toBe('int64');
    expect(vals(i)).toEqual([-(2n ** 63n), 2n ** 53n + 1n, 7n]);
    const s = parseNpy(hex(NUMPY.u1Scalar));
    expect(s.dims).toEqual([]);
    expect(s.size).toBe(1);
    expect(s.data[0]).toBe(200);
    const e = parseNpy(hex(NUMPY.empty));
    expect(e.dtype).toBe('uint16');
    expect(e.dims).toEqual([0, 3]);
    expect(e.size).toBe(0);
  });

  it('reads format versions 2.0 and 3.0', () => {
    const v2 = parseNpy(hex(NUMPY.f4v2));
    expect(v2.dtype).toBe('float32');
    expect(vals(v2)).toEqual([1.5, -3.25]);
    const v3 = parseNpy(hex(NUMPY.i2v3));
    expect(v3.dtype).toBe('int16');
    expect(v3.dims).toEqual([1, 2]);
    expect(vals(v3)).toEqual([1, -2]);
  });

  it('refuses fortran_order True for a 2-D array', () => {
    const err = codeOf(() => parseNpy(hex(NUMPY.f8Fortran)));
    expect(err.code).toBe('NPY_UNSUPPORTED');
    expect(err.message).toMatch(/fortran_order True.*\(2, 3\)/);
  });
});

describe('parseNpy on hand-built files', () => {
  it('reads every supported descr', () => {
    const cases: Array<[string, string, number[], number[]]> = [
      ['<f4', 'float32', [0, 0, 0x80, 0x3f], [1]],
      ['<f8', 'float64', [0, 0, 0, 0, 0, 0, 0xf0, 0xbf], [-1]],
      ['|i1', 'int8', [0xff], [-1]],
      ['|u1', 'uint8', [0xff], [255]],
      ['<i2', 'int16', [0xfe, 0xff], [-2]],
      ['<u2', 'uint16', [0xfe, 0xff], [65534]],
      ['<i4', 'int32', [0xfd, 0xff, 0xff, 0xff], [-3]],
      ['<u4', 'uint32', [0xfd, 0xff, 0xff, 0xff], [4294967293]],
      ['<u8', 'uint64', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [2 ** 64]],
      ['<f2', 'float16', [0x00, 0xbc], [-1]],
      ['|b1', 'bool', [1], [1]],
      ['=f4', 'float32', [0, 0, 0x80, 0x3f], [1]], // native order on a little-endian host
      ['u1', 'uint8', [7], [7]], // no byte-order char
      ['>u1', 'uint8', [7], [7]], // byte order is irrelevant for one byte
    ];
    for (const [descr, dtype, bytes, values] of cases) {
      const t = parseNpy(npyBytes(dict(descr, '(1,)'), bytes));
      expect({ descr, dtype: t.dtype, values: Array.from(t.toFloat64()) }).toEqual({ descr, dtype, values });
    }
  });

  it('accepts 16-byte alignment (old NumPy), double quotes, no trailing comma and extra spaces', () => {
    const t = parseNpy(npyBytes(`{"descr":"<i2","shape":(2 ,3) ,"fortran_order":False}`, new Uint8Array(12), { align: 16 }));
    expect(t.dims).toEqual([2, 3]);
    expect(t.dtype).toBe('int16');
  });

  it('accepts fortran_order True when at most one dim exceeds 1 (same layout)', () => {
    const t = parseNpy(npyBytes(dict('|u1', '(1, 3, 1)', 'True'), [1, 2, 3]));
    expect(vals(t)).toEqual([1, 2, 3]);
  });

  it('wraps the data without copying when aligned', () => {
    const file = npyBytes(dict('<f4', '(2,)'), [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
    const t = parseNpy(file);
    expect(t.data.buffer).toBe(file.buffer);
    file.set([0, 0, 0x40, 0x40], file.length - 8); // 3.0 into the first element
    expect(t.data[0]).toBe(3);
  });

  it('copies when the data is misaligned for its element size', () => {
    const file = npyBytes(dict('<f4', '(1,)'), [0, 0, 0x80, 0x3f]);
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const view = shifted.subarray(1);
    const t = parseNpy(view);
    expect(t.data[0]).toBe(1);
    expect(t.data.buffer).not.toBe(shifted.buffer);
  });

  it('reads storage integers as a quantized dtype when asked', () => {
    const t = parseNpy(npyBytes(dict('|u1', '(3,)'), [0, 128, 255]), { dtype: 'ufixed8', quant: { encoding: 'scale-offset', scale: 0.5, offset: -128 } });
    expect(t.dtype).toBe('ufixed8');
    expect(Array.from(t.toFloat32())).toEqual([-64, 0, 63.5]);
    const p = parseNpy(npyBytes(dict('|i1', '(3,)'), [0xff, 7, 0xf8]), { dtype: 'sfixed4' });
    expect(vals(p)).toEqual([0x7f, 0x08]);
    expect(() => parseNpy(npyBytes(dict('|i1', '(1,)'), [9]), { dtype: 'sfixed4' })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(codeOf(() => parseNpy(npyBytes(dict('<f4', '(1,)'), [0, 0, 0, 0]), { dtype: 'ufixed8' })).code).toBe('DTYPE_MISMATCH');
  });
});

describe('parseNpy errors', () => {
  const good = (): Uint8Array => npyBytes(dict('<f4', '(2,)'), new Uint8Array(8));

  it('bad magic', () => {
    const b = good();
    b[1] = 0x58;
    const err = codeOf(() => parseNpy(b));
    expect(err.code).toBe('NPY_MALFORMED');
    expect(err.message).toContain('93 58 55 4d 50 59');
    expect(codeOf(() => parseNpy(new Uint8Array(3))).code).toBe('NPY_MALFORMED');
  });

  it('unknown version', () => {
    const b = good();
    b[6] = 4;
    const err = codeOf(() => parseNpy(b));
    expect(err.code).toBe('NPY_UNSUPPORTED');
    expect(err.message).toContain('4.0');
    const m = good();
    m[7] = 1;
    expect(codeOf(() => parseNpy(m)).message).toContain('1.1');
  });

  it('header length past the end', () => {
    const full = good();
    const headerLen = full[8] | (full[9] << 8);
    const err = codeOf(() => parseNpy(full.slice(0, 40)));
    expect(err.code).toBe('NPY_MALFORMED');
    expect(err.message).toContain(`header length ${headerLen} runs past the end of the file (40 bytes)`);
  });

  it('truncated data and trailing bytes, naming both byte counts', () => {
    const full = good();
    const err = codeOf(() => parseNpy(full.slice(0, full.length - 3)));
    expect(err.code).toBe('NPY_MALFORMED');
    expect(err.message).toMatch(/truncated.*needs 8 bytes but 5/);
    const extra = new Uint8Array(full.length + 2);
    extra.set(full);
    expect(codeOf(() => parseNpy(extra)).message).toMatch(/2 unexpected bytes/);
  });

  it('big-endian, object, structured, string and complex dtypes are unsupported, naming the descr', () => {
    for (const descr of ['>f4', '>i8', '|O', '<U5', '|S3', '<c8', '<f16', '<M8']) {
      const err = codeOf(() => parseNpy(npyBytes(dict(descr, '(1,)'), new Uint8Array(16))));
      expect({ descr, code: err.code }).toEqual({ descr, code: 'NPY_UNSUPPORTED' });
      expect(err.message).toContain(descr);
    }
    const structured = npyBytes(`{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(4));
    expect(codeOf(() => parseNpy(structured)).code).toBe('NPY_UNSUPPORTED');
  });

  it('malformed headers', () => {
    const bad = [
      `{'descr': '<f4', 'fortran_order': False}`, // missing shape
      `{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}`,
      `{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}`,
      `{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}`,
      `{'descr': '<f4', 'fortran_order': False, 'shape': 4}`,
      `{'descr': '<f4', 'fortran_order': False, 'shape': (1,)`, // unterminated
      `['<f4']`,
      `{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk`,
      `{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}`,
    ];
    for (const h of bad) {
      const err = codeOf(() => parseNpy(npyBytes(h, new Uint8Array(4))));
      expect({ h, code: err.code }).toEqual({ h, code: 'NPY_MALFORMED' });
    }
  });
});

describe('encodeNpy', () => {
  it('writes the exact bytes NumPy writes, apart from header padding', () => {
    // Our header pads to 64 bytes; NumPy 2 to 128. Compare the parts that must agree.
    const t = parseNpy(hex(NUMPY.f2));
    const ours = encodeNpy(t);
    expect(Array.from(ours.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLen = ours[8] | (ours[9] << 8);
    expect((10 + headerLen) % 64).toBe(0);
    const header = Buffer.from(ours.subarray(10, 10 + headerLen)).toString('latin1');
    expect(header).toBe(`${dict('<f2', '(2, 3)')}`.padEnd(headerLen - 1, ' ') + '\n');
    expect(Array.from(ours.subarray(10 + headerLen))).toEqual(Array.from(hex(NUMPY.f2).subarray(128)));
  });

  it('writes 1-D shapes as (n,) and scalars as ()', () => {
    const h1 = Buffer.from(encodeNpy(new Tensor('uint8', [1, 2], [2]))).toString('latin1');
    expect(h1).toContain(`'shape': (2,)`);
    expect(h1).toContain(`'descr': '|u1'`);
    const h0 = Buffer.from(encodeNpy(new Tensor('float64', [1], []))).toString('latin1');
    expect(h0).toContain(`'shape': ()`);
  });

  it('round-trips every NumPy-representable dtype and versions 1-3', () => {
    const dtypes = ['float32', 'float16', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool'] as const;
    for (const dtype of dtypes) {
      for (const version of [1, 2, 3] as const) {
        const t = Tensor.fromFloat32(dtype, [0, 1, 0, 1, 1, 0], [3, 1, 2]);
        const bytes = encodeNpy(t, { version });
        expect(bytes[6]).toBe(version);
        const back = parseNpy(bytes);
        expect(back.dtype).toBe(dtype);
        expect(back.dims).toEqual([3, 1, 2]);
        expect(Array.from(back.bytes)).toEqual(Array.from(t.bytes));
      }
    }
  });

  it('writes quantized tensors as storage integers, or dequantized float32', () => {
    const quant = { encoding: 'scale-offset' as const, scale: 0.25, offset: -2 };
    const q = new Tensor('ufixed8', Uint8Array.of(0, 2, 10), [3], { quant });
    const asInts = parseNpy(encodeNpy(q));
    expect(asInts.dtype).toBe('uint8');
    expect(vals(asInts)).toEqual([0, 2, 10]);
    const asFloat = parseNpy(encodeNpy(q, { dequantize: true }));
    expect(asFloat.dtype).toBe('float32');
    expect(vals(asFloat)).toEqual([-0.5, 0, 2]);
    const s4 = new Tensor('sfixed4', [-8, 7, -1], [3]);
    const unpacked = parseNpy(encodeNpy(s4));
    expect(unpacked.dtype).toBe('int8');
    expect(vals(unpacked)).toEqual([-8, 7, -1]);
    expect(vals(parseNpy(encodeNpy(s4), { dtype: 'sfixed4' }))).toEqual(vals(s4));
  });

  it('does not alias the tensor memory', () => {
    const t = new Tensor('float32', Float32Array.of(1), [1]);
    const bytes = encodeNpy(t);
    t.data[0] = 2;
    expect(parseNpy(bytes).data[0]).toBe(1);
  });
});

describe('readNpy / writeNpy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qnn-npy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes and reads files (async and sync)', async () => {
    const t = new Tensor('int32', Int32Array.of(1, -2, 3, 4), [2, 2]);
    const p = join(dir, 'a.npy');
    await writeNpy(p, t);
    expect(vals(await readNpy(p))).toEqual([1, -2, 3, 4]);
    writeNpySync(join(dir, 'b.npy'), t);
    expect(readFileSync(join(dir, 'b.npy'))).toEqual(readFileSync(p));
    expect(readNpySync(join(dir, 'b.npy')).dims).toEqual([2, 2]);
    writeFileSync(join(dir, 'numpy.npy'), hex(NUMPY.i8));
    expect(readNpySync(join(dir, 'numpy.npy')).data[1]).toBe(2n ** 53n + 1n);
  });

  it('reports FILE_NOT_FOUND with the path', async () => {
    const p = join(dir, 'missing.npy');
    await expect(readNpy(p)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining(p) });
    expect(codeOf(() => readNpySync(p)).code).toBe('FILE_NOT_FOUND');
  });
});
