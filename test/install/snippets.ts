/**
 * The code snippets of README.md and docs/*.md, found by their fence's language tag
 * (docs/building.md#documentation-snippets-are-tested has the convention):
 *
 *   ```ts / ```js              a complete program: type-checked (ts) and run against an
 *                              installed package
 *   ```ts device-only          needs a Snapdragon NPU / QNN libraries / your model: type-checked
 *   ```ts test                 a vitest test file: type-checked and run with vitest
 *   ```ts api                  an outline of signatures, not code: skipped
 *
 * Anything else (sh, json, jsonc, plain ```) is not JavaScript and is not run.
 */
import fs from 'node:fs';
import path from 'node:path';

export type SnippetKind = 'program' | 'device-only' | 'test' | 'api';

export interface Snippet {
  /** Relative to the repository root, e.g. docs/tensors.md. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: 'ts' | 'js';
  readonly kind: SnippetKind;
  readonly code: string;
  /** A file-name-safe id: docs-tensors-md-7. */
  readonly id: string;
}

const LANGS: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', mts: 'ts', js: 'js', javascript: 'js', mjs: 'js' };
const KINDS: readonly SnippetKind[] = ['device-only', 'test', 'api'];

/** The JavaScript/TypeScript fenced blocks of one markdown text. */
export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push(lines[j]);
    }
    const lang = LANGS[open[2].toLowerCase()];
    if (lang) {
      const flags = open[3].split(/[\s,]+/).filter(Boolean);
      const unknown = flags.filter((f) => !(KINDS as readonly string[]).includes(f));
      if (unknown.length > 0) throw new Error(`${file}:${i + 1}: unknown snippet flag(s) ${unknown.join(', ')} (known: ${KINDS.join(', ')})`);
      const kind = (flags[0] as SnippetKind | undefined) ?? 'program';
      out.push({ file, line: i + 1, lang, kind, code: `${body.join('\n')}\n`, id: `${file.replace(/[^A-Za-z0-9]+/g, '-')}-${i + 1}` });
    }
    i = j;
  }
  return out;
}

/** README.md and every docs/*.md of the repository. */
export function documentationSnippets(root: string): Snippet[] {
  const files = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  return files.flatMap((f) => extractSnippets(fs.readFileSync(path.join(root, f), 'utf8'), f));
}

/** The file a snippet is written to (the extension decides how tsc and node treat it). */
export function snippetFileName(s: Snippet): string {
  if (s.kind === 'test') return `snippet.test.${s.lang === 'ts' ? 'mts' : 'mjs'}`;
  return `snippet.${s.lang === 'ts' ? 'mts' : 'mjs'}`;
}
