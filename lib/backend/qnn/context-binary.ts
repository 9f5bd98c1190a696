/**
 * A context serialized (contextGetBinarySize + contextGetBinary on a worker) and written to
 * a file atomically: a temporary file beside the target, renamed over it once complete, so
 * a reader (or a crash) never sees half a binary. docs/native-runtime.md.
 */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { invalidArg } from '../../errors.js';
import type { NativeContext } from '../../native/AddonTypes.js';
import type { SavedBinary } from '../types.js';
import { withCallerStack } from './errors.js';

export async function serializeContext(native: NativeContext, callSite: Error): Promise<{ bytes: Uint8Array; serializeMs: number }> {
  const { bytes, serializeMs } = await withCallerStack(() => native.getBinary(), callSite, 'QNN context');
  // A plain Uint8Array view (the addon hands back a Buffer over the same memory).
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), serializeMs };
}

/** `target` checked: a non-empty path string without NUL characters. */
export function checkTargetPath(target: unknown, name: string): string {
  if (typeof target !== 'string' || target.length === 0 || target.includes('\0')) throw invalidArg('a non-empty file path', name, target);
  return path.resolve(target);
}

/** Writes `bytes` to `target` through a temporary file in the same folder and a rename. */
export async function writeFileAtomic(target: string, bytes: Uint8Array): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

export async function saveContextBinary(native: NativeContext, target: string, callSite: Error): Promise<SavedBinary> {
  const { bytes, serializeMs } = await serializeContext(native, callSite);
  await writeFileAtomic(target, bytes);
  return { path: target, bytes: bytes.byteLength, serializeMs };
}
