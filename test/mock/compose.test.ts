import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MockBackend, MOCK_BINARY_MAGIC, Tensor, type ComposeProgress, type GraphSignature } from '../../lib/index.js';
import { tempDir } from '../pipeline/fixtures.js';
import { MLP, mlp } from './model-fixtures.js';

const SCALE: GraphSignature = {
  name: 'scale',
  inputs: [{ name: 'a', dtype: 'float32', dims: [1, 4] }],
  outputs: [{ name: 'b', dtype: 'float32', dims: [1, 4] }],
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(extra: { composeMs?: number; finalizeMs?: number } = {}): { dir: string; dlc: string; lib: string; backend: MockBackend } {
  const { dir, cleanup } = tempDir('qnn-mock-compose-');
  cleanups.push(cleanup);
  const dlc = join(dir, 'model.dlc');
  const lib = join(dir, 'libmodel.so');
  writeFileSync(dlc, 'dlc bytes');
  writeFileSync(lib, 'library bytes');
  const backend = new MockBackend({
    models: { [dlc]: { graphs: [MLP, SCALE], compute: { f32_mlp: mlp }, ...extra }, [lib]: { graphs: [SCALE] } },
  });
  return { dir, dlc, lib, backend };
}

const x = (): Tensor => new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]);

describe('MockBackend.composeModel', () => {
  it('composes the described model: graphs, compute functions, origin, timings', async () => {
    const { dlc, lib, backend } = setup();
    const ctx = await backend.composeModel(dlc);
    expect(ctx.graphs.map((g) => g.name)).toEqual(['f32_mlp', 'scale']);
    expect(ctx.origin).toEqual({ kind: 'dlc', path: dlc });
    expect(ctx.composeTimings).toMatchObject({ composeMs: expect.any(Number), finalizeMs: expect.any(Number), totalMs: expect.any(Number) });
    const { y } = await ctx.graph('f32_mlp').run({ x: x() });
    expect(Array.from(y.data as Float32Array)).toEqual([3, 5, 7, 9]);
    const other = await backend.composeModel(lib);
    expect(other.origin).toEqual({ kind: 'library', path: lib });
    expect((await backend.composeModel(lib, { format: 'dlc' })).origin!.kind).toBe('dlc');
  });

  it('reports progress (compose, then finalize per graph) and records compose/finalize calls', async () => {
    const { dlc, backend } = setup({ composeMs: 5, finalizeMs: 2 });
    const progress: ComposeProgress[] = [];
    const ctx = await backend.composeModel(dlc, { graphConfigs: { scale: { priority: 'high' } }, priority: 'low', onProgress: (p) => progress.push(p) });
    expect(progress.map((p) => [p.phase, p.graph, p.index, p.count])).toEqual([
      ['compose', undefined, 0, 1],
      ['finalize', 'f32_mlp', 0, 2],
      ['finalize', 'scale', 1, 2],
    ]);
    expect(ctx.composeTimings!.composeMs).toBeGreaterThanOrEqual(4);
    expect(ctx.composeTimings!.finalizeMs).toBeGreaterThanOrEqual(3);
    expect(backend.modelLog).toEqual([
      { call: 'compose', source: dlc, format: 'dlc', options: { graphConfigs: { scale: { priority: 'high' } }, priority: 'low' } },
      { call: 'finalize', source: dlc, graph: 'f32_mlp' },
      { call: 'finalize', source: dlc, graph: 'scale' },
    ]);
  });

  it('refuses bad input with typed errors', async () => {
    const { dir, dlc, backend } = setup();
    await expect(backend.composeModel(join(dir, 'missing.dlc'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining('missing.dlc') });
    writeFileSync(join(dir, 'other.dlc'), 'x');
    await expect(backend.composeModel(join(dir, 'other.dlc'))).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('options.models') });
    await expect(backend.composeModel(dlc, { format: 'onnx' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining("'dlc', 'library' for options.format") });
    await expect(backend.composeModel(dlc, { graphConfigs: { nope: { priority: 'high' } } })).rejects.toMatchObject({ code: 'UNKNOWN_GRAPH', message: expect.stringContaining('"nope"') });
    await expect(backend.composeModel(dlc, { priority: 'realtime' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(backend.composeModel(42 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    expect(() => new MockBackend({ models: { [dlc]: { graphs: [] } } })).toThrow(/non-empty array of graph signatures/);
    expect(() => new MockBackend({ models: { [dlc]: { graphs: [MLP], compute: { f32_mlp: 3 as never } } } })).toThrow(/function/);
  });

  it('describe() names the build and the label', () => {
    expect(new MockBackend().describe()).toEqual({ kind: 'mock', buildId: 'mock' });
    expect(new MockBackend({ buildId: 'b2', name: 'cpu' }).describe()).toEqual({ kind: 'mock', buildId: 'b2', library: 'mock:cpu' });
  });
});

describe('mock binaries: getBinary / saveBinary round-trip', () => {
  it('saves a binary the mock loads back with the same graphs and results', async () => {
    const { dir, dlc, backend } = setup();
    const composed = await backend.composeModel(dlc);
    const bytes = await composed.getBinary!();
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe(MOCK_BINARY_MAGIC);
    const file = join(dir, 'out', 'model.bin');
    const saved = await composed.saveBinary!(file);
    expect(saved).toEqual({ path: file, bytes: bytes.byteLength, serializeMs: expect.any(Number) });
    expect(new Uint8Array(readFileSync(file))).toEqual(bytes);
    expect(backend.modelLog.filter((r) => r.call === 'serialize')).toEqual([
      { call: 'serialize', source: dlc, bytes: bytes.byteLength },
      { call: 'serialize', source: dlc, bytes: bytes.byteLength, path: file },
    ]);
    // A fresh backend that knows the model: the compute functions come back.
    const fresh = new MockBackend({ models: { [dlc]: { graphs: [MLP], compute: { f32_mlp: mlp } } } });
    for (const source of [file, bytes]) {
      const loaded = await fresh.loadContext(source);
      expect(loaded.graphs.map((g) => ({ name: g.name, inputs: g.inputs, outputs: g.outputs }))).toEqual(composed.graphs.map((g) => ({ name: g.name, inputs: g.inputs, outputs: g.outputs })));
      expect(loaded.origin).toEqual(typeof source === 'string' ? { kind: 'binary', path: file } : { kind: 'binary' });
      const { y } = await loaded.graph('f32_mlp').run({ x: x() });
      expect(Array.from(y.data as Float32Array)).toEqual([3, 5, 7, 9]);
      // Saving the reloaded context gives the same bytes.
      expect(await loaded.getBinary!()).toEqual(bytes);
    }
  });

  it('refuses a damaged mock binary (BINARY_INVALID), writes nothing half-done', async () => {
    const { dir, dlc, backend } = setup();
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, `${MOCK_BINARY_MAGIC}{"format":"qnn-node-mock-binary","vers`);
    await expect(backend.loadContext(bad)).rejects.toMatchObject({ code: 'BINARY_INVALID', message: expect.stringContaining('bad.bin') });
    const ctx = await backend.composeModel(dlc);
    await ctx.dispose();
    await expect(ctx.getBinary!()).rejects.toMatchObject({ code: 'DISPOSED' });
    await expect(ctx.saveBinary!(join(dir, 'never.bin'))).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});
