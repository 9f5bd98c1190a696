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
});
