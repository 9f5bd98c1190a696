/** Manifest JSON syntax errors name file:line:column, whatever Node's JSON.parse message says. */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline } from '../../lib/index.js';
import { jsonErrorOffset, lineColumn } from '../../lib/pipeline/json-position.js';
import { EXAMPLES, tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

async function loadText(text: string): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  const file = join(dir, 'broken.json');
  writeFileSync(file, text);
  return Pipeline.load(file, { backend: new MockBackend() }).then(
    () => expect.fail('loaded'),
    (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> },
  );
}

describe('JSON syntax errors in manifests', () => {
  const cases: [string, string, number, number][] = [
    ['a missing value', '{\n  "format": "qnn-node-pipeline",\n  "version": }\n', 3, 14],
    ['a trailing comma', '{\n  "format": "qnn-node-pipeline",\n  "version": 1,\n}', 4, 1],
    ['a missing comma', '{\n  "format": "qnn-node-pipeline"\n  "version": 1\n}', 3, 3],
    ['an unquoted key', '{ "steps": [ { op: "set" } ] }', 1, 16],
    ['an unterminated string', '{\n  "name": "tiny\n}', 2, 16],
    ['a truncated file', '{ "format": "qnn-node-pipeline", ', 1, 34],
    ['a comment', '{\n  // comment\n  "version": 1 }', 2, 3],
    ['text after the object', '{ "version": 1 } x', 1, 18],
    ['a bad literal', '{ "a": ture }', 1, 9],
    ['a leading zero number', '{ "a": 01 }', 1, 9],
  ];
  for (const [what, text, line, column] of cases) {
    it(`${what}: file:${line}:${column}`, async () => {
      const e = await loadText(text);
      expect(e.code).toBe('MANIFEST_INVALID');
      expect(e.message).toContain(`broken.json:${line}:${column}: not valid JSON`);
      expect(e.details).toMatchObject({ line, column });
      // The scanner agrees with JSON.parse that the text is broken.
      expect(() => JSON.parse(text)).toThrow();
    });
  }

  it('finds no error in valid JSON (every example manifest and the schema)', () => {
    const files = [
      new URL('../../schema/manifest.schema.json', import.meta.url).pathname,
      ...readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json')).map((f) => join(EXAMPLES, f)),
    ];
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expect(jsonErrorOffset(readFileSync(f, 'utf8')), f).toBeUndefined();
  });

  it('places the error of every truncation of a manifest at its end', () => {
    const text = readFileSync(join(EXAMPLES, 'sam2', 'manifest.json'), 'utf8').trimEnd();
    for (let n = 1; n < text.length; n += 7) {
      const cut = text.slice(0, n);
      expect(jsonErrorOffset(cut)?.offset, JSON.stringify(cut.slice(-20))).toBe(n);
    }
  });

  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });

  it('does not recurse on deep nesting', () => {
    expect(jsonErrorOffset('['.repeat(200_000))?.offset).toBe(200_000);
  });
});
