/**
 * Profiling a whole pipeline run (run option / manifest `profile`): every graph step runs
 * with the QNN profile API and its events are kept with the step (manifest path, name,
 * loop iteration, start and duration); host ops are timed in JS alongside. The CLI turns
 * this into per-stage and per-op tables and a Chrome trace (docs/profiling.md).
 */
import type { RunOptions } from '../backend/types.js';
import type { TraceTrack } from '../profile/chrome-trace.js';
import { EVENT_TYPE } from '../profile/event-names.js';
import { summarizeOps, type OpTable } from '../profile/op-table.js';
import { invalidArg } from '../errors.js';
import { profileLevelOption } from '../profile/options.js';
import { PROFILE_LEVELS, type Profile, type ProfileEvent, type ProfileLevel } from '../profile/types.js';

export interface ProfiledStep {
  /** JSON pointer of the step in the manifest, e.g. "/steps/5/steps/2". */
  readonly path: string;
  readonly kind: 'graph' | 'host';
  /** "context/graph" for graph steps, the op name for host ops. */
  readonly name: string;
  readonly iteration: readonly number[];
  /** Start, ms since the run started; wall time of the step (JS clock). */
  readonly startMs: number;
  readonly ms: number;
  /** Graph steps: the backend's events of this call. */
  readonly profile?: Profile;
}

export interface PipelineProfile {
  readonly level: ProfileLevel;
  /** Some graph events came from the mock backend (JS timings, not QNN). */
  readonly synthetic: boolean;
  readonly steps: readonly ProfiledStep[];
}

/** A run's profiling level: its `profile` option (false turns the manifest's off), else the manifest's. */
export function runProfileLevel(option: unknown, manifestLevel: ProfileLevel | undefined): ProfileLevel | undefined {
  if (option === false) return undefined;
  if (option === undefined) return profileLevelOption(manifestLevel, 'manifest profile');
  if (typeof option !== 'string' || !(PROFILE_LEVELS as readonly string[]).includes(option)) {
    throw invalidArg(`one of ${PROFILE_LEVELS.map((l) => `'${l}'`).join(', ')}, or false`, 'options.profile', option);
  }
  return option as ProfileLevel;
}

/** Collects one run's profiled steps (the run executes its steps one at a time). */
export class RunProfiler {
  readonly #steps: ProfiledStep[] = [];
  #pending: Profile | undefined;

  constructor(
    readonly level: ProfileLevel,
    private readonly started: number,
  ) {}

  /** The graph call's options with profiling on. */
  graphOptions(base: RunOptions): RunOptions {
    this.#pending = undefined;
    return { ...base, profile: this.level, onProfile: (p) => (this.#pending = p) };
  }

  graphDone(path: string, name: string, iteration: readonly number[], t0: number, ms: number): void {
    const profile = this.#pending;
    this.#pending = undefined;
    this.#steps.push({ path, kind: 'graph', name, iteration: [...iteration], startMs: t0 - this.started, ms, ...(profile ? { profile } : {}) });
  }

  hostDone(path: string, name: string, iteration: readonly number[], t0: number, ms: number): void {
    this.#steps.push({ path, kind: 'host', name, iteration: [...iteration], startMs: t0 - this.started, ms });
  }

  result(): PipelineProfile {
    return { level: this.level, synthetic: this.#steps.some((s) => s.profile?.synthetic === true), steps: this.#steps };
  }
}

const stageOf = (s: ProfiledStep): string => `${s.path} ${s.name}`;

export interface StageRow {
  readonly stage: string;
  readonly kind: 'graph' | 'host';
  readonly calls: number;
  /** Wall time in the step (JS clock), ms. */
  readonly totalMs: number;
  /** Graph steps: the backend's execute time (top-level execute events), µs. */
  readonly executeUs?: number;
  readonly percent: number;
}

/** Per stage (manifest step): calls, wall time, the backend's execute time, share of the run. */
export function stageTable(profile: PipelineProfile): StageRow[] {
  const rows = new Map<string, { stage: string; kind: 'graph' | 'host'; calls: number; totalMs: number; executeUs?: number }>();
  let all = 0;
  for (const s of profile.steps) {
    const key = stageOf(s);
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { stage: key, kind: s.kind, calls: 0, totalMs: 0, ...(s.kind === 'graph' ? { executeUs: 0 } : {}) }));
    r.calls++;
    r.totalMs += s.ms;
    all += s.ms;
    if (r.executeUs !== undefined && s.profile) {
      for (const e of s.profile.events) if (e.type === EVENT_TYPE.execute && e.unit === 'us') r.executeUs += e.value;
    }
  }
  return [...rows.values()].map((r) => ({ ...r, percent: all > 0 ? (100 * r.totalMs) / all : 0 }));
}

/** Per op of every graph step, grouped by stage. */
export function pipelineOpTable(profile: PipelineProfile): OpTable {
  const graphSteps = profile.steps.filter((s) => s.profile);
  return summarizeOps(
    graphSteps.map((s) => s.profile!.events),
    (i) => stageOf(graphSteps[i]),
  );
}

/** One track per stage; host ops become one JS-timed event each. */
export function pipelineTracks(profile: PipelineProfile): TraceTrack[] {
  return profile.steps.map((s) => {
    const args = { step: s.path, iteration: s.iteration.join('.'), wallMs: s.ms };
    if (s.profile && s.profile.events.length > 0) return { name: stageOf(s), startUs: s.startMs * 1000, events: s.profile.events, args };
    const host: ProfileEvent = { name: s.name, unit: 'us', value: s.ms * 1000, type: 0, typeName: s.kind === 'host' ? 'host op (JS)' : 'graph call (JS)', children: [] };
    return { name: stageOf(s), startUs: s.startMs * 1000, events: [host], args };
  });
}
