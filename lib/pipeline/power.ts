/**
 * Performance profiles in pipelines: a manifest's `perfProfile` (every graph step that
 * names none), a graph step's own, and the run option that replaces the manifest's. The
 * runner passes the resolved profile with every graph run; the backend votes only on a
 * change (docs/power.md, docs/pipelines.md).
 */
import { checkPerfProfile, type PerfProfile } from '../backend/power.js';
import type { RunOptions, TensorMap } from '../backend/types.js';

/** The profile of graph steps that name none: the run option's, else the manifest's. */
export function runPerfProfile(option: unknown, manifest: PerfProfile | undefined): PerfProfile | undefined {
  return option === undefined ? manifest : checkPerfProfile(option, 'options.perfProfile');
}

/** The options of one graph run (no perfProfile key when no profile applies). */
export function graphRunOptions(signal: AbortSignal, outputs: TensorMap | undefined, perfProfile: PerfProfile | undefined): RunOptions {
  if (perfProfile === undefined) return outputs ? { outputs, signal } : { signal };
  return outputs ? { outputs, signal, perfProfile } : { signal, perfProfile };
}
