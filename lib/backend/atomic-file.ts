/**
 * Atomic file writes: the bytes go to a temporary file beside the target (same folder, so
 * the rename cannot cross file systems), which is flushed and renamed over the target.
 * A reader sees the old file or the whole new one, never a half-written one, also when two
 * writers race (each has its own temporary name; the last rename wins).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** A temporary name beside `target`, unique per process and call. */
export function temporaryPathFor(target: string): string {
  return `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/** Writes `bytes` (or text) to `target` atomically, creating its folder. */
export function writeFileAtomic(target: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = temporaryPathFor(target);
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  let fd: number | undefined = openSync(tmp, 'w');
  try {
    let written = 0;
    while (written < data.byteLength) written += writeSync(fd, data, written, data.byteLength - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
}
