/**
 * Objects keyed by names that come from files (manifests, binaries): nothing inherited,
 * so "__proto__", "constructor" or "toString" are ordinary keys. Built like Node's own
 * events module does: a constructor whose prototype is Object.create(null) gives objects
 * with no inherited keys that V8 still keeps in fast mode (Object.create(null) objects
 * start as slow dictionaries, a cost on every host op call).
 */
const NameRecord = function NameRecord(this: object) {} as unknown as new () => Record<string, unknown>;
NameRecord.prototype = Object.create(null) as object;

/** An empty object with no inherited keys. */
export function nameRecord<T>(): Record<string, T> {
  return new NameRecord() as Record<string, T>;
}
