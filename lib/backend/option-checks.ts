/**
 * The value checks the option tables share (HTP power configs, context/graph/device custom
 * configs), so the same bad value gets the same error everywhere: a value of the wrong
 * kind (a string, 1.5 for an integer) is ERR_INVALID_ARG, a right kind outside its range
 * ERR_OUT_OF_RANGE; both name the field.
 */
import { invalidArg, outOfRange } from '../errors.js';

/** An integer from `min` to `max` (default: a uint32). */
export function checkUint(value: unknown, name: string, min = 0, max = 0xffffffff): number {
  const what = `an integer from ${min} to ${max}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidArg(what, name, value);
  if (value < min || value > max) throw outOfRange(what, name, value);
  return value;
}

export function checkBool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArg('a boolean', name, value);
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain object (not null, not an array), else ERR_INVALID_ARG expecting `what`. */
export function checkObject(value: unknown, name: string, what: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalidArg(what, name, value);
  return value;
}

/** Refuses a key outside `allowed`, naming it. */
export function checkKeys(o: Record<string, unknown>, allowed: readonly string[], name: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw invalidArg(`only the keys ${allowed.join(', ')}`, `${name}.${key}`, o[key]);
  }
}
