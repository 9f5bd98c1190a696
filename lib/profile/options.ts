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

export function onProfileOption(value: unknown, name: string): ((profile: Profile) => void) | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalidArg('a function', name, value);
  return value as (profile: Profile) => void;
}
