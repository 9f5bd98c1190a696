/**
 * `bench run --profile`: a pass of profiled runs per graph after the latency loops (the
 * latency figures are never taken with profiling on), each run's events kept with the
 * wall-clock time it started, for the per-op table and the trace.
 */
import { performance } from 'node:perf_hooks';
import type { PerfProfile } from '../../backend/power.js';
import type { Graph, TensorMap } from '../../backend/types.js';
import type { TraceTrack } from '../../profile/chrome-trace.js';
import { summarizeOps, type OpTable } from '../../profile/op-table.js';
import type { Profile, ProfileLevel } from '../../profile/types.js';

export interface ProfiledRun {
  readonly graph: string;
  /** When the run started, µs since the pass began. */
  readonly startUs: number;
  readonly profile: Profile;
}

/** `perfProfile`: the profile the latency loops voted, so the profiled runs see the same power state. */
export async function profileRuns(
  graph: Graph,
  inputs: TensorMap,
  outputs: TensorMap,
  level: ProfileLevel,
  runs: number,
  origin: number,
  perfProfile?: PerfProfile,
): Promise<ProfiledRun[]> {
  const out: ProfiledRun[] = [];
  for (let i = 0; i < runs; i++) {
    let got: Profile | undefined;
    const startUs = (performance.now() - origin) * 1000;
    await graph.run(inputs, { outputs, profile: level, ...(perfProfile !== undefined ? { perfProfile } : {}), onProfile: (p) => (got = p) });
    if (got) out.push({ graph: graph.name, startUs, profile: got });
  }
  return out;
}

export function profiledTable(runs: readonly ProfiledRun[]): OpTable {
  const graphs = new Set(runs.map((r) => r.graph));
  return summarizeOps(
    runs.map((r) => r.profile.events),
    graphs.size > 1 ? (i) => runs[i].graph : undefined,
  );
}

export function profiledTracks(runs: readonly ProfiledRun[]): TraceTrack[] {
  return runs.map((r, i) => ({ name: `graph ${r.graph}`, startUs: r.startUs, events: r.profile.events, args: { run: i } }));
}
