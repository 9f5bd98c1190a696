/**
 * Performance profiles: the names every backend accepts (`Qnn.load({ perfProfile })`,
 * `loadContext(src, { perfProfile })`, `graph.run(inputs, { perfProfile })`, pipeline
 * manifests). What each one votes on HTP: docs/power.md.
 */
import { invalidArg } from '../errors.js';

/** Highest performance first; `default` releases qnn-node's vote. */
export const PERF_PROFILES = [
  'burst',
  'sustained_high_performance',
  'high_performance',
  'balanced',
  'low_balanced',
  'high_power_saver',
  'power_saver',
  'low_power_saver',
  'extreme_power_saver',
  'default',
] as const;

export type PerfProfile = (typeof PERF_PROFILES)[number];

export function isPerfProfile(value: unknown): value is PerfProfile {
  return typeof value === 'string' && (PERF_PROFILES as readonly string[]).includes(value);
}

/** `value` when it names a profile; ERR_INVALID_ARG naming `name` otherwise. */
export function checkPerfProfile(value: unknown, name: string): PerfProfile {
  if (!isPerfProfile(value)) throw invalidArg(`one of ${PERF_PROFILES.join(', ')}`, name, value);
  return value;
}

/** setPerfProfile's argument (both backends): a profile, or null to clear; undefined is refused. */
export function checkPerfProfileOrNull(value: unknown, name: string): PerfProfile | null {
  if (value === null) return null;
  if (!isPerfProfile(value)) throw invalidArg(`one of ${PERF_PROFILES.join(', ')}, or null to clear`, name, value);
  return value;
}

/** The per-run power options of RunOptions, checked (undefined when none is set). */
export function checkRunPower(
  options: { readonly perfProfile?: unknown; readonly restorePerfProfile?: unknown } | undefined,
): { perfProfile?: PerfProfile; restorePerfProfile?: boolean } | undefined {
  if (options === undefined) return undefined;
  const { perfProfile, restorePerfProfile } = options;
  if (perfProfile === undefined && restorePerfProfile === undefined) return undefined;
  if (restorePerfProfile !== undefined && typeof restorePerfProfile !== 'boolean') {
    throw invalidArg('a boolean', 'options.restorePerfProfile', restorePerfProfile);
  }
  return {
    ...(perfProfile !== undefined ? { perfProfile: checkPerfProfile(perfProfile, 'options.perfProfile') } : {}),
    ...(restorePerfProfile !== undefined ? { restorePerfProfile } : {}),
  };
}
