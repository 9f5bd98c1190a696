/**
 * The QNN backend's power side (Qnn#setPerfProfile, Qnn#setPowerConfig, loadContext's and
 * run's perfProfile): argument checks and the refusals that need no native call. The votes
 * themselves are native (native/addon/PowerVotes.cc). docs/power.md.
 */
import { QnnNodeError } from '../../errors.js';
import type { NativeRuntimeInfo } from '../../native/AddonTypes.js';
import { checkPerfProfile, type PerfProfile } from '../power.js';
import { powerOptionsFor } from './power-configs.js';

/** Qnn#info.power: whether the HTP perf infrastructure can be used, and why not. */
export interface QnnPowerInfo {
  readonly available: boolean;
  /** Why power control is unavailable (no device, no deviceGetInfrastructure, not HTP…); null when available. */
  readonly reason: string | null;
  /** The raw config keys `setPowerConfig` takes for the reported backend API version. */
  readonly options: readonly string[];
}

export function powerInfoOf(n: NativeRuntimeInfo): QnnPowerInfo {
  const available = n.powerAvailable === true;
  return Object.freeze({
    available,
    reason: available ? null : (n.powerError ?? 'this build of the addon has no power control'),
    options: Object.freeze(available ? powerOptionsFor(n) : []),
  });
}

export function powerUnavailable(power: QnnPowerInfo, what: string, details: Record<string, unknown> = {}): QnnNodeError {
  return new QnnNodeError('POWER_UNAVAILABLE', `Cannot ${what}: power control is unavailable (${power.reason})`, {
    details: { ...details, reason: power.reason },
  });
}

/**
 * A profile for `name` (undefined stays undefined). Without power control every profile
 * but 'default' (nothing to release) is refused with POWER_UNAVAILABLE.
 */
export function checkProfileFor(power: QnnPowerInfo, value: unknown, name: string, what: string): PerfProfile | undefined {
  if (value === undefined) return undefined;
  const profile = checkPerfProfile(value, name);
  if (!power.available && profile !== 'default') {
    throw powerUnavailable(power, `${what} ${JSON.stringify(profile)}`, { perfProfile: profile });
  }
  return profile;
}
