// contexts.<c>.model (+ cache, configs) and the manifest's backends map, on mock backends.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor, type Backend, type MockModel, type GraphSignature, type TensorMap } from '../../lib/index.js';
import { hasCode } from '../../lib/errors.js';
import { tempDir } from './fixtures.js';
import { MLP, mlp } from '../mock/model-fixtures.js';

const HEAD: GraphSignature = {
  name: 'head',
  inputs: [{ name: 'h', dtype: 'float32', dims: [1, 4] }],
  outputs: [{ name: 'out', dtype: 'float32', dims: [1, 4] }],
};
/** out = h * 10 */
function head(inputs: TensorMap, outputs: TensorMap): void {
  const h = inputs.h.data as Float32Array;
  const o = outputs.out.data as Float32Array;
  for (let i = 0; i < o.length; i++) o[i] = h[i] * 10;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function folder(): { dir: string; vision: string; fallback: string } {
  const { dir, cleanup } = tempDir('model-contexts-');
  cleanups.push(cleanup);
  const vision = join(dir, 'vision.dlc');
  const fallback = join(dir, 'libhead_fp32.so');
  writeFileSync(vision, 'the vision DLC');
  writeFileSync(fallback, 'the fp32 library');
  return { dir, vision, fallback };
}

/** Two stages: x → f32_mlp (the "htp" backend) → head (the "cpu" backend). */
function manifest(contexts: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    backends: { htp: { backend: 'QnnHtp' }, cpu: { backend: 'QnnCpu', description: 'FP32 fallback' } },
    contexts,
    inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 4] } },
    steps: [
      { graph: 'vision/f32_mlp', inputs: { x: 'x' }, outputs: { y: 'h' } },
      { graph: 'head/head', inputs: { h: 'h' }, outputs: { out: 'out' } },
    ],
    outputs: { out: 'out' },
    ...extra,
  };
}

const x = (): Tensor => new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]);
const models = (vision: string, fallback: string): Record<string, MockModel> => ({ [vision]: { graphs: [MLP], compute: { f32_mlp: mlp } }, [fallback]: { graphs: [HEAD], compute: { head } } });

describe('manifest contexts from models, one backend per stage', () => {
  it('composes each stage on its own backend, caches the first run, hits the second; disposes the backends it opened', async () => {
    const { dir, vision, fallback } = folder();
    const opened: MockBackend[] = [];
    const openBackend = async (name: string, entry: { backend: string }): Promise<Backend> => {
      const b = new MockBackend({ name, buildId: entry.backend, models: models(vision, fallback) });
      opened.push(b);
      return b;
    };
    const m = manifest({
      vision: { model: 'vision.dlc', cache: 'cache/vision.bin', backend: 'htp', graphConfigs: { f32_mlp: { priority: 'high' } } },
      head: { model: 'libhead_fp32.so', backend: 'cpu', priority: 'low' },
    });
    const fallbackBackend = new MockBackend();
    const first = await Pipeline.load(m, { backend: fallbackBackend, baseDir: dir, openBackend });
    expect(opened.map((b) => b.describe())).toEqual([
      { kind: 'mock', buildId: 'QnnHtp', library: 'mock:htp' },
      { kind: 'mock', buildId: 'QnnCpu', library: 'mock:cpu' },
    ]);
    const [htp, cpu] = opened;
    expect(htp.modelLog[0]).toEqual({ call: 'compose', source: vision, format: 'dlc', options: { graphConfigs: { f32_mlp: { priority: 'high' } } } });
    expect(cpu.modelLog[0]).toEqual({ call: 'compose', source: fallback, format: 'library', options: { priority: 'low' } });
    expect(first.contextLoads.vision).toMatchObject({ backend: 'htp', kind: 'model', path: vision, cache: { status: 'created', binaryPath: join(dir, 'cache', 'vision.bin') } });
    expect(first.contextLoads.head).toEqual({ backend: 'cpu', kind: 'model', path: fallback });
    const result = await first.run({ x: x() });
    expect(Array.from((result.outputs.out as Tensor).data as Float32Array)).toEqual([30, 50, 70, 90]);
    expect(htp.callCounts()).toEqual({ f32_mlp: 1 });
    expect(cpu.callCounts()).toEqual({ head: 1 });
    expect(fallbackBackend.callCounts()).toEqual({});
    await first.dispose();
    // The pipeline opened them: disposed with it.
    await expect(htp.loadContext('x.bin')).rejects.toMatchObject({ code: 'DISPOSED' });
    await expect(cpu.loadContext('x.bin')).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(existsSync(join(dir, 'cache', 'vision.bin.json'))).toBe(true);

    opened.length = 0;
    await using second = await Pipeline.load(m, { backend: fallbackBackend, baseDir: dir, openBackend });
    expect(second.contextLoads.vision.cache).toEqual({ status: 'hit', reason: null, binaryPath: join(dir, 'cache', 'vision.bin'), metaPath: join(dir, 'cache', 'vision.bin.json') });
    expect(opened[0].modelLog.filter((r) => r.call === 'compose')).toEqual([]);
    expect(Array.from(((await second.run({ x: x() })).outputs.out as Tensor).data as Float32Array)).toEqual([30, 50, 70, 90]);
  });

  it('caller-owned backends are used and left open; a mock default forks per name', async () => {
    const { dir, vision, fallback } = folder();
    const htp = new MockBackend({ models: models(vision, fallback) });
    const m = manifest({ vision: { model: 'vision.dlc', backend: 'htp' }, head: { model: 'libhead_fp32.so', backend: 'cpu' } });
    const p = await Pipeline.load(m, { backend: new MockBackend({ models: models(vision, fallback) }), backends: { htp }, baseDir: dir });
    const cpu = await p.namedBackend('cpu');
    expect(cpu).not.toBe(htp);
    expect(cpu.describe!()).toEqual({ kind: 'mock', buildId: 'mock', library: 'mock:cpu' });
    expect(Array.from(((await p.run({ x: x() })).outputs.out as Tensor).data as Float32Array)).toEqual([30, 50, 70, 90]);
    await p.dispose();
    expect((await htp.composeModel(vision)).graphs.length).toBe(1); // still open
    await expect(cpu.loadContext('x.bin')).rejects.toMatchObject({ code: 'DISPOSED' });
    await htp.dispose();
  });

  it('a failed load disposes the contexts and the backends opened so far', async () => {
    const { dir, vision, fallback } = folder();
    const opened: MockBackend[] = [];
    const openBackend = async (name: string): Promise<Backend> => {
      // The cpu backend does not know the fallback model: its compose fails.
      const b = new MockBackend({ name, models: name === 'htp' ? models(vision, fallback) : {} });
      opened.push(b);
      return b;
    };
    const error = await Pipeline.load(manifest({ vision: { model: 'vision.dlc', backend: 'htp' }, head: { model: 'libhead_fp32.so', backend: 'cpu' } }), { backend: new MockBackend(), baseDir: dir, openBackend }).catch((e: unknown) => e);
    expect(hasCode(error, 'ERR_INVALID_ARG')).toBe(true);
    expect(opened).toHaveLength(2);
    for (const b of opened) await expect(b.loadContext('x.bin')).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('manifest rules: one of binary/model, model-only fields, known backends, backend names not paths', async () => {
    const { dir } = folder();
    writeFileSync(join(dir, 'a.bin'), '');
    const load = (contexts: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      Pipeline.load(manifest(contexts, extra), { backend: new MockBackend(), baseDir: dir }).then(
        () => Promise.reject(new Error('loaded')),
        (e: unknown) => e as Error & { code: string; details: { path: string } },
      );
    const head = { model: 'libhead_fp32.so' };
    const cases: [Record<string, unknown>, Record<string, unknown>, string, RegExp][] = [
      [{ vision: { binary: 'a.bin', model: 'vision.dlc' }, head }, {}, '/contexts/vision/model', /either "binary" or "model", not both/],
      [{ vision: { signature: [MLP] }, head }, {}, '/contexts/vision', /property "binary" or property "model"/],
      [{ vision: { binary: 'a.bin', cache: 'x.bin', signature: [MLP] }, head }, {}, '/contexts/vision/cache', /"cache" only with "model"/],
      [{ vision: { model: 'vision.dlc', backend: 'gpu' }, head }, {}, '/contexts/vision/backend', /a backend of \/backends \("htp", "cpu"\)/],
      [{ vision: { model: 'vision.dlc', format: 'onnx' }, head }, {}, '/contexts/vision/format', /"dlc", "library"/],
      [{ vision: { model: 'vision.dlc' }, head }, { backends: { cpu: { backend: '/opt/evil/libQnnCpu.so' } } }, '/backends/cpu/backend', /matching/],
      [{ vision: { model: 'vision.dlc', shareGroup: 'g' }, head: { ...head, shareGroup: 'g' } }, {}, '/contexts/vision/shareGroup', /only on binary contexts/],
    ];
    for (const [contexts, extra, path, message] of cases) {
      const e = await load(contexts, extra);
      expect({ code: e.code, path: e.details?.path }).toEqual({ code: 'MANIFEST_INVALID', path });
      expect(e.message).toMatch(message);
    }
    // A cache outside the allowed roots is refused before anything loads.
    const outside = await load({ vision: { model: 'vision.dlc', cache: '../elsewhere.bin' }, head });
    expect(outside.code).toBe('PATH_NOT_ALLOWED');
    // A missing model is reported with the other missing files.
    const missing = await load({ vision: { model: 'nope.dlc' }, head });
    expect(missing.code).toBe('ASSET_MISSING');
    expect(missing.message).toContain('/contexts/vision/model');
  });

  it('a backend that cannot compose names the context', async () => {
    const { dir } = folder();
    const plain = new MockBackend();
    const noCompose: Backend = { kind: 'legacy', loadContext: plain.loadContext.bind(plain), dispose: async () => {}, [Symbol.asyncDispose]: async () => {} };
    const e = await Pipeline.load(manifest({ vision: { model: 'vision.dlc' }, head: { model: 'libhead_fp32.so' } }, { backends: undefined }), { backend: noCompose, baseDir: dir }).then(
      () => Promise.reject(new Error('loaded')),
      (x: unknown) => x as Error & { code: string },
    );
    expect(e.code).toBe('UNSUPPORTED_FEATURE');
    expect(e.message).toMatch(/\/contexts\/vision\/model: the legacy backend cannot compose/);
  });
});
