/**
 * Synthetic profiles for the mock backend: no QNN runs, so the events are built from JS
 * timings (performance.now) of what the mock simulates — its configured latency, the
 * graph's computation (user function, recording replay or seeded values) and the copy of
 * the results — and are marked `synthetic: true`, their identifiers prefixed 'mock:'.
 */
import { EVENT_TYPE, eventTypeName } from '../../profile/event-names.js';
import { checkOnProfileNeedsProfile, onProfileOption, profileLevelOption } from '../../profile/options.js';
import type { Profile, ProfileEvent, ProfileLevel } from '../../profile/types.js';

const now = (): number => performance.now();
/** µs on the trace clock: performance.now() in µs (monotonic, like the reference backend's). */
const toUs = (ms: number): number => Math.round(ms * 1000);

function event(type: number, identifier: string, startMs: number, endMs: number, children: ProfileEvent[] = []): ProfileEvent {
  return Object.freeze({
    name: identifier,
    unit: 'us' as const,
    value: Math.max(0, toUs(endMs - startMs)),
    type,
    typeName: eventTypeName(type),
    identifier,
    timestamp: toUs(startMs),
    children: Object.freeze(children),
  });
}

/** One profiled mock run: mark each simulated step, then build the profile. */
export class MockRunProfiler {
  readonly #level: ProfileLevel;
  readonly #start = now();
  #mark = this.#start;
  readonly #steps: ProfileEvent[] = [];
  readonly onProfile: ((profile: Profile) => void) | undefined;

  private constructor(level: ProfileLevel, onProfile: ((profile: Profile) => void) | undefined) {
    this.#level = level;
    this.onProfile = onProfile;
  }

  /** undefined when the run is not profiled (the one branch a run pays). */
  static for(options: { readonly profile?: unknown; readonly onProfile?: unknown }): MockRunProfiler | undefined {
    if (options.profile === undefined) {
      if (options.onProfile !== undefined) checkOnProfileNeedsProfile(options);
      return undefined;
    }
    const level = profileLevelOption(options.profile, 'options.profile') as ProfileLevel;
    return new MockRunProfiler(level, onProfileOption(options.onProfile, 'options.onProfile'));
  }

  /** The step that ran since the previous mark (or the start). */
  step(name: string): void {
    const t = now();
    this.#steps.push(event(EVENT_TYPE.node, `mock:${name}`, this.#mark, t));
    this.#mark = t;
  }

  finish(graph: string): Profile {
    const children = this.#level === 'basic' ? [] : this.#steps;
    const top = event(EVENT_TYPE.execute, `mock:graphExecute ${graph}`, this.#start, now(), children);
    return Object.freeze({ level: this.#level, extended: true, synthetic: true, events: Object.freeze([top]) });
  }
}

/** The synthetic load profile of a mock context (its signature setup, timed). */
export function mockLoadProfile(level: ProfileLevel, startMs: number, endMs: number, graphs: readonly string[]): Profile {
  const children = level === 'basic' ? [] : graphs.map((g) => event(EVENT_TYPE.init, `mock:graph ${g}`, startMs, startMs));
  return Object.freeze({
    level,
    extended: true,
    synthetic: true,
    events: Object.freeze([event(EVENT_TYPE.init, 'mock:contextCreateFromBinary', startMs, endMs, children)]),
  });
}
