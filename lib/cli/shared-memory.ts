/** `--no-shared-memory` of `run` (manifests): plain tensors only, and the report line of what a run shared (docs/pipelines.md). */
import type { Command } from 'commander';
import type { SharedMemoryReport } from '../pipeline/shared-alloc.js';
import { formatBytes } from './output/format.js';

export function addSharedMemoryOption(cmd: Command): Command {
  return cmd.option('--no-shared-memory', "manifests: allocate KV caches and stage-to-stage tensors as plain tensors (replaces the manifest's sharedMemory)");
}

/** Commander sets `sharedMemory: false` for --no-shared-memory (true otherwise). */
export function sharedMemoryRunOptions(flag: boolean | undefined): { sharedMemory?: 'off' } {
  return flag === false ? { sharedMemory: 'off' } : {};
}

/** One line: what the run allocated in shared memory, or why nothing. */
export function renderSharedMemory(r: SharedMemoryReport): string {
  if (!r.enabled) return `shared memory: none (${r.reason ?? r.mode})\n`;
  const plain = r.plainFallbacks > 0 ? ` (${r.plainFallbacks} plain: rpcmem could not allocate them)` : '';
  return `shared memory: ${r.tensors} tensor${r.tensors === 1 ? '' : 's'}, ${formatBytes(r.bytes)}${plain}\n`;
}
