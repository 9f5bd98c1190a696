/** The `normalize` op with `stats` assets (LeRobot safetensors / JSON, or .npy mean and std) and the `flow_time` schedule. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, QnnNodeError, Tensor, validateManifest } from '../../lib/index.js';
import { parseSafetensors, parseStats } from '../../lib/pipeline/stats.js';
import { encodeNpy } from '../../lib/tensor/npy.js';
import { tempDir } from './fixtures.js';
import { safetensorsBytes, writeSafetensors } from './safetensors-fixture.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));
const { dir, cleanup } = tempDir('normalize-');
cleanups.push(cleanup);
writeFileSync(join(dir, 'm.bin'), 'placeholder');

const DUMMY = [{ name: 'g', inputs: [], outputs: [{ name: 'y', dtype: 'float32' as const, dims: [1] }] }];
const MEAN = [1, -2, 0.5];
const STD = [2, 0.25, 4];
const X = [3, -1.5, 0.5, -1, -2, 8.5];

function pipelineFor(steps: unknown[], assets: Record<string, unknown>, outputs: Record<string, string> = { y: 'y' }) {
  return Pipeline.load(
    {
      format: 'qnn-node-pipeline',
      version: 1,
      contexts: { m: { binary: 'm.bin', signature: DUMMY } },
      assets,
      inputs: { x: { type: 'tensor', dtype: 'float32', shape: [2, 3] } },
      steps,
      outputs,
    },
    { backend: new MockBackend(), baseDir: dir },
  );
}
const norm = (extra: Record<string, unknown>) => ({ op: 'normalize', inputs: { input: 'x' }, output: 'y', ...extra });
const x = new Tensor('float32', X, [2, 3]);

describe('normalize', () => {
  writeSafetensors(join(dir, 'policy_preprocessor_step_5_normalizer_processor.safetensors'), { 'observation.state.mean': MEAN, 'observation.state.std': STD, 'observation.state.count': [7] });
  writeFileSync(join(dir, 'stats.json'), JSON.stringify({ 'observation.state': { mean: MEAN, std: STD, min: [0, 0, 0] }, 'observation.images.image': { mean: [[[0.5]], [[0.4]], [[0.3]]] } }));
  writeFileSync(join(dir, 'flat.json'), JSON.stringify({ 'action.mean': MEAN, 'action.std': STD }));
  writeFileSync(join(dir, 'mean.npy'), encodeNpy(new Tensor('float32', MEAN, [3])));
  writeFileSync(join(dir, 'std.npy'), encodeNpy(new Tensor('float32', STD, [3])));
  const expected = X.map((v, i) => Math.fround((v - MEAN[i % 3]) / (STD[i % 3] + 1e-8)));

  it('normalizes per dimension with LeRobot MEAN_STD stats from safetensors, stats.json, flat JSON or .npy, and inverts', async () => {
    const sources: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ s: { type: 'stats', path: 'policy_preprocessor_step_5_normalizer_processor.safetensors' } }, { stats: 's', key: 'observation.state' }],
      [{ s: { type: 'stats', path: 'stats.json' } }, { stats: 's', key: 'observation.state' }],
      [{ s: { type: 'stats', path: 'flat.json', format: 'json' } }, { stats: 's', key: 'action' }],
      [{ m: { type: 'tensor', path: 'mean.npy' }, d: { type: 'tensor', path: 'std.npy' } }, { mean: 'm', std: 'd' }],
    ];
    for (const [assets, params] of sources) {
      await using p = await pipelineFor([norm(params), { op: 'normalize', inputs: { input: 'y' }, output: 'back', mode: 'unnormalize', ...params }], assets, { y: 'y', back: 'back' });
      const r = await p.run({ x });
      expect([...(r.outputs.y as Tensor).toFloat32()]).toEqual(expected);
      const back = (r.outputs.back as Tensor).toFloat32();
      X.forEach((v, i) => expect(back[i]).toBeCloseTo(v, 5));
    }
  });

  it('eps and the output dtype are parameters', async () => {
    await using p = await pipelineFor([norm({ stats: 's', key: 'observation.state', eps: 1, dtype: 'float16' })], { s: { type: 'stats', path: 'stats.json' } });
    const y = (await p.run({ x })).outputs.y as Tensor;
    expect(y.dtype).toBe('float16');
    expect(y.toFloat32()[0]).toBe(Tensor.fromFloat32('float16', [(3 - 1) / (2 + 1)], [1]).toFloat32()[0]);
  });

  it('refuses an int output dtype, a negative or non-finite eps and a zero std + eps instead of returning wrong numbers', async () => {
    const assets = { s: { type: 'stats', path: 'stats.json' } };
    for (const [extra, text] of [
      [{ dtype: 'int32' }, 'expected float16, float32 or float64 for dtype but received "int32"'],
      [{ eps: -1 }, 'expected a finite number >= 0 for eps but received number -1'],
    ] as const) {
      await using p = await pipelineFor([norm({ stats: 's', key: 'observation.state', ...extra })], assets);
      await expect(p.run({ x })).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining(text) });
    }
    // Through a "$param" the run-time override is checked too.
    const load = (params: Record<string, unknown>, extra: Record<string, unknown>) =>
      Pipeline.load(
        { format: 'qnn-node-pipeline', version: 1, params, contexts: { m: { binary: 'm.bin', signature: DUMMY } }, assets, inputs: { x: { type: 'tensor', dtype: 'float32', shape: [2, 3] } }, steps: [norm({ stats: 's', key: 'observation.state', ...extra })], outputs: { y: 'y' } },
        { backend: new MockBackend(), baseDir: dir },
      );
    await using d = await load({ d: 'float32' }, { dtype: '$d' });
    await expect(d.run({ x }, { params: { d: 'int8' } })).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('received "int8"') });
    await using e = await load({ e: 0.5 }, { eps: '$e' });
    await expect(e.run({ x }, { params: { e: Number.NaN } })).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('for eps but received number NaN') });
    writeFileSync(join(dir, 'zero.json'), JSON.stringify({ a: { mean: [0, 0, 0], std: [1, 0, 1] } }));
    await using z = await pipelineFor([norm({ stats: 's', key: 'a', eps: 0 })], { s: { type: 'stats', path: 'zero.json' } });
    await expect(z.run({ x })).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('std + eps > 0 in every dimension of s:a but received std 0 + eps 0 in dimension 1') });
  });

  it('an int input normalizes to float32, and the load-time type check agrees', async () => {
    const G = [{ name: 'policy', inputs: [{ name: 'state', dtype: 'float32' as const, dims: [2, 3] }], outputs: [{ name: 'y', dtype: 'float32' as const, dims: [1] }] }];
    await using p = await Pipeline.load(
      { format: 'qnn-node-pipeline', version: 1, contexts: { m: { binary: 'm.bin', signature: G } }, assets: { s: { type: 'stats', path: 'stats.json' } }, inputs: { s: { type: 'tensor', dtype: 'int32', shape: [2, 3] } },
        steps: [{ op: 'normalize', inputs: { input: 's' }, output: 'sn', stats: 's', key: 'observation.state' }, { graph: 'policy', inputs: { state: 'sn' } }], outputs: { sn: 'sn' } },
      { backend: new MockBackend(), baseDir: dir },
    );
    const y = (await p.run({ s: new Tensor('int32', [3, -1, 0, -1, -2, 8], [2, 3]) })).outputs.sn as Tensor;
    expect(y.dtype).toBe('float32');
    expect(y.toFloat32()[0]).toBe(Math.fround((3 - 1) / (2 + 1e-8)));
  });

  it('a missing feature or a width mismatch is HOST_OP_FAILED naming the step and the values', async () => {
    await using p = await pipelineFor([norm({ stats: 's', key: 'action' })], { s: { type: 'stats', path: 'stats.json' } });
    await expect(p.run({ x })).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('"observation.state") for key in stats asset "s" but received "action"') });
    writeSafetensors(join(dir, 'wide.safetensors'), { 'action.mean': [0, 0, 0, 0], 'action.std': [1, 1, 1, 1] });
    await using w = await pipelineFor([norm({ stats: 's', key: 'action' })], { s: { type: 'stats', path: 'wide.safetensors' } });
    await expect(w.run({ x })).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('last axis has the 4 entries of s:action for inputs.input but received [2, 3]') });
  });

  it('manifest errors: stats and mean/std together, an asset of the wrong type, an unreadable stats file', async () => {
    const base = { format: 'qnn-node-pipeline', version: 1, contexts: { m: { binary: 'm.bin' } }, inputs: { x: { type: 'tensor', dtype: 'float32', shape: [2, 3] } }, assets: { s: { type: 'stats', path: 'stats.json' }, t: { type: 'tensor', path: 'mean.npy' } } };
    expect(() => validateManifest({ ...base, steps: [norm({ stats: 's', key: 'k', mean: 't', std: 't' })] })).toThrow(QnnNodeError);
    const wrongType = (() => {
      try {
        validateManifest({ ...base, steps: [norm({ mean: 's', std: 't' })] });
      } catch (e) {
        return e as QnnNodeError;
      }
    })();
    expect(wrongType).toMatchObject({ code: 'MANIFEST_INVALID', message: expect.stringContaining('/steps/0/mean: expected the name of a tensor asset ("t")') });
    writeFileSync(join(dir, 'broken.safetensors'), safetensorsBytes({ 'a.mean': [1, 2] }).subarray(0, 40));
    await expect(pipelineFor([norm({ stats: 's', key: 'a' })], { s: { type: 'stats', path: 'broken.safetensors' } })).rejects.toMatchObject({ code: 'ASSET_INVALID', message: expect.stringContaining('/assets/s') });
  });

  it('reads safetensors F64 / F16 / BF16 tensors and skips integer ones; rejects offsets outside the file', () => {
    const f64 = parseSafetensors(safetensorsBytes({ 'a.mean': [0.1, 0.2] }, 'F64'));
    expect([...f64.get('a.mean')!]).toEqual([0.1, 0.2]);
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] }, i: { dtype: 'I64', shape: [1], data_offsets: [6, 14] } });
    const bytes = new Uint8Array(8 + header.length + 14);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(Buffer.from(header), 8);
    new DataView(bytes.buffer).setUint16(8 + header.length, 0x3c00, true); // 1.0 in half
    new DataView(bytes.buffer).setUint16(8 + header.length + 2, 0xc000, true); // -2.0
    new DataView(bytes.buffer).setUint16(8 + header.length + 4, 0x3fc0, true); // 1.5 in bfloat16
    const t = parseSafetensors(bytes);
    expect([...t.get('h')!]).toEqual([1, -2]);
    expect([...t.get('b')!]).toEqual([1.5]);
    expect(t.has('i')).toBe(false);
    const bad = JSON.stringify({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } });
    const short = new Uint8Array(8 + bad.length + 8);
    new DataView(short.buffer).setBigUint64(0, BigInt(bad.length), true);
    short.set(Buffer.from(bad), 8);
    expect(() => parseSafetensors(short)).toThrow(/header entry 0: its offsets and shape do not match the/);
    // Hostile headers are ASSET_INVALID, never an untyped TypeError / RangeError.
    const withHeader = (h: string): Uint8Array => {
      const b = new Uint8Array(8 + h.length + 8);
      new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
      b.set(Buffer.from(h), 8);
      return b;
    };
    for (const h of ['null', '[1]', '"x"', JSON.stringify({ a: { dtype: 'F32', shape: [-2], data_offsets: [8, 0] } }), JSON.stringify({ a: { dtype: 'F32', shape: [1e300, 0], data_offsets: [0, 0] } }), JSON.stringify({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 6] } }), JSON.stringify({ a: null })]) {
      expect(() => parseSafetensors(withHeader(h)), h).toThrow(expect.objectContaining({ code: 'ASSET_INVALID' }));
    }
    expect(() => parseStats(Buffer.from('{ nope'), 'x.json')).toThrow(/not valid JSON/);
    expect(() => parseStats(Buffer.from('[1, 2]'), 'x.json')).toThrow(/object of features/);
  });
});

describe('flow_time', () => {
  it('t = 1 + i*dt accumulated in float32 with dt = -1/num_steps, or the dt given; outputs t and dt', async () => {
    const run = async (params: Record<string, unknown>, n: number) => {
      await using p = await Pipeline.load(
        {
          format: 'qnn-node-pipeline',
          version: 1,
          contexts: { m: { binary: 'm.bin', signature: DUMMY } },
          steps: [
            { op: 'set', value: [], output: 'ts' },
            { op: 'set', value: [], output: 'dts' },
            {
              loop: { count: n, index: 'i' },
              steps: [
                { op: 'flow_time', inputs: { step: 'i' }, outputs: { t: 't', dt: 'dt' }, ...params },
                { op: 'append', inputs: { list: 'ts', value: 't' } },
                { op: 'append', inputs: { list: 'dts', value: 'dt' } },
              ],
            },
          ],
          outputs: { ts: 'ts', dts: 'dts' },
        },
        { backend: new MockBackend(), baseDir: dir },
      );
      return (await p.run()).outputs as { ts: number[]; dts: number[] };
    };
    const ten = await run({ num_steps: 10 }, 10);
    let t = 1;
    expect(ten.ts).toEqual(Array.from({ length: 10 }, (_, i) => (i === 0 ? 1 : (t = Math.fround(t + Math.fround(-0.1))))));
    expect(ten.dts).toEqual(Array<number>(10).fill(Math.fround(-0.1)));
    expect((await run({ num_steps: 4, dtype: 'float16' }, 4)).ts).toEqual([1, 0.75, 0.5, 0.25]);
    expect((await run({ num_steps: 2, dt: -0.25, start: 0.5 }, 2)).ts).toEqual([0.5, 0.25]);
    // An int dtype would truncate t to 1 and 0; a NaN or infinite dt or start is refused.
    await expect(run({ num_steps: 10, dtype: 'int32' }, 1)).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('for dtype but received "int32"') });
    await expect(run({ num_steps: 10, dt: Number.NaN }, 1)).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('for dt but received number NaN') });
    await expect(run({ num_steps: 10, start: Number.POSITIVE_INFINITY }, 1)).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('for start but received number Infinity') });
  });
});
