import { readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MockBackend, Tensor, loadModel, type Backend, type ModelCacheRecord } from '../../../lib/index.js';
import { tempDir } from '../../pipeline/fixtures.js';
import { MLP, mlp } from '../../mock/model-fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(): { dir: string; dlc: string; cache: string; backend: (o?: { buildId?: string }) => MockBackend } {
  const { dir, cleanup } = tempDir('qnn-model-cache-');
  cleanups.push(cleanup);
  const dlc = join(dir, 'model.dlc');
  writeFileSync(dlc, 'version 1 of the model');
  return { dir, dlc, cache: join(dir, 'cache', 'model.bin'), backend: (o = {}) => new MockBackend({ models: { [dlc]: { graphs: [MLP], compute: { f32_mlp: mlp } } }, ...o }) };
}

const composes = (b: MockBackend): number => b.modelLog.filter((r) => r.call === 'compose').length;
const run = async (ctx: { graph(n: string): { run(i: Record<string, Tensor>): Promise<Record<string, Tensor>> } }): Promise<number[]> =>
  Array.from((await ctx.graph('f32_mlp').run({ x: new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]) })).y.data as Float32Array);

describe('loadModel: first-run caching', () => {
  it('creates the binary and its record, then hits (no compose) with identical results', async () => {
    const { dlc, cache, backend } = setup();
    const b = backend();
    const first = await loadModel(b, dlc, { cache });
    expect(first.cache).toMatchObject({ status: 'created', binaryPath: cache, metaPath: `${cache}.json`, reason: expect.stringContaining('no cache') });
    expect(first.cache.saved?.bytes).toBe(statSync(cache).size);
    expect(first.origin?.kind).toBe('dlc');
    const record = JSON.parse(readFileSync(`${cache}.json`, 'utf8')) as ModelCacheRecord;
    expect(record).toMatchObject({
      format: 'qnn-node-model-cache',
      version: 1,
      source: { path: dlc, format: 'dlc', bytes: 22, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      backend: { kind: 'mock', buildId: 'mock' },
      configs: { format: 'dlc' },
    });
    const second = await loadModel(b, dlc, { cache });
    expect(second.cache).toEqual({ status: 'hit', reason: null, binaryPath: cache, metaPath: `${cache}.json` });
    expect(second.origin).toEqual({ kind: 'binary', path: cache });
    expect(composes(b)).toBe(1);
    expect(await run(second)).toEqual(await run(first));
    expect(await run(second)).toEqual([3, 5, 7, 9]);
  });

  it('rebuilds when the source content changes (reason names sha256), not when only its mtime does', async () => {
    const { dlc, cache, backend } = setup();
    const b = backend();
    await loadModel(b, dlc, { cache });
    const later = new Date(Date.now() + 60_000);
    utimesSync(dlc, later, later);
    expect((await loadModel(b, dlc, { cache })).cache.status).toBe('hit');
    // The record learns the new mtime (next hit skips hashing).
    expect((JSON.parse(readFileSync(`${cache}.json`, 'utf8')) as ModelCacheRecord).source.mtimeMs).toBe(statSync(dlc).mtimeMs);
    writeFileSync(dlc, 'version 2 of the model');
    const changed = await loadModel(b, dlc, { cache });
    expect(changed.cache.status).toBe('rebuilt');
    expect(changed.cache.reason).toMatch(/^the source content changed \(sha256 [0-9a-f]{12}… → [0-9a-f]{12}…\)$/);
    expect(composes(b)).toBe(2);
  });

  it('rebuilds when the backend build or the configs change, naming what changed', async () => {
    const { dlc, cache, backend } = setup();
    await loadModel(backend(), dlc, { cache });
    const other = await loadModel(backend({ buildId: 'v2.26' }), dlc, { cache });
    expect(other.cache).toMatchObject({ status: 'rebuilt', reason: 'the backend buildId changed ("mock" → "v2.26")' });
    const configured = await loadModel(backend({ buildId: 'v2.26' }), dlc, { cache, graphConfigs: { f32_mlp: { priority: 'high' } } });
    expect(configured.cache).toMatchObject({ status: 'rebuilt', reason: 'the configs changed (graphConfigs: (none) → {"f32_mlp":{"priority":"high"}})' });
    // Key order and run-time options (perfProfile, profile, onProgress) do not invalidate.
    const same = await loadModel(backend({ buildId: 'v2.26' }), dlc, { cache, graphConfigs: { f32_mlp: { priority: 'high' } }, perfProfile: 'burst', onProgress: () => {} });
    expect(same.cache.status).toBe('hit');
    const format = await loadModel(backend({ buildId: 'v2.26' }), dlc, { cache, format: 'library', graphConfigs: { f32_mlp: { priority: 'high' } } });
    expect(format.cache.reason).toBe('the configs changed (format: "dlc" → "library")');
  });

  it('a corrupt binary or record is rebuilt, never a crash', async () => {
    const { dlc, cache, backend } = setup();
    const b = backend();
    await loadModel(b, dlc, { cache });
    writeFileSync(`${cache}.json`, '{"format":"qnn-node-model-ca');
    const fromBadRecord = await loadModel(b, dlc, { cache });
    expect(fromBadRecord.cache).toMatchObject({ status: 'rebuilt', reason: expect.stringContaining('is damaged') });
    // Same size and mtime as recorded, damaged content: the backend refuses it, the cache rebuilds.
    const { size, atime, mtime } = statSync(cache);
    writeFileSync(cache, Buffer.alloc(size, 0x51));
    utimesSync(cache, atime, mtime);
    const fromBadBinary = await loadModel(b, dlc, { cache });
    expect(fromBadBinary.cache).toMatchObject({ status: 'rebuilt', reason: expect.stringContaining('could not be loaded') });
    // A truncated binary is caught by its recorded size before loading.
    writeFileSync(cache, 'short');
    expect((await loadModel(b, dlc, { cache })).cache.reason).toMatch(/cache binary changed/);
    expect(await run(await loadModel(b, dlc, { cache }))).toEqual([3, 5, 7, 9]);
  });

  it('concurrent first runs in one process compose once and never leave a temporary file', async () => {
    const { dlc, cache, backend } = setup();
    const b = backend();
    const results = await Promise.all([1, 2, 3].map(() => loadModel(b, dlc, { cache })));
    expect(results.map((r) => r.cache.status).sort()).toEqual(['created', 'hit', 'hit']);
    expect(composes(b)).toBe(1);
    expect(readdirSync(join(cache, '..')).sort()).toEqual(['model.bin', 'model.bin.json']);
  });

  it('refuses bad input with typed errors', async () => {
    const { dir, dlc, cache, backend } = setup();
    const b = backend();
    await expect(loadModel(b, dlc, {} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('options.cache') });
    await expect(loadModel(b, join(dir, 'nope.dlc'), { cache })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining('nope.dlc') });
    await expect(loadModel(b, dlc, { cache: dlc })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(loadModel({} as Backend, dlc, { cache })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    const noCompose = { kind: 'old', loadContext: b.loadContext.bind(b), dispose: async () => {}, [Symbol.asyncDispose]: async () => {} } as Backend;
    await expect(loadModel(noCompose, dlc, { cache })).rejects.toMatchObject({ code: 'UNSUPPORTED_FEATURE' });
  });
});
