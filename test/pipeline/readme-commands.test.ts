/**
 * The `qnn-node run` commands in README.md's seed-model section and in examples/[name]/README.md
 * stay true: each names an example manifest, its `-i` inputs and `--param`s exist there,
 * `--variant` is one of its variants, and a text input is given as text (the CLI takes
 * text as is: `-i prompt=prompt.txt` would prompt with the file's name).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from './fixtures.js';

const ROOT = join(EXAMPLES, '..');

interface Manifest {
  params?: Record<string, unknown>;
  inputs: Record<string, { type: string }>;
  variants?: Record<string, unknown>;
}

/** Shell words of one command line (quotes removed; enough for these READMEs). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The sh blocks' commands, `\` continuations joined and comments dropped. */
function commands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) =>
    b
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((l) => l.replace(/\s#.*$/, '').trim())
      .filter((l) => l && !l.startsWith('#')),
  );
}

/** The example manifest a `run` argument names: a path in the repo, or a copy made by `cp examples/<name>/*.json <dir>`. */
function resolveManifest(arg: string, readmeDir: string, copies: Map<string, string>): string {
  for (const candidate of [join(ROOT, arg), join(readmeDir, arg)]) if (existsSync(candidate)) return candidate;
  const copiedFrom = copies.get(dirname(arg).replace(/\/$/, ''));
  if (copiedFrom) return join(ROOT, copiedFrom, arg.slice(arg.lastIndexOf('/') + 1));
  throw new Error(`${arg}: not an example manifest (nor a copy made by a cp line)`);
}

function check(readme: string): { manifests: string[]; problems: string[] } {
  const text = readFileSync(readme, 'utf8');
  const copies = new Map<string, string>();
  const manifests: string[] = [];
  const problems: string[] = [];
  for (const cmd of commands(text)) {
    const w = words(cmd);
    const cp = w[0] === 'cp' && /^examples\/[^/]+\/\*\.json$/.test(w[1] ?? '') ? w : undefined;
    if (cp) copies.set(cp[2].replace(/\/$/, ''), dirname(cp[1]));
    const run = w.indexOf('run');
    if (run < 0 || w[run - 1] !== 'qnn-node' || !w[run + 1]?.endsWith('.json')) continue;
    const path = resolveManifest(w[run + 1], dirname(readme), copies);
    manifests.push(path.slice(ROOT.length));
    const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    for (let i = run + 2; i < w.length; i++) {
      const [flag, value] = [w[i], w[i + 1]];
      if (flag === '-i' || flag === '--input') {
        const [name, ...rest] = value.split('=');
        const spec = m.inputs[name];
        if (!spec) problems.push(`${cmd}: input ${name} is not an input of ${path}`);
        else if (spec.type === 'text' && /^[\w-]+\.(txt|md|json)$/.test(rest.join('='))) problems.push(`${cmd}: text input ${name} is given a file name (the CLI takes text as is)`);
      } else if (flag === '--param') {
        const name = value.split('=')[0];
        if (!m.params || !(name in m.params)) problems.push(`${cmd}: param ${name} is not a param of ${path}`);
      } else if (flag === '--variant') {
        if (!m.variants || !(value in m.variants)) problems.push(`${cmd}: variant ${value} is not a variant of ${path}`);
      }
    }
  }
  return { manifests, problems };
}

describe('README run commands', () => {
  it("README.md shows the Qwen3-VL and SmolVLA examples on the cards' files, linking their READMEs", () => {
    const { manifests, problems } = check(join(ROOT, 'README.md'));
    expect(problems).toEqual([]);
    expect(manifests).toEqual(expect.arrayContaining(['/examples/qwen3-vl/manifest.json', '/examples/qwen3-vl/text.manifest.json', '/examples/smolvla/manifest.json']));
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const link of ['examples/qwen3-vl/README.md', 'examples/smolvla/README.md']) expect(readme).toContain(`(${link})`);
    expect(readme).toMatch(/qnn-node inspect .*llm_shared_512\.bin/);
  });

  for (const ex of readdirSync(EXAMPLES).filter((d) => existsSync(join(EXAMPLES, d, 'README.md')))) {
    it(`examples/${ex}/README.md`, () => {
      expect(check(join(EXAMPLES, ex, 'README.md')).problems).toEqual([]);
    });
  }
});
