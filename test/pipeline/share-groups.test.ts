// contexts.<name>.shareGroup: the manifest's spill-fill groups, on the mock backend; and
// the mock's loadContexts / config validation.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline } from '../../lib/index.js';
import { hasCode } from '../../lib/errors.js';
import { tempDir } from './fixtures.js';

const { dir, cleanup } = tempDir('share-groups-');
afterAll(cleanup);
for (const f of ['p1.bin', 'p2.bin', 'p3.bin', 'solo.bin']) writeFileSync(join(dir, f), '');
const sig = (g: string) => [{ name: g, inputs: [], outputs: [{ name: 'y', dtype: 'float32' as const, dims: [1] }] }];

function manifest(contexts: Record<string, unknown>) {
  return { format: 'qnn-node-pipeline', version: 1, contexts, inputs: { n: { type: 'number' } }, steps: [{ op: 'add', inputs: { a: 'n', b: 1 }, output: 'r' }], outputs: { r: 'r' } };
}

describe('manifest shareGroup', () => {
  it('loads the contexts of a group together, as one group, in manifest order', async () => {
    const backend = new MockBackend();
    const calls: string[][] = [];
    const loadContexts = backend.loadContexts.bind(backend);
    backend.loadContexts = async (sources, options) => {
      calls.push(sources.map((s) => String((s as { source: string }).source).split('/').pop()!));
      expect(options?.shareResources).toBe(true);
      return loadContexts(sources, options);
    };
    await using p = await Pipeline.load(
      manifest({
        part1: { binary: 'p1.bin', shareGroup: 'llm', signature: sig('a') },
        solo: { binary: 'solo.bin', signature: sig('s') },
        part2: { binary: 'p2.bin', shareGroup: 'llm', signature: sig('b') },
        part3: { binary: 'p3.bin', shareGroup: 'llm', signature: sig('c') },
      }),
      { backend, baseDir: dir },
    );
    expect(calls).toEqual([['p1.bin', 'p2.bin', 'p3.bin']]);
    const groups = ['part1', 'part2', 'part3', 'solo'].map((n) => (p.context(n) as unknown as { shareGroup?: number }).shareGroup);
    expect(groups[0]).toBeGreaterThan(0);
    expect(groups.slice(0, 3)).toEqual([groups[0], groups[0], groups[0]]);
    expect(groups[3]).toBeUndefined();
    // each part keeps its own signature
    expect(p.context('part2').graphs.map((g) => g.name)).toEqual(['b']);
  });

  it('refuses a group named by one context and a shareGroup that is not an identifier', async () => {
    const one = await Pipeline.load(manifest({ a: { binary: 'p1.bin', shareGroup: 'llm', signature: sig('a') } }), { backend: new MockBackend(), baseDir: dir }).catch((e: unknown) => e);
    expect(hasCode(one, 'MANIFEST_INVALID')).toBe(true);
    expect((one as Error).message).toMatch(/\/contexts\/a\/shareGroup/);
    const bad = await Pipeline.load(manifest({ a: { binary: 'p1.bin', shareGroup: 7, signature: sig('a') } }), { backend: new MockBackend(), baseDir: dir }).catch((e: unknown) => e);
    expect(hasCode(bad, 'MANIFEST_INVALID')).toBe(true);
  });
});

describe('mock backend: configs and loadContexts', () => {
  it('validates and records context/graph configs like the QNN backend', async () => {
    await using backend = new MockBackend();
    const ctx = (await backend.loadContext('x.bin', { graphs: sig('g'), priority: 'high', graphConfig: { htp: { numHvxThreads: 2 } } })) as unknown as {
      configs: unknown;
    };
    expect(ctx.configs).toEqual({ priority: 200, custom: [], graphs: [{ custom: [{ option: 6, value: 2, name: 'numHvxThreads', since: 25 }] }] });
    const err = await backend.loadContext('x.bin', { graphs: sig('g'), priority: 'urgent' as never }).catch((e: unknown) => e);
    expect(hasCode(err, 'ERR_INVALID_ARG')).toBe(true);
    const bad = await backend.loadContexts([], {}).catch((e: unknown) => e);
    expect(hasCode(bad, 'ERR_INVALID_ARG')).toBe(true);
  });

  it('loadContexts checks its options like the QNN backend (one checker) and disposes loaded parts on failure', async () => {
    await using backend = new MockBackend();
    const parts = [{ source: 'a.bin', graphs: sig('a') }, { source: 'b.bin', graphs: sig('b') }];
    const noShare = await backend.loadContexts(parts, { spillFillBytes: 10 }).catch((e: unknown) => e);
    expect(noShare).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('shareResources: true with spillFillBytes') });
    const negative = await backend.loadContexts(parts, { shareResources: true, spillFillBytes: -1 }).catch((e: unknown) => e);
    expect(negative).toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('options.spillFillBytes') });
    const nul = await backend.loadContexts(parts, null as never).catch((e: unknown) => e);
    expect(nul).toMatchObject({ code: 'ERR_INVALID_ARG', message: 'Expected an options object for options but received null' });
    // The second part has no signatures: the first, already loaded, is disposed.
    const disposed: string[] = [];
    const load = backend.loadContext.bind(backend);
    backend.loadContext = async (source, options) => {
      const c = await load(source, options);
      const dispose = c.dispose.bind(c);
      c.dispose = async () => {
        disposed.push(String(source));
        await dispose();
      };
      return c;
    };
    const failed = await backend.loadContexts([parts[0]!, { source: 'c.bin' }], { shareResources: true }).catch((e: unknown) => e);
    expect(hasCode(failed, 'ERR_INVALID_ARG')).toBe(true);
    expect(disposed).toEqual(['a.bin']);
  });

  it('onProfile without profile is refused rather than never called', async () => {
    await using backend = new MockBackend();
    const ctx = await backend.loadContext('x.bin', { graphs: sig('g') });
    const err = await ctx.graph('g').run({}, { onProfile: () => {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('with options.onProfile for options.profile but received undefined') });
    expect(() => ctx.graph('g').runSync({}, { onProfile: () => {} })).toThrow(/with options.onProfile/);
  });
});

describe('manifest spillFillBytes', () => {
  it('goes with a shareGroup only; the group passes the largest to loadContexts', async () => {
    const backend = new MockBackend();
    const seen: unknown[] = [];
    const loadContexts = backend.loadContexts.bind(backend);
    backend.loadContexts = async (sources, options) => {
      seen.push(options);
      return loadContexts(sources, options);
    };
    await using p = await Pipeline.load(
      manifest({
        part1: { binary: 'p1.bin', shareGroup: 'llm', spillFillBytes: 100, signature: sig('a') },
        part2: { binary: 'p2.bin', shareGroup: 'llm', spillFillBytes: 300, signature: sig('b') },
        part3: { binary: 'p3.bin', shareGroup: 'llm', signature: sig('c') },
      }),
      { backend, baseDir: dir },
    );
    expect(p.context('part3').graphs.length).toBe(1);
    expect(seen).toEqual([{ shareResources: true, spillFillBytes: 300 }]);
    const alone = await Pipeline.load(manifest({ a: { binary: 'p1.bin', spillFillBytes: 100, signature: sig('a') } }), { backend: new MockBackend(), baseDir: dir }).catch((e: unknown) => e);
    expect(hasCode(alone, 'MANIFEST_INVALID')).toBe(true);
    expect((alone as Error).message).toMatch(/\/contexts\/a\/spillFillBytes/);
    const negative = await Pipeline.load(manifest({ a: { binary: 'p1.bin', shareGroup: 'g', spillFillBytes: -5, signature: sig('a') }, b: { binary: 'p2.bin', shareGroup: 'g', signature: sig('b') } }), { backend: new MockBackend(), baseDir: dir }).catch((e: unknown) => e);
    expect(hasCode(negative, 'MANIFEST_INVALID')).toBe(true);
  });
});
