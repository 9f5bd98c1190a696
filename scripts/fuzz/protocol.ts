/** Messages between the fuzz supervisor and its worker processes (child_process IPC). */
import type { CaseResult } from './outcome.js';
import type { TargetName } from './targets/types.js';

export type ToWorker =
  | { readonly type: 'case'; readonly seed: number; readonly index: number }
  | { readonly type: 'replay'; readonly file: string; readonly base?: string }
  | { readonly type: 'exit' };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'result'; readonly result: CaseResult; readonly ms: number };

/** Environment of a worker: which target it runs and its options. */
export interface WorkerConfig {
  readonly target: TargetName;
  readonly workDir: string;
  readonly abortMs: number;
}
