/**
 * Cold-cache runs: evicting a file from the OS page cache before a load.
 *
 * Methods, tried in order:
 *  1. `fadvise`: the C++ bench harness (native/bench-harness) calls
 *     posix_fadvise(POSIX_FADV_DONTNEED) on the file after fdatasync, and reports, through
 *     mincore, how much of the file was resident before and after. Needs no privileges;
 *     drops only clean pages of that one file that nobody has mapped.
 *  2. `drop_caches`: Linux, root only — fsync the file, then write "1" to
 *     /proc/sys/vm/drop_caches (drops the whole clean page cache of the machine).
 *  3. `none`: neither is available (no harness built and not root, or not Linux); the
 *     run is reported as warm, with the reason.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { findBenchHarness } from './paths.js';

export type EvictMethod = 'fadvise' | 'drop_caches' | 'none';

export interface EvictResult {
  readonly method: EvictMethod;
  /** Fraction of the file's pages resident after eviction (fadvise only: measured with mincore). */
  readonly residentAfter?: number;
  readonly residentBefore?: number;
  /** Why eviction was not possible (method "none"). */
  readonly reason?: string;
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function viaHarness(harness: string, file: string): EvictResult {
  const out = execFileSync(harness, ['evict', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const parsed = JSON.parse(out) as { residentBefore?: number; residentAfter?: number };
  return { method: 'fadvise', residentBefore: parsed.residentBefore, residentAfter: parsed.residentAfter };
}

const DROP_CACHES = '/proc/sys/vm/drop_caches';

function viaDropCaches(file: string): EvictResult {
  fsyncFile(file);
  fs.writeFileSync(DROP_CACHES, '1');
  return { method: 'drop_caches' };
}

/** Why cold runs cannot happen here, or undefined when some method is available. */
export function coldCacheUnavailable(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  if (findBenchHarness(env)) return undefined;
  if (process.platform === 'linux') {
    try {
      fs.accessSync(DROP_CACHES, fs.constants.W_OK);
      return undefined;
    } catch {
      return `no bench harness built (native/bench-harness) for posix_fadvise, and ${DROP_CACHES} is not writable (needs root)`;
    }
  }
  return `no bench harness built (native/bench-harness) and no way to drop the page cache on ${process.platform}`;
}

/** Evicts `file` from the page cache with the first method that works. */
export function evictFromPageCache(file: string, env: Readonly<Record<string, string | undefined>> = process.env): EvictResult {
  const reasons: string[] = [];
  const harness = findBenchHarness(env);
  if (harness) {
    try {
      return viaHarness(harness, file);
    } catch (error) {
      reasons.push(`harness: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  } else {
    reasons.push('no bench harness built (native/bench-harness)');
  }
  if (process.platform === 'linux') {
    try {
      return viaDropCaches(file);
    } catch (error) {
      reasons.push(`${DROP_CACHES}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  } else {
    reasons.push(`${process.platform}: no drop_caches`);
  }
  return { method: 'none', reason: reasons.join('; ') };
}
