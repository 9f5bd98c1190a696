/**
 * Nesting depth of a parsed manifest, measured without recursion: a manifest is untrusted
 * data, and a few KB of `[[[[…]]]]` would otherwise overflow the call stack in every
 * recursive walk after it (ajv, the semantic checks, param resolution).
 */
import type { ManifestIssue } from './validate.js';

/** Containers (objects and arrays) a manifest may nest, root included; every example needs under 16. */
export const MAX_MANIFEST_DEPTH = 64;

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The first container nested deeper than `limit` (with its JSON pointer), or undefined. */
export function depthIssue(root: unknown, limit = MAX_MANIFEST_DEPTH): ManifestIssue | undefined {
  const stack: [node: unknown, pointer: string, depth: number][] = [[root, '', 1]];
  while (stack.length) {
    const [node, pointer, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limit) {
      return { path: pointer, expected: `at most ${limit} levels of nested objects and arrays`, received: `a value nested ${depth} levels deep` };
    }
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${pointer}/${i}`, depth + 1]);
    } else {
      for (const [k, v] of Object.entries(node)) stack.push([v, `${pointer}/${escapePointer(k)}`, depth + 1]);
    }
  }
  return undefined;
}
