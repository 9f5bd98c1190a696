/** What a fuzz target provides: deterministic inputs, and a runner that feeds them to the library. */
import type { CaseResult } from '../outcome.js';

export type TargetName = 'binaries' | 'manifests' | 'npy' | 'sections';
export const TARGET_NAMES: readonly TargetName[] = ['binaries', 'manifests', 'npy', 'sections'];

export interface FuzzInput {
  /** The file a user could hand to qnn-node (saved as is when the case is a finding). */
  readonly bytes: Uint8Array;
  /** For manifests: the seed folder (example) whose assets the manifest refers to. */
  readonly base?: string;
  /** What was done to the seed, for the finding's notes. */
  readonly note: string;
}

export interface CaseRunner {
  run(input: FuzzInput): Promise<CaseResult>;
  close(): Promise<void>;
}

export interface RunnerOptions {
  /** A scratch folder owned by this worker. */
  readonly workDir: string;
  /** Milliseconds a manifest run may take before its AbortSignal fires. */
  readonly abortMs: number;
}

export interface FuzzTarget {
  readonly name: TargetName;
  /** Extension of saved inputs. */
  readonly ext: string;
  /** The input of case `index` for `seed`: the same on every call and machine. */
  generate(seed: number, index: number): FuzzInput;
  open(options: RunnerOptions): Promise<CaseRunner>;
}
