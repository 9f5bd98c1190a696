/** Checking the `profile` / `onProfile` options of loads and runs (any backend). */
import { invalidArg } from '../errors.js';
import { PROFILE_LEVELS, type Profile, type ProfileLevel } from './types.js';

/** undefined → off; otherwise one of PROFILE_LEVELS (ERR_INVALID_ARG naming `name`). */
export function profileLevelOption(value: unknown, name: string): ProfileLevel | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(PROFILE_LEVELS as readonly string[]).includes(value)) {
    throw invalidArg(`one of ${PROFILE_LEVELS.map((l) => `'${l}'`).join(', ')}`, name, value);
  }
  return value as ProfileLevel;
}

/** onProfile without profile would never be called: refused rather than silently ignored. */
export function checkOnProfileNeedsProfile(options: { readonly profile?: unknown; readonly onProfile?: unknown }): void {
  if (options.onProfile !== undefined && options.profile === undefined) {
    throw invalidArg(`one of ${PROFILE_LEVELS.map((l) => `'${l}'`).join(', ')} with options.onProfile`, 'options.profile', options.profile);
  }
}

export function onProfileOption(value: unknown, name: string): ((profile: Profile) => void) | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalidArg('a function', name, value);
  return value as (profile: Profile) => void;
}
