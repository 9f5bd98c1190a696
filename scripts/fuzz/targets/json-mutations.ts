/**
 * JSON-level mutations of a manifest: values replaced by hostile ones (huge, fractional or
 * infinite counts, prototype keys, paths out of the folder, deep nesting), keys deleted or
 * renamed, subtrees copied or swapped, and now and then a broken byte in the text.
 */
import type { Prng } from '../../../lib/random.js';
import { mutateBytes, pick, randInt } from '../mutate.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Stand-ins for what JSON.stringify cannot write (numbers out of range) or what the
 * mutator's own recursive walks could not hold (5,000 levels of nesting); replaced in the text afterwards.
 */
const SENTINELS: Readonly<Record<string, string>> = {
  '@@FUZZ_INF@@': '1e400',
  '@@FUZZ_NEG_INF@@': '-1e400',
  '@@FUZZ_BIG@@': '1e308',
  '@@FUZZ_DEEP5000@@': `${'['.repeat(5000)}1${']'.repeat(5000)}`,
};

/** A file a manifest names (asset, signature, binary), and where else it could point. */
const FILE_NAME = /\.[a-z0-9]{2,5}$/i;
const ESCAPES = ['../secret.txt', '../../secret.txt', '/etc/passwd', 'sub/../../secret.txt', '../tiny-llm/../secret.txt'];

const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

function deep(levels: number): Json {
  let v: Json = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

const HOSTILE: readonly Json[] = [
  0, -1, 1, 2, 2.5, -0.5, 1e7, 2 ** 31, 2 ** 32, 2 ** 53 + 2, -(2 ** 31), '@@FUZZ_INF@@', '@@FUZZ_NEG_INF@@', '@@FUZZ_BIG@@',
  '', '__proto__', 'constructor', 'toString', '../secret.txt', '../../secret.txt', '/etc/passwd', '.', '$max_new_tokens', '$nope', '$', '{text}', '\u0000', 'x'.repeat(5000),
  null, true, false, [], {}, [1e7], [-1], ['__proto__'], deep(300), '@@FUZZ_DEEP5000@@', { __fuzz: 1 },
];

interface Slot {
  readonly parent: Json[] | { [key: string]: Json };
  readonly key: string | number;
}

function slots(root: Json): Slot[] {
  const out: Slot[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach((c, i) => (out.push({ parent: v, key: i }), walk(c)));
    else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) out.push({ parent: v, key: k }), walk(v[k]);
  };
  walk(root);
  return out;
}

function get(s: Slot): Json {
  return (s.parent as Record<string | number, Json>)[s.key];
}

/** Sets an own property, even for '__proto__' (plain assignment would change the prototype). */
function set(s: Slot, value: Json): void {
  Object.defineProperty(s.parent, s.key, { value, enumerable: true, writable: true, configurable: true });
}

function clone(v: Json): Json {
  return v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as Json);
}

function renameKey(obj: { [key: string]: Json }, from: string, to: string): void {
  const entries = Object.keys(obj).map((k) => [k === from ? to : k, obj[k]] as const);
  for (const k of Object.keys(obj)) delete obj[k];
  for (const [k, v] of entries) Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function mutateOnce(rng: Prng, root: Json): string {
  const all = slots(root);
  if (all.length === 0) return 'empty';
  const s = pick(rng, all);
  const where = String(s.key);
  const current = get(s);
  // Mostly changes a manifest can still pass schema validation with: other numbers,
  // other names from the document; the rest are hostile values and structure changes.
  if (typeof current === 'string' && FILE_NAME.test(current) && randInt(rng, 2) === 0) {
    const v = pick(rng, ESCAPES);
    set(s, v);
    return `${where}: ${current} → ${v}`;
  }
  const kind = typeof current === 'number' && randInt(rng, 2) === 0 ? 2 : typeof current === 'string' && randInt(rng, 3) === 0 ? 6 : randInt(rng, 9);
  switch (kind) {
    case 0:
    case 1: {
      const v = clone(pick(rng, HOSTILE));
      set(s, v);
      return `${where} → ${JSON.stringify(v)?.slice(0, 40)}`;
    }
    case 2:
      if (typeof current === 'number') {
        const v = pick(rng, [current + 1, current - 1, current * 2, -current, current * 1000, current + 0.5, current * 1e6]);
        set(s, v);
        return `${where}: ${current} → ${v}`;
      }
      set(s, clone(pick(rng, HOSTILE)));
      return `${where} replaced`;
    case 3:
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
      else delete s.parent[s.key as string];
      return `${where} deleted`;
    case 4:
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 0, clone(current));
      else set(s, clone(get(pick(rng, all))));
      return `${where} duplicated`;
    case 5:
      if (!Array.isArray(s.parent)) {
        const to = randInt(rng, 2) === 0 ? pick(rng, PROTO_KEYS) : String(pick(rng, all).key);
        renameKey(s.parent, s.key as string, to);
        return `key ${where} → ${to}`;
      }
      set(s, clone(pick(rng, HOSTILE)));
      return `${where} replaced`;
    case 6: {
      // A name from elsewhere in the document: wires steps, graphs and assets to the wrong things.
      const strings = all.map(get).filter((v): v is string => typeof v === 'string' && v.length < 100);
      const v = strings.length > 0 ? pick(rng, strings) : 'x';
      set(s, v);
      return `${where} → ${JSON.stringify(v)}`;
    }
    case 7: {
      const other = pick(rng, all);
      const a = clone(current);
      set(s, clone(get(other)));
      set(other, a);
      return `${where} ⇄ ${String(other.key)}`;
    }
    default: {
      if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
        const key = pick(rng, [...PROTO_KEYS, 'count', 'max', 'path', 'dims', 'size', 'value', 'default']);
        Object.defineProperty(current, key, { value: clone(pick(rng, HOSTILE)), enumerable: true, writable: true, configurable: true });
        return `${where}.${key} added`;
      }
      set(s, clone(pick(rng, HOSTILE)));
      return `${where} replaced`;
    }
  }
}

/** A mutated manifest as text, and a note of what changed. */
export function mutateManifest(rng: Prng, manifest: Record<string, unknown>): { text: string; note: string } {
  const root = clone(manifest as Json);
  const notes: string[] = [];
  for (let k = randInt(rng, 3) === 0 ? 2 + randInt(rng, 2) : 1; k > 0; k--) notes.push(mutateOnce(rng, root));
  let text = JSON.stringify(root, null, 1);
  for (const [sentinel, literal] of Object.entries(SENTINELS)) text = text.split(JSON.stringify(sentinel)).join(literal);
  if (randInt(rng, 20) === 0) {
    const bytes = mutateBytes(rng, new TextEncoder().encode(text));
    text = new TextDecoder().decode(bytes);
    notes.push('text bytes');
  }
  return { text, note: notes.join('; ') };
}
