/**
 * Raw tensor files as qnn-net-run reads and writes them: headerless, little-endian,
 * C-order element data. The dtype and dims come from the caller (or graph metadata).
 * qnn-net-run writes float32 outputs by default (dequantized) and the storage type with
 * --use_native_output_files; pick the dtype accordingly.
 *
 * The byte count must match exactly: fewer bytes than dtype and dims need is
 * FILE_TRUNCATED, more is SIZE_MISMATCH; both name the two numbers. Parsing wraps the
 * bytes without a copy when they are aligned for the element size, else copies.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

import { QnnNodeError, invalidArg } from '../errors.js';
import { byteLengthOf, isDType, type DType, type QuantParams } from './dtypes.js';
import { notFound } from './files.js';
import { Tensor, checkDims } from './Tensor.js';

export interface RawOptions {
  readonly dtype: DType;
  readonly dims: readonly number[];
  /** Quantization parameters for a quantized dtype. */
  readonly quant?: QuantParams;
}

/** Wraps raw bytes as a tensor of the given dtype and dims (see the module comment). */
export function parseRaw(bytes: Uint8Array, options: RawOptions, source = 'raw data'): Tensor {
  if (!(bytes instanceof Uint8Array)) throw invalidArg('a Uint8Array', 'bytes', bytes);
  if (typeof options !== 'object' || options === null) throw invalidArg('{ dtype, dims }', 'options', options);
  if (!isDType(options.dtype)) {
    throw new QnnNodeError('UNSUPPORTED_DTYPE', `Unsupported dtype ${JSON.stringify(options.dtype)}`, { details: { dtype: options.dtype } });
  }
  const dims = checkDims(options.dims, 'options.dims');
  const size = dims.reduce((a, b) => a * b, 1);
  const expected = byteLengthOf(options.dtype, size);
  if (bytes.byteLength !== expected) {
    const code = bytes.byteLength < expected ? 'FILE_TRUNCATED' : 'SIZE_MISMATCH';
    throw new QnnNodeError(
      code,
      `${source} has ${bytes.byteLength} bytes but a ${options.dtype} tensor of dims [${dims.join(', ')}] needs ${expected}`,
      { details: { source, dtype: options.dtype, dims, expectedBytes: expected, actualBytes: bytes.byteLength } },
    );
  }
  return Tensor.fromBytes(options.dtype, bytes, dims, { quant: options.quant });
}

/** Reads a raw file (or wraps bytes) as a tensor. */
export async function readRaw(source: string | Uint8Array, options: RawOptions): Promise<Tensor> {
  if (typeof source !== 'string') return parseRaw(source, options);
  const bytes = await readFile(source).catch((e: unknown) => notFound(source, e));
  return parseRaw(bytes, options, source);
}

/** Synchronous readRaw. */
export function readRawSync(source: string | Uint8Array, options: RawOptions): Tensor {
  if (typeof source !== 'string') return parseRaw(source, options);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source);
  } catch (e) {
    notFound(source, e);
  }
  return parseRaw(bytes, options, source);
}

/** Writes the tensor's storage bytes (no header). */
export async function writeRaw(path: string, tensor: Tensor): Promise<void> {
  if (!(tensor instanceof Tensor)) throw invalidArg('a Tensor', 'tensor', tensor);
  await writeFile(path, tensor.bytes);
}

/** Synchronous writeRaw. */
export function writeRawSync(path: string, tensor: Tensor): void {
  if (!(tensor instanceof Tensor)) throw invalidArg('a Tensor', 'tensor', tensor);
  writeFileSync(path, tensor.bytes);
}
