/**
 * NumPy .npy files: format versions 1.0, 2.0 and 3.0, little-endian, C order.
 *
 * Layout: "\x93NUMPY", major, minor, header length (uint16 LE for 1.0, uint32 LE for 2.0
 * and 3.0), then the header: a Python dict literal with exactly the keys 'descr',
 * 'fortran_order' and 'shape', padded with spaces and ended by '\n' so the data starts at
 * a multiple of 64 bytes (latin-1 text for 1.0/2.0, UTF-8 for 3.0). The data follows.
 *
 * parseNpy wraps the data without copying when it is aligned for its element size (it is
 * whenever the input buffer itself is, because NumPy aligns the header); otherwise, and
 * for packed 4-bit dtypes, it copies. Quantized tensors are written as their storage
 * integers (ufixed8 -> '|u1', sfixed16 -> '<i2', 4-bit types unpacked to one value per
 * byte), or as float32 with { dequantize: true }.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';

import { QnnNodeError, describeValue, invalidArg } from '../errors.js';
import { DTYPES, type DType, type QuantParams } from './dtypes.js';
import { notFound } from './files.js';
import { pack4, unpack4 } from './quantize.js';
import { Tensor } from './Tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;

/** NumPy descr (normalised to '<' / '|') -> dtype. */
const DESCR_TO_DTYPE: Readonly<Record<string, DType>> = Object.freeze({
  '<f2': 'float16',
  '<f4': 'float32',
  '<f8': 'float64',
  '|i1': 'int8',
  '<i2': 'int16',
  '<i4': 'int32',
  '<i8': 'int64',
  '|u1': 'uint8',
  '<u2': 'uint16',
  '<u4': 'uint32',
  '<u8': 'uint64',
  '|b1': 'bool',
});

export interface ParseNpyOptions {
  /**
   * Read the data as this dtype instead of the one the descr maps to. It must have the
   * same storage (e.g. 'ufixed8' for '|u1', 'sfixed16' for '<i2'); 'ufixed4' / 'sfixed4'
   * read '|u1' / '|i1' files holding one value per byte and pack them (a copy).
   */
  readonly dtype?: DType;
  /** Quantization parameters for a quantized `dtype`. */
  readonly quant?: QuantParams;
}

export interface EncodeNpyOptions {
  /** Format version; default 1 (2 when the header does not fit 65,535 bytes). */
  readonly version?: 1 | 2 | 3;
  /** Write quantized tensors as dequantized float32 ('<f4') instead of storage integers. */
  readonly dequantize?: boolean;
}

function malformed(message: string, details: Record<string, unknown>): QnnNodeError {
  return new QnnNodeError('NPY_MALFORMED', `Malformed .npy: ${message}`, { details });
}

function unsupported(message: string, details: Record<string, unknown>): QnnNodeError {
  return new QnnNodeError('NPY_UNSUPPORTED', `Unsupported .npy: ${message}`, { details });
}

// ---------------------------------------------------------------------------------
// A parser for the Python literal subset that .npy headers use.

type PyValue = string | number | boolean | null | PyValue[] | { tuple: PyValue[] } | Map<string, PyValue>;

class HeaderParser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw malformed(`header ${what} at character ${this.i}: ${JSON.stringify(this.s.slice(0, 200))}`, { header: this.s });
  }

  ws(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i])) this.i++;
  }

  value(depth = 0): PyValue {
    if (depth > 32) this.fail('nests too deeply');
    this.ws();
    const c = this.s[this.i];
    if (c === "'" || c === '"') return this.string();
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      this.i++;
      const items: PyValue[] = [];
      let sawComma = false;
      for (;;) {
        this.ws();
        if (this.s[this.i] === close) {
          this.i++;
          break;
        }
        items.push(this.value(depth + 1));
        this.ws();
        if (this.s[this.i] === ',') {
          this.i++;
          sawComma = true;
        } else if (this.s[this.i] !== close) this.fail(`expects ',' or '${close}'`);
      }
      // (3) is just 3 in Python; (3,) is a tuple.
      if (c === '(' && items.length === 1 && !sawComma) return items[0];
      return c === '(' ? { tuple: items } : items;
    }
    if (c === '{') {
      this.i++;
      const map = new Map<string, PyValue>();
      for (;;) {
        this.ws();
        if (this.s[this.i] === '}') {
          this.i++;
          break;
        }
        const key = this.value(depth + 1);
        if (typeof key !== 'string') this.fail('has a non-string key');
        if (map.has(key)) this.fail(`repeats the key '${key}'`);
        this.ws();
        if (this.s[this.i] !== ':') this.fail("expects ':'");
        this.i++;
        map.set(key, this.value(depth + 1));
        this.ws();
        if (this.s[this.i] === ',') this.i++;
        else if (this.s[this.i] !== '}') this.fail("expects ',' or '}'");
      }
      return map;
    }
    const m = /^(?:True|False|None|[-+]?\d+L?)/.exec(this.s.slice(this.i, this.i + 40));
    if (m === null) this.fail('has an unexpected token');
    this.i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace(/L$/, ''));
  }

  string(): string {
    const quote = this.s[this.i++];
    let out = '';
    while (this.i < this.s.length && this.s[this.i] !== quote) {
      if (this.s[this.i] === '\\') this.i++;
      out += this.s[this.i++];
    }
    if (this.i >= this.s.length) this.fail('has an unterminated string');
    this.i++;
    return out;
  }
}

interface NpyHeader {
  version: string;
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  dataOffset: number;
}

function parseHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    const head = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw malformed(`bad magic (expected 93 4e 55 4d 50 59 "\\x93NUMPY", found ${head || 'nothing'})`, { magic: head });
  }
  const major = bytes[6];
  const minor = bytes[7];
  const version = `${major}.${minor}`;
  if (![1, 2, 3].includes(major) || minor !== 0) {
    throw unsupported(`format version ${version} (supported: 1.0, 2.0, 3.0)`, { version });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw malformed(`file ends inside the header length (${bytes.length} bytes)`, { length: bytes.length });
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  const dataOffset = start + headerLen;
  if (dataOffset > bytes.length) {
    throw malformed(`header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`, {
      headerLength: headerLen,
      length: bytes.length,
    });
  }
  const headerBytes = bytes.subarray(start, dataOffset);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: major === 3 }).decode(headerBytes);
  } catch {
    // Only v3 headers decode fatally: Node's ERR_ENCODING_INVALID_ENCODED_DATA means bad UTF-8.
    throw malformed(`version ${major}.${minor} header is not valid UTF-8`, { version: `${major}.${minor}` });
  }
  const p = new HeaderParser(text);
  const dict = p.value();
  p.ws();
  if (p.i !== text.length) p.fail('has trailing characters');
  if (!(dict instanceof Map)) throw malformed(`header is not a dict: ${JSON.stringify(text)}`, { header: text });
  const keys = [...dict.keys()].sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    throw malformed(`header keys are [${keys.join(', ')}] but must be exactly descr, fortran_order, shape`, { keys });
  }
  const descr = dict.get('descr');
  if (typeof descr !== 'string') {
    throw unsupported(`structured or non-string descr ${JSON.stringify(descr)} (only simple dtypes are supported)`, { descr });
  }
  const fortran = dict.get('fortran_order');
  if (typeof fortran !== 'boolean') throw malformed(`fortran_order is ${JSON.stringify(fortran)}, not True/False`, { fortranOrder: fortran });
  const shapeValue = dict.get('shape');
  const items = shapeValue !== null && typeof shapeValue === 'object' && 'tuple' in shapeValue ? shapeValue.tuple : undefined;
  if (items === undefined || !items.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw malformed(`shape ${JSON.stringify(shapeValue)} is not a tuple of non-negative integers`, { shape: shapeValue });
  }
  return { version, descr, shape: items as number[], fortranOrder: fortran, dataOffset };
}

/** Maps a descr to a dtype, or throws NPY_UNSUPPORTED naming it. */
function dtypeOfDescr(descr: string): DType {
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  if (m === null) throw unsupported(`dtype descr '${descr}'`, { descr });
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  if (size > 1) {
    if (order === '>') throw unsupported(`big-endian dtype '${descr}' (only little-endian is supported)`, { descr });
    if (order === '=' && endianness() !== 'LE') throw unsupported(`native-order dtype '${descr}' on a big-endian host`, { descr });
    if (order === '|') throw unsupported(`dtype '${descr}' (a multi-byte type without byte order)`, { descr });
  }
  const normal = `${size === 1 ? '|' : '<'}${kind}${size}`;
  const dtype = DESCR_TO_DTYPE[normal];
  if (dtype === undefined) throw unsupported(`dtype '${descr}' (supported: ${Object.keys(DESCR_TO_DTYPE).join(' ')})`, { descr });
  return dtype;
}

/**
 * Parses .npy bytes into a Tensor. The tensor's data is a view into `bytes` when aligned
 * (see the module comment), so later writes to `bytes` show through.
 */
export function parseNpy(bytes: Uint8Array, options: ParseNpyOptions = {}): Tensor {
  if (!(bytes instanceof Uint8Array)) throw invalidArg('a Uint8Array', 'bytes', bytes);
  const header = parseHeader(bytes);
  const fileDtype = dtypeOfDescr(header.descr);
  const { shape } = header;
  if (header.fortranOrder && shape.filter((d) => d !== 1).length > 1) {
    throw unsupported(`fortran_order True with shape (${shape.join(', ')}) (only C order is supported)`, {
      fortranOrder: true,
      shape,
    });
  }
  let size = 1;
  for (const d of shape) size *= d;
  if (!Number.isSafeInteger(size)) throw malformed(`shape (${shape.join(', ')}) is too large`, { shape });
  const itemBytes = DTYPES[fileDtype].bits / 8;
  const expected = size * itemBytes;
  const actual = bytes.length - header.dataOffset;
  if (actual < expected) {
    throw malformed(`data is truncated: shape (${shape.join(', ')}) of '${header.descr}' needs ${expected} bytes but ${actual} follow the header`, {
      truncated: true,
      expectedBytes: expected,
      actualBytes: actual,
    });
  }
  if (actual > expected) {
    throw malformed(`${actual - expected} unexpected bytes after the data (shape (${shape.join(', ')}) of '${header.descr}' needs ${expected} bytes, ${actual} follow the header)`, {
      expectedBytes: expected,
      actualBytes: actual,
    });
  }
  const data = bytes.subarray(header.dataOffset);
  const dtype = options.dtype ?? fileDtype;
  if (options.dtype !== undefined && options.dtype !== fileDtype) {
    const target = DTYPES[options.dtype];
    if (target === undefined) {
      throw new QnnNodeError('UNSUPPORTED_DTYPE', `Unsupported dtype ${describeValue(options.dtype)}`, { details: { dtype: options.dtype } });
    }
    const storageDescr = target.bits === 4 ? (target.signed ? '|i1' : '|u1') : target.npyDescr;
    if (storageDescr !== DTYPES[fileDtype].npyDescr) {
      throw new QnnNodeError(
        'DTYPE_MISMATCH',
        `Cannot read '${header.descr}' .npy data as ${options.dtype} (its storage is ${storageDescr ?? 'not a NumPy type'})`,
        { details: { descr: header.descr, dtype: options.dtype } },
      );
    }
    if (target.bits === 4) {
      const values = target.signed ? new Int8Array(data.buffer, data.byteOffset, size) : data;
      const packed = pack4(values, size, target.signed ? new Int8Array(Math.ceil(size / 2)) : new Uint8Array(Math.ceil(size / 2)));
      return new Tensor(dtype, packed as Uint8Array, shape, { quant: options.quant });
    }
  }
  return Tensor.fromBytes(dtype, data, shape, { quant: options.quant });
}

function headerText(descr: string, dims: readonly number[]): string {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  return `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
}

/** Encodes a tensor as .npy bytes (one new buffer: header + a copy of the data). */
export function encodeNpy(tensor: Tensor, options: EncodeNpyOptions = {}): Uint8Array {
  if (!(tensor instanceof Tensor)) throw invalidArg('a Tensor', 'tensor', tensor);
  const info = DTYPES[tensor.dtype];
  let descr: string;
  let payload: Uint8Array;
  if (info.quantized && options.dequantize) {
    descr = '<f4';
    const f = tensor.toFloat32();
    payload = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  } else if (info.bits === 4) {
    descr = info.signed ? '|i1' : '|u1';
    const v = unpack4(tensor.data as Uint8Array, tensor.size, info.signed);
    payload = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  } else {
    descr = info.npyDescr!;
    payload = tensor.bytes;
  }
  const text = headerText(descr, tensor.dims);
  let version = options.version ?? 1;
  if (![1, 2, 3].includes(version)) throw invalidArg('version 1, 2 or 3', 'options.version', options.version);
  const encoded = new TextEncoder().encode(text); // ASCII: same bytes in latin-1 and UTF-8
  const lenBytes = (v: number): number => (v === 1 ? 2 : 4);
  const padded = (v: number): number => {
    const unpadded = 8 + lenBytes(v) + encoded.length + 1; // +1 for '\n'
    return encoded.length + 1 + ((ALIGN - (unpadded % ALIGN)) % ALIGN);
  };
  if (version === 1 && padded(1) > 0xffff) {
    if (options.version === 1) throw invalidArg('version 2 or 3 (the header exceeds 65,535 bytes)', 'options.version', 1);
    version = 2;
  }
  const headerLen = padded(version);
  const start = 8 + lenBytes(version);
  const out = new Uint8Array(start + headerLen + payload.byteLength);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  out.set(encoded, start);
  out.fill(0x20, start + encoded.length, start + headerLen - 1);
  out[start + headerLen - 1] = 0x0a;
  out.set(payload, start + headerLen);
  return out;
}

/** Reads a .npy file (see parseNpy). */
export async function readNpy(path: string, options: ParseNpyOptions = {}): Promise<Tensor> {
  const bytes = await readFile(path).catch((e: unknown) => notFound(path, e));
  return parseNpy(bytes, options);
}

/** Reads a .npy file synchronously (see parseNpy). */
export function readNpySync(path: string, options: ParseNpyOptions = {}): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    notFound(path, e);
  }
  return parseNpy(bytes, options);
}

/** Writes a tensor as a .npy file. */
export async function writeNpy(path: string, tensor: Tensor, options: EncodeNpyOptions = {}): Promise<void> {
  await writeFile(path, encodeNpy(tensor, options));
}

/** Writes a tensor as a .npy file synchronously. */
export function writeNpySync(path: string, tensor: Tensor, options: EncodeNpyOptions = {}): void {
  writeFileSync(path, encodeNpy(tensor, options));
}
