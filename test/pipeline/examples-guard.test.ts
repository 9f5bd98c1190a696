/**
 * Guard: every pipeline manifest under examples/ (any *.json with "format":
 * "qnn-node-pipeline") is exercised. Each must be named by a test under test/ (its folder
 * and file name), and each one whose contexts carry signatures loads and runs on the mock
 * backend with placeholder assets generated here from what the manifest declares (sparse
 * tables of the declared size, a tiny tokenizer, small PNGs, zero tensors, stats of the
 * width the steps imply). A new example without a test fails CI here.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor } from '../../lib/index.js';
import type { PipelineValue } from '../../lib/pipeline/hostops.js';
import type { DType } from '../../lib/tensor/dtypes.js';
import { EXAMPLES, pngBytes, tempDir, writeTokenizer } from './fixtures.js';
import { writeSafetensors } from './safetensors-fixture.js';

const TESTS = new URL('../', import.meta.url).pathname;

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'node_modules' ? [] : files(p, ext);
    return p.endsWith(ext) ? [p] : [];
  });
}

interface Step {
  op?: string;
  graph?: string;
  inputs?: Record<string, unknown> | unknown[];
  output?: string;
  steps?: Step[];
  [param: string]: unknown;
}
interface Manifest {
  format?: string;
  params?: Record<string, unknown>;
  contexts: Record<string, { binary: string; signature?: unknown }>;
  variants?: Record<string, { contexts?: Record<string, { binary?: string; signature?: unknown }> }>;
  assets?: Record<string, { type: string; path: string; dtype?: DType; shape?: number[]; config?: string }>;
  inputs: Record<string, { type: string; dtype?: DType; shape?: number[] }>;
  steps: Step[];
}

const MANIFESTS = files(EXAMPLES, '.json')
  .filter((p) => (JSON.parse(readFileSync(p, 'utf8')) as { format?: string }).format === 'qnn-node-pipeline')
  .map((p) => relative(EXAMPLES, p))
  .sort();
// The guard itself and the helper that only lists the examples do not count as naming one.
const TEST_SOURCES = files(TESTS, '.ts')
  .filter((p) => !p.endsWith('examples-guard.test.ts') && !p.endsWith('example-manifests.ts'))
  .map((p) => readFileSync(p, 'utf8'));

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A test names examples/<folder>/<file> when it has the folder as a whole string or path
 * segment ('sam2', "sam2/…", `…/sam2`) and, for a file other than the default
 * manifest.json, that file name as a whole string or path segment too.
 */
function namesExample(src: string, folder: string, file: string): boolean {
  const token = (t: string): RegExp => new RegExp(`['"\`/]${escape(t)}['"\`/]`);
  return token(folder).test(src) && (file === 'manifest.json' || token(file).test(src));
}

const BYTES: Partial<Record<DType, number>> = { float16: 2, float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, int8: 1, uint16: 2, int16: 2 };

function allSteps(steps: Step[]): Step[] {
  return steps.flatMap((s) => [s, ...allSteps(s.steps ?? [])]);
}

/** The last-axis width a `normalize` step's input has: a manifest input's shape, or the `length` of the slice that makes it. */
function normalizeWidth(m: Manifest, step: Step): number {
  const from = (step.inputs as Record<string, string>).input;
  const declared = m.inputs[from]?.shape;
  if (declared) return declared[declared.length - 1];
  const maker = allSteps(m.steps).find((s) => s.output === from && s.op === 'slice');
  const length = typeof maker?.length === 'string' && maker.length.startsWith('$') ? m.params?.[maker.length.slice(1)] : maker?.length;
  if (typeof length !== 'number') throw new Error(`cannot tell the width of normalize input ${JSON.stringify(from)}: give the guard a way to (examples-guard.test.ts)`);
  return length;
}

/** Placeholder files for every binary and asset the manifest names; returns the run's inputs. */
function placeholders(m: Manifest, dir: string): Record<string, PipelineValue> {
  const write = (rel: string, data: string | Uint8Array): void => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), data);
  };
  const sparse = (rel: string, bytes: number): void => {
    write(rel, '');
    truncateSync(join(dir, rel), bytes);
  };
  for (const c of [...Object.values(m.contexts), ...Object.values(m.variants ?? {}).flatMap((v) => Object.values(v.contexts ?? {}))]) {
    if (c.binary) write(c.binary, 'placeholder: the mock backend reads signatures');
  }
  const stats = new Map<string, Record<string, number[]>>();
  for (const s of allSteps(m.steps)) {
    if (s.op !== 'normalize' || typeof s.stats !== 'string') continue;
    const width = normalizeWidth(m, s);
    const entry = stats.get(s.stats) ?? {};
    entry[`${s.key as string}.mean`] = Array(width).fill(0);
    entry[`${s.key as string}.std`] = Array(width).fill(1);
    stats.set(s.stats, entry);
  }
  for (const [name, a] of Object.entries(m.assets ?? {})) {
    if (a.type === 'tokenizer') {
      const t = join(dir, a.path);
      mkdirSync(dirname(t), { recursive: true });
      // A token for every row of the manifest's embedding tables: mock logits pick any id.
      const vocab = Math.max(3, ...Object.values(m.assets ?? {}).map((e) => (e.type === 'embedding' ? (e.shape?.[0] ?? 0) : 0)));
      writeTokenizer(t, { words: Object.fromEntries(Array.from({ length: vocab - 1 }, (_, i) => [i === 0 ? 'a' : i === 1 ? 'b' : `w${i + 1}`, i + 1])), specials: {} });
    } else if (a.type === 'embedding' || a.type === 'tensor') {
      const count = (a.shape ?? [1]).reduce((x, y) => x * y, 1);
      sparse(a.path, count * (BYTES[a.dtype ?? 'float32'] ?? 4));
    } else if (a.type === 'file') {
      write(a.path, Array.from({ length: 1000 }, (_, i) => `label ${i}`).join('\n'));
    } else if (a.type === 'stats') {
      const entry = stats.get(name) ?? {};
      if (a.path.endsWith('.safetensors')) writeSafetensors(join(dir, a.path), entry);
      else {
        const json: Record<string, Record<string, number[]>> = {};
        for (const [k, v] of Object.entries(entry)) (json[k.slice(0, k.lastIndexOf('.'))] ??= {})[k.slice(k.lastIndexOf('.') + 1)] = v;
        write(a.path, JSON.stringify(json));
      }
    } else {
      throw new Error(`no placeholder for asset type ${a.type} (examples-guard.test.ts)`);
    }
  }
  const inputs: Record<string, PipelineValue> = {};
  for (const [name, spec] of Object.entries(m.inputs)) {
    if (spec.type === 'image') inputs[name] = pngBytes(32, 24, (x, y) => [x * 8, y * 10, 128]);
    else if (spec.type === 'text') inputs[name] = 'a b a';
    else if (spec.type === 'number') inputs[name] = 1;
    else if (spec.type === 'tensor') inputs[name] = Tensor.zeros(spec.dtype ?? 'float32', spec.shape ?? [1]);
  }
  return inputs;
}

/** Every graph name the manifest's signatures declare (all variants). */
function graphNames(m: Manifest, dir: string): string[] {
  const names = new Set<string>();
  const sigs = [...Object.values(m.contexts), ...Object.values(m.variants ?? {}).flatMap((v) => Object.values(v.contexts ?? {}))].map((c) => c.signature);
  for (const sig of sigs) {
    const doc = typeof sig === 'string' ? (JSON.parse(readFileSync(join(dir, sig), 'utf8')) as unknown) : sig;
    const graphs = Array.isArray(doc) ? doc : ((doc as { graphs?: { name: string }[] } | undefined)?.graphs ?? []);
    for (const g of graphs as { name: string }[]) names.add(g.name);
  }
  return [...names];
}

/** Manifests whose contexts have no signature run generated reference binaries: their own tests run them on the reference backend. */
const hasSignatures = (m: Manifest): boolean => Object.values(m.contexts).every((c) => c.signature !== undefined);

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

describe('every example manifest is exercised', () => {
  it('a test names an example only with the whole folder (and file) name', () => {
    expect(namesExample(`copyExample('sam2', dir)`, 'sam2', 'manifest.json')).toBe(true);
    expect(namesExample(`load('examples/sam2/manifest-w8a8.json')`, 'sam2', 'manifest-w8a8.json')).toBe(true);
    expect(namesExample(`copyExample('sam2', dir); 'manifest.json'`, 'sam2', 'manifest-w8a8.json')).toBe(false);
    expect(namesExample(`copyExample('qwen3-vl', dir)`, 'qwen3', 'manifest.json')).toBe(false);
    expect(namesExample(`copyExample('smolvla', dir)`, 'smol', 'manifest.json')).toBe(false);
    expect(namesExample(`'tiny-smolvla'`, 'smolvla', 'manifest.json')).toBe(false);
  });

  it('finds the example manifests', () => {
    expect(MANIFESTS).toEqual(expect.arrayContaining(['qwen3-vl/manifest.json', 'qwen3-vl/text.manifest.json', 'smolvla/manifest.json', 'tiny-qwen3/manifest.json']));
  });

  for (const rel of MANIFESTS) {
    it(`${rel} is named by a test under test/`, () => {
      const folder = dirname(rel);
      const named = TEST_SOURCES.some((src) => namesExample(src, folder, basename(rel)));
      expect(named, `no test under test/ names examples/${rel} (its folder "${folder}" and file "${basename(rel)}")`).toBe(true);
    });

    const manifest = JSON.parse(readFileSync(join(EXAMPLES, rel), 'utf8')) as Manifest;
    if (!hasSignatures(manifest)) continue;
    it(`${rel} loads and runs on the mock backend with placeholder assets`, async () => {
      const { dir, cleanup } = tempDir('example-guard-');
      cleanups.push(cleanup);
      const src = join(EXAMPLES, dirname(rel));
      for (const f of readdirSync(src)) if (statSync(join(src, f)).isFile()) copyFileSync(join(src, f), join(dir, f));
      const inputs = placeholders(manifest, dir);
      const params = manifest.params && 'max_new_tokens' in manifest.params ? { max_new_tokens: 2 } : {};
      for (const variant of [undefined, ...Object.keys(manifest.variants ?? {})]) {
        // Graphs that leave their outputs zero: the wiring is under test, not the numbers (and random fills of BEVFusion's outputs cost seconds).
        const backend = new MockBackend({ graphs: Object.fromEntries(graphNames(manifest, dir).map((g) => [g, () => {}])) });
        await using pipeline = await Pipeline.load(join(dir, basename(rel)), { backend, ...(variant ? { variant } : {}) });
        const result = await pipeline.run(inputs, { params });
        expect(Object.keys(result.outputs).length, `${rel} ${variant ?? ''}`).toBeGreaterThan(0);
        expect(Object.values(backend.callCounts()).reduce((a, b) => a + b, 0), `${rel} ${variant ?? ''}: graph calls`).toBeGreaterThan(0);
      }
    }, 120_000);
  }
});
