/** What a running pipeline reports: streamed tokens, per-step timings and the result. */
import type { PipelineValue } from './hostops.js';
import type { PipelineProfile } from './profiling.js';
import type { SharedMemoryReport } from './shared-alloc.js';

export interface TokenEvent {
  readonly type: 'token';
  readonly id: number;
  /** Newly decoded text (may be '' while a multi-byte character is incomplete). */
  readonly text: string;
  /** 0-based index of the token in this run. */
  readonly index: number;
}

export interface StepEvent {
  readonly type: 'step';
  /** JSON pointer of the step in the manifest, e.g. "/steps/5/steps/2". */
  readonly path: string;
  readonly kind: 'graph' | 'host';
  /** "context/graph" for graph steps, the op name for host ops. */
  readonly name: string;
  /** Loop iteration indices, outermost first. */
  readonly iteration: readonly number[];
  readonly ms: number;
}

export interface DoneEvent {
  readonly type: 'done';
  readonly result: PipelineResult;
}

export type PipelineEvent = TokenEvent | StepEvent | DoneEvent;

export interface StepTiming {
  readonly path: string;
  readonly kind: 'graph' | 'host';
  readonly name: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

export interface PipelineTimings {
  readonly totalMs: number;
  /** Time inside graph executions. */
  readonly graphMs: number;
  /** Time inside host ops. */
  readonly hostMs: number;
  /** The rest: binding values, loop control, recording, events. */
  readonly overheadMs: number;
  /** Per step (aggregated over loop iterations), in manifest order. */
  readonly steps: readonly StepTiming[];
}

export interface PipelineResult {
  /** The manifest's outputs by name. */
  readonly outputs: Readonly<Record<string, PipelineValue>>;
  /** Tokens streamed by emit steps, in order. */
  readonly tokens: readonly number[];
  /** Text streamed by emit steps with a tokenizer. */
  readonly text: string;
  readonly timings: PipelineTimings;
  /** With options.profile (or the manifest's `profile`): every step's profile. */
  readonly profile?: PipelineProfile;
  /** The LoRA adapter in effect at the end, per context that declares adapters (null: the base). */
  readonly adapters?: Readonly<Record<string, string | null>>;
  /** How many tensors and bytes the run allocated in shared memory, or why none (lib/pipeline/shared-alloc.ts). */
  readonly sharedMemory: SharedMemoryReport;
}
