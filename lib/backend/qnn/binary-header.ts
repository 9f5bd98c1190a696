/**
 * Cheap structural checks of a context binary, made before any vendor library sees it
 * (docs/native-runtime.md, "Untrusted binaries"). They reject obvious garbage — a file
 * shorter than the sizes its own header declares — and never a valid binary: a layout
 * they do not know goes to the (isolated) QnnSystem library unjudged.
 *
 * Known layouts (checked on real binaries from QNN SDK 2.25 and 2.33, and on the reference
 * format):
 * - QNN context binary: bytes 0..7 are 00 00 00 02 00 00 00 03; the little-endian u64 at
 *   +24 and +32 add up to the file size (observed, undocumented). Only a file SHORTER than
 *   that sum is refused: trailing bytes are left to the library (2.25's libQnnSystem
 *   answers 30010 for them; other releases are unknown).
 * - qnn-node reference binary ("QNNREF01"): the u64 fileSize at +16 is at least the 128-byte
 *   header and at most the file size (docs/reference-backend.md).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { QnnNodeError } from '../../errors.js';

/** How much of a binary is read for these checks and the producer scan. */
export const HEAD_BYTES = 1 << 20;

export type BinaryLayout = 'qnn-context-binary' | 'qnn-node-reference' | 'unknown';

/** The first HEAD_BYTES bytes of a binary and its total size. */
export interface BinaryHead {
  readonly head: Uint8Array;
  readonly size: number;
  /** The path, or 'the given bytes', for messages. */
  readonly label: string;
}

const QNN_MAGIC = [0, 0, 0, 2, 0, 0, 0, 3];
const QNN_HEADER_BYTES = 40;
const REFERENCE_MAGIC = 'QNNREF01';
const REFERENCE_HEADER_BYTES = 128;

/** Reads the head of a file (FILE_NOT_FOUND, BINARY_INVALID when empty), or views the given bytes. */
export async function readBinaryHead(source: string | Uint8Array): Promise<BinaryHead> {
  if (typeof source !== 'string') {
    if (source.byteLength === 0) throw new QnnNodeError('BINARY_INVALID', 'The context binary is empty (or its buffer was detached)');
    return { head: source.subarray(0, HEAD_BYTES), size: source.byteLength, label: 'the given bytes' };
  }
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer (the
    // regular-file check below then refuses it), as the addon's own mapping does.
    handle = await open(source, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `Context binary not found: ${source}` : `Could not open the context binary ${source}: ${(cause as Error).message}`;
    throw new QnnNodeError('FILE_NOT_FOUND', message, { cause, details: { path: source } });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new QnnNodeError('FILE_NOT_FOUND', `Could not map the context binary ${source}: not a regular file`, { details: { path: source } });
    if (stat.size === 0) throw new QnnNodeError('BINARY_INVALID', `Context binary is empty: ${source}`, { details: { path: source } });
    const head = new Uint8Array(Math.min(stat.size, HEAD_BYTES));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return { head: head.subarray(0, bytesRead), size: stat.size, label: source };
  } finally {
    await handle.close();
  }
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

function invalid(label: string, problem: string, details: Record<string, unknown>): QnnNodeError {
  const path = label === 'the given bytes' ? {} : { path: label };
  return new QnnNodeError('BINARY_INVALID', `${label === 'the given bytes' ? 'The context binary' : `Context binary ${label}`} is not valid: ${problem}`, {
    details: { ...path, ...details, check: 'structure' },
  });
}

/**
 * The layout of a binary, after checking what its header declares against its size.
 * Throws BINARY_INVALID for a known layout that cannot be valid; 'unknown' layouts pass.
 */
export function checkBinaryStructure({ head, size, label }: BinaryHead): BinaryLayout {
  if (startsWith(head, QNN_MAGIC)) {
    if (size < QNN_HEADER_BYTES) {
      throw invalid(label, `it starts like a QNN context binary but is ${size} bytes, shorter than its ${QNN_HEADER_BYTES}-byte header`, { size });
    }
    const view = new DataView(head.buffer, head.byteOffset, QNN_HEADER_BYTES);
    const declared = view.getBigUint64(24, true) + view.getBigUint64(32, true);
    if (declared > BigInt(size)) {
      throw invalid(label, `its QNN context binary header declares ${declared} bytes (${view.getBigUint64(24, true)} + ${view.getBigUint64(32, true)}) but it has ${size} (truncated or corrupt)`, {
        size,
        declaredSize: declared.toString(),
      });
    }
    return 'qnn-context-binary';
  }
  if (head.length >= REFERENCE_MAGIC.length && new TextDecoder('latin1').decode(head.subarray(0, REFERENCE_MAGIC.length)) === REFERENCE_MAGIC) {
    if (size < REFERENCE_HEADER_BYTES || head.length < 24) {
      throw invalid(label, `it starts like a qnn-node reference binary but is ${size} bytes, shorter than its ${REFERENCE_HEADER_BYTES}-byte header`, { size });
    }
    const declared = new DataView(head.buffer, head.byteOffset, 24).getBigUint64(16, true);
    if (declared > BigInt(size) || declared < BigInt(REFERENCE_HEADER_BYTES)) {
      throw invalid(label, `its reference-binary header declares ${declared} bytes but it has ${size}`, { size, declaredSize: declared.toString() });
    }
    return 'qnn-node-reference';
  }
  return 'unknown';
}
