// perfProfile in pipeline manifests: global and per graph step, the run option, and what
// the backend receives per graph run (the mock backend records it).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, type GraphSignature } from '../../lib/index.js';
import { tempDir } from './fixtures.js';

const { dir, cleanup } = tempDir('perf-profile-');
afterAll(cleanup);
writeFileSync(join(dir, 'm.bin'), '');
const sig = (name: string): GraphSignature => ({ name, inputs: [], outputs: [{ name: 'y', dtype: 'float32', dims: [1] }] });
const CONTEXTS = { m: { binary: 'm.bin', signature: [sig('prefill'), sig('decode')] } };

function manifest(extra: Record<string, unknown> = {}, decodeStep: Record<string, unknown> = {}) {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    contexts: CONTEXTS,
    steps: [
      { graph: 'prefill', inputs: {}, outputs: { y: 'a' } },
      { loop: { count: 2 }, steps: [{ graph: 'decode', inputs: {}, outputs: { y: 'b' }, ...decodeStep }] },
    ],
    outputs: { b: 'b' },
    ...extra,
  };
}

const profiles = (backend: MockBackend) => backend.perfProfileRecords().map((r) => `${r.graph}:${r.perfProfile}:${r.from}`);

describe('perfProfile in manifests', () => {
  it('passes the global profile and a step profile with every graph run', async () => {
    const backend = new MockBackend();
    await using p = await Pipeline.load(manifest({ perfProfile: 'balanced' }, { perfProfile: 'burst' }), { backend, baseDir: dir });
    await p.run();
    expect(profiles(backend)).toEqual(['prefill:balanced:run', 'decode:burst:run', 'decode:burst:run']);
  });

  it('the run option replaces the global profile; step profiles stay', async () => {
    const backend = new MockBackend();
    await using p = await Pipeline.load(manifest({ perfProfile: 'balanced' }, { perfProfile: 'burst' }), { backend, baseDir: dir });
    await p.run({}, { perfProfile: 'power_saver' });
    expect(profiles(backend)).toEqual(['prefill:power_saver:run', 'decode:burst:run', 'decode:burst:run']);
    await expect(p.run({}, { perfProfile: 'warp' as never })).rejects.toThrow(/for options\.perfProfile but received "warp"/);
  });

  it('without any perfProfile the runs carry none (the backend profile applies)', async () => {
    const backend = new MockBackend({ perfProfile: 'low_balanced' });
    await using p = await Pipeline.load(manifest(), { backend, baseDir: dir });
    await p.run();
    expect(profiles(backend)).toEqual(['prefill:low_balanced:backend', 'decode:low_balanced:backend', 'decode:low_balanced:backend']);
  });

  it('refuses an unknown profile at load, naming the JSON path', async () => {
    const backend = new MockBackend();
    await expect(Pipeline.load(manifest({ perfProfile: 'turbo' }), { backend, baseDir: dir })).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    const err = await Pipeline.load(manifest({}, { perfProfile: 3 }), { backend, baseDir: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID' });
    expect((err as Error).message).toContain('/steps/1/steps/0/perfProfile');
  });
});

describe('the mock backend and perf profiles', () => {
  it('records the profile each run resolved to (run, context, backend) and checks names', async () => {
    const backend = new MockBackend();
    const ctx = await backend.loadContext('x.bin', { graphs: [sig('g')], perfProfile: 'high_performance' });
    const plain = await backend.loadContext('y.bin', { graphs: [sig('h')] });
    await ctx.graph('g').run({});
    await ctx.graph('g').run({}, { perfProfile: 'burst', restorePerfProfile: true });
    await plain.graph('h').run({});
    await backend.setPerfProfile('extreme_power_saver');
    plain.graph('h').runSync({});
    expect(backend.perfProfileRecords()).toEqual([
      { graph: 'g', perfProfile: 'high_performance', from: 'context', restorePerfProfile: false },
      { graph: 'g', perfProfile: 'burst', from: 'run', restorePerfProfile: true },
      { graph: 'h', perfProfile: 'extreme_power_saver', from: 'backend', restorePerfProfile: false },
    ]);
    expect(backend.perfProfile).toBe('extreme_power_saver');
    await expect(ctx.graph('g').run({}, { perfProfile: 'nitro' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(backend.loadContext('z.bin', { graphs: [sig('g')], perfProfile: 'x' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(backend.setPerfProfile('y' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    expect(() => new MockBackend({ perfProfile: 'z' as never })).toThrow(/for options\.perfProfile but received "z"/);
    // Only null clears; undefined is a mistake (as on the QNN backend).
    await expect(backend.setPerfProfile(undefined as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/or null to clear for profile but received undefined/) });
    expect(backend.perfProfile).toBe('extreme_power_saver');
  });
});
