/**
 * What the mock backend does with performance profiles: there is no device to vote on, so
 * it checks the names like the QNN backend, resolves each run's profile the same way (the
 * run's, else its context's, else the backend's) and records it, so pipeline tests can
 * assert the profile every stage ran with.
 */
import { checkPerfProfile, checkPerfProfileOrNull, checkRunPower, type PerfProfile } from '../power.js';

/** One run that resolved to a profile (runs that resolve to none are not recorded). */
export interface MockPerfProfileRecord {
  readonly graph: string;
  readonly perfProfile: PerfProfile;
  /** Where the profile came from. */
  readonly from: 'run' | 'context' | 'backend';
  readonly restorePerfProfile: boolean;
}

export class MockPowerLog {
  #backendProfile: PerfProfile | undefined;
  readonly #records: MockPerfProfileRecord[] = [];

  get backendProfile(): PerfProfile | undefined {
    return this.#backendProfile;
  }

  /** `name`: the argument as the caller wrote it ('profile' of setPerfProfile, 'options.perfProfile' of the constructor). */
  setBackendProfile(profile: unknown, name: string): void {
    this.#backendProfile = checkPerfProfileOrNull(profile, name) ?? undefined;
  }

  /** A context's profile, checked (undefined when none). */
  contextProfile(value: unknown): PerfProfile | undefined {
    return value === undefined ? undefined : checkPerfProfile(value, 'options.perfProfile');
  }

  /** Checks a run's power options and records what the run resolves to. */
  recordRun(graph: string, options: { perfProfile?: unknown; restorePerfProfile?: unknown }, contextProfile: PerfProfile | undefined): void {
    const run = checkRunPower(options);
    const entry: [PerfProfile | undefined, MockPerfProfileRecord['from']] = run?.perfProfile
      ? [run.perfProfile, 'run']
      : contextProfile
        ? [contextProfile, 'context']
        : [this.#backendProfile, 'backend'];
    if (entry[0] === undefined) return;
    this.#records.push(Object.freeze({ graph, perfProfile: entry[0], from: entry[1], restorePerfProfile: run?.restorePerfProfile ?? false }));
  }

  records(): readonly MockPerfProfileRecord[] {
    return [...this.#records];
  }
}
