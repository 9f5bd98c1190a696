import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, validateManifest, type Backend, type Context, type LoadContextOptions } from '../../lib/index.js';
import { EXAMPLES, copyExample, tempDir, writeEmbeddingTable, writeTokenizer } from './fixtures.js';

type Err = { code?: string; message: string; details: Record<string, unknown> };

function errorOf(fn: () => unknown): Err {
  try {
    fn();
  } catch (e) {
    return e as Err;
  }
  throw new Error('expected an error');
}

async function rejection(p: Promise<unknown>): Promise<Err> {
  try {
    await p;
  } catch (e) {
    return e as Err;
  }
  throw new Error('expected a rejection');
}

const minimal = (): Record<string, unknown> => ({
  format: 'qnn-node-pipeline',
  version: 1,
  contexts: { m: { binary: 'm.bin', signature: [{ name: 'g', inputs: [{ name: 'x', dtype: 'float32', dims: [1, 2] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1, 2] }] }] } },
  inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 2] } },
  steps: [{ graph: 'g', inputs: { x: 'x' }, outputs: { y: 'y' } }],
  outputs: { y: 'y' },
});

/** A backend that records whether anything was loaded. */
class SpyBackend implements Backend {
  readonly kind = 'spy';
  loads = 0;
  private readonly inner = new MockBackend();
  async loadContext(source: string | Uint8Array, options?: LoadContextOptions): Promise<Context> {
    this.loads++;
    return this.inner.loadContext(source, options);
  }
  async dispose(): Promise<void> {
    await this.inner.dispose();
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('manifest validation (MANIFEST_INVALID names the path, the expected and the received value)', () => {
  const cases: [string, (m: Record<string, any>) => void, string, RegExp, RegExp][] = [
    ['wrong format', (m) => (m.format = 'onnx'), '/format', /"qnn-node-pipeline"/, /"onnx"/],
    ['wrong version', (m) => (m.version = 2), '/version', /^1$/, /number 2/],
    ['unknown top-level key', (m) => (m.backend = 'htp'), '/backend', /no property "backend"/, /"htp"/],
    ['a library path in a context', (m) => (m.contexts.m.library = 'libQnnHtp.so'), '/contexts/m/library', /no property "library"/, /libQnnHtp\.so/],
    ['bad dtype in an input', (m) => (m.inputs.x.dtype = 'float8'), '/inputs/x/dtype', /one of "float32"/, /"float8"/],
    ['missing steps', (m) => delete m.steps, '', /property "steps"/, /an object with keys/],
    ['graph step inputs not an object', (m) => (m.steps[0].inputs = 'x'), '/steps/0/inputs', /type object/, /"x"/],
    ['op param of the wrong type', (m) => m.steps.push({ op: 'slice', inputs: { input: 'y' }, output: 'z', axis: 'one' }), '/steps/1/axis', /integer/, /"one"/],
    ['unknown op param', (m) => m.steps.push({ op: 'reshape', inputs: { input: 'y' }, output: 'z', dims: [2], shape: [2] }), '/steps/1/shape', /no property "shape"/, /array/],
    ['a step of no known kind', (m) => m.steps.push({ run: 'g' }), '/steps/1', /property "op"/, /keys "run"/],
    ['an undefined value', (m) => (m.steps[0].inputs.x = 'xx'), '/steps/0/inputs/x', /defined by an earlier step/, /"xx"/],
    ['an output never bound', (m) => (m.outputs.y = 'nope'), '/outputs/y', /defined by a step/, /"nope"/],
    ['an undeclared param', (m) => m.steps.push({ op: 'fill', output: 'z', value: '$scale', dtype: 'float32', dims: [1] }), '/steps/1/value', /declared param/, /"\$scale"/],
    ['a loop with count and max', (m) => m.steps.push({ loop: { count: 2, max: 3 }, steps: [] }), '/steps/1/loop', /exactly one of "count" or "max"/, /keys "count", "max"/],
    ['a break outside loops', (m) => m.steps.push({ break: { value: 'y', gte: 1 } }), '/steps/1', /inside a loop/, /outside/],
    ['an unknown context', (m) => (m.steps[0].graph = 'other/g'), '/steps/0/graph', /a context of the manifest \("m"\)/, /"other"/],
    ['a missing tokenizer asset', (m) => m.steps.push({ op: 'tokenize', output: 't', tokenizer: 'tok', text: 'hi' }), '/steps/1/tokenizer', /tokenizer asset/, /"tok"/],
    ['an embedding asset without shape', (m) => (m.assets = { e: { type: 'embedding', path: 'e.bin', dtype: 'float16' } }), '/assets/e', /property "shape"/, /keys/],
  ];
  for (const [label, mutate, path, expected, received] of cases) {
    it(label, () => {
      const m = minimal();
      mutate(m);
      const e = errorOf(() => validateManifest(m));
      expect(e.code).toBe('MANIFEST_INVALID');
      expect(e.details.path).toBe(path);
      expect(e.details.expected).toMatch(expected);
      expect(e.details.received).toMatch(received);
      expect(e.message).toContain(`at ${path || '/'}: expected`);
    });
  }

  it('reports unknown host ops as UNKNOWN_HOST_OP with the path', () => {
    const m = minimal();
    (m.steps as unknown[]).push({ op: 'frobnicate', output: 'z' });
    const e = errorOf(() => validateManifest(m, { hostOps: new Set(['tokenize']) }));
    expect(e.code).toBe('UNKNOWN_HOST_OP');
    expect(e.details.path).toBe('/steps/1/op');
  });

  it('accepts signatures inline as graphs or as a signature file object', async () => {
    writeFileSync(join(dir, 'm.bin'), 'x');
    const m = minimal();
    const graphs = (m.contexts as Record<string, { signature: unknown }>).m.signature;
    (m.contexts as Record<string, { signature: unknown }>).m.signature = { format: 'qnn-node-signature', version: 1, graphs };
    const p = await Pipeline.load(m, { backend: new MockBackend(), baseDir: dir });
    expect(p.context('m').graph('g').inputs[0].name).toBe('x');
    await p.dispose();
  });

  it('reports invalid JSON text with the parse position', async () => {
    writeFileSync(join(dir, 'manifest.json'), '{ "format": "qnn-node-pipeline", ');
    const e = await rejection(Pipeline.load(join(dir, 'manifest.json'), { backend: new MockBackend() }));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toMatch(/not valid JSON/);
  });

  it('accepts the published examples and ships a schema they reference', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schema/manifest.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    expect(schema.$schema).toMatch(/json-schema\.org/);
    for (const name of ['smolvla', 'qwen3-vl', 'sam2', 'tiny-smolvla']) {
      const m = JSON.parse(readFileSync(join(EXAMPLES, name, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      expect(m.$schema).toBe('../../schema/manifest.schema.json');
      expect(() => validateManifest(m, { source: name })).not.toThrow();
    }
  });
});

describe('files are checked before anything loads or runs', () => {
  function writeSmall(): void {
    writeFileSync(join(dir, 'm.bin'), 'x');
  }

  it('ASSET_MISSING lists every missing file; the backend is never called', async () => {
    const spy = new SpyBackend();
    const m = minimal();
    m.assets = {
      tok: { type: 'tokenizer', path: 'tokenizer.json' },
      e: { type: 'embedding', path: 'embed.bin', dtype: 'float16', shape: [10, 4] },
    };
    const e = await rejection(Pipeline.load(m, { backend: spy, baseDir: dir }));
    expect(e.code).toBe('ASSET_MISSING');
    const missing = (e.details.missing as { pointer: string }[]).map((x) => x.pointer);
    expect(missing).toEqual(['/contexts/m/binary', '/assets/tok/path', '/assets/e/path']);
    expect(e.message).toContain(join(dir, 'm.bin'));
    expect(spy.loads).toBe(0);
  });

  it('ASSET_INVALID for a table of the wrong size, naming both sizes', async () => {
    writeSmall();
    const spy = new SpyBackend();
    writeEmbeddingTable(join(dir, 'embed.bin'), 10, 3, 'float16', [], () => 0);
    const m = minimal();
    m.assets = { e: { type: 'embedding', path: 'embed.bin', dtype: 'float16', shape: [10, 4] } };
    const e = await rejection(Pipeline.load(m, { backend: spy, baseDir: dir }));
    expect(e.code).toBe('ASSET_INVALID');
    expect(e.message).toMatch(/expected 80 bytes but received 60 bytes/);
    expect(spy.loads).toBe(0);
  });

  it('ASSET_INVALID for a tokenizer that is not JSON, MANIFEST_INVALID for bad graph bindings', async () => {
    writeSmall();
    writeFileSync(join(dir, 'tokenizer.json'), 'not json');
    const m = minimal();
    m.assets = { tok: { type: 'tokenizer', path: 'tokenizer.json' } };
    expect((await rejection(Pipeline.load(m, { backend: new SpyBackend(), baseDir: dir }))).code).toBe('ASSET_INVALID');
    writeTokenizer(join(dir, 'tokenizer.json'), { words: { a: 1 }, specials: {} });
    const unknownInput = minimal();
    (unknownInput.steps as Record<string, any>[])[0].inputs = { x: 'x', z: 'x' };
    const e1 = await rejection(Pipeline.load(unknownInput, { backend: new MockBackend(), baseDir: dir }));
    expect(e1.code).toBe('MANIFEST_INVALID');
    expect(e1.details.path).toBe('/steps/0/inputs/z');
    expect(e1.details.expected).toMatch(/an input of graph m\/g \("x"\)/);
    const missingBinding = minimal();
    (missingBinding.steps as Record<string, any>[])[0].inputs = {};
    const e2 = await rejection(Pipeline.load(missingBinding, { backend: new MockBackend(), baseDir: dir }));
    expect(e2.details.path).toBe('/steps/0/inputs');
    expect(e2.details.expected).toMatch(/binding for input "x" \(float32 \[1, 2\]\)/);
    const unknownGraph = minimal();
    (unknownGraph.steps as Record<string, any>[])[0].graph = 'h';
    expect((await rejection(Pipeline.load(unknownGraph, { backend: new MockBackend(), baseDir: dir }))).details.expected).toMatch(/"m\/g"/);
    const listed = minimal();
    (listed.contexts as Record<string, any>).m.graphs = ['g', 'h'];
    expect((await rejection(Pipeline.load(listed, { backend: new MockBackend(), baseDir: dir }))).details.path).toBe('/contexts/m/graphs/1');
  });

  it('checks the example manifests’ files the same way', async () => {
    copyExample('qwen3-vl', dir);
    rmSync(join(dir, 'lmhead_wqo.bin'));
    const spy = new SpyBackend();
    const e = await rejection(Pipeline.load(join(dir, 'manifest.json'), { backend: spy }));
    expect(e.code).toBe('ASSET_MISSING');
    expect((e.details.missing as { pointer: string }[]).map((x) => x.pointer)).toEqual(['/contexts/lmhead/binary', '/assets/tokenizer/path', '/assets/embed/path', '/assets/patch_embed/path', '/assets/patch_bias/path', '/assets/pos_embed/path']);
    expect(spy.loads).toBe(0);
  });
});
