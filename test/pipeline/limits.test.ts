/**
 * What a manifest can make the runner do is bounded: loops yield to the event loop (abort
 * signals and timers fire), loop bounds are whole numbers within maxLoopIterations, and no
 * step allocates more than maxAllocationBytes.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, type HostOpFn } from '../../lib/index.js';
import { failure, manifest, useManifestFolder } from './echo-pipeline.js';

const folder = useManifestFolder();
const load = folder.load;

describe('loops yield to the event loop', () => {
  it('an AbortSignal timeout stops a long loop of host ops', async () => {
    let calls = 0;
    const tick: HostOpFn = () => {
      calls++;
    };
    await using p = await load(manifest([{ loop: { count: 400_000 }, steps: [{ op: 'tick' }] }]), { hostOps: { tick } });
    const e = await failure(p.run({}, { signal: AbortSignal.timeout(30) }));
    expect(e.code).toBe('ABORTED');
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(400_000);
  });

  it('an AbortSignal timeout stops a loop with an empty body', async () => {
    await using p = await load(manifest([{ loop: { count: 1_000_000 }, steps: [] }]));
    await expect(p.run({}, { signal: AbortSignal.timeout(5) })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('timers set before a run fire while its loop runs', async () => {
    let fired = false;
    let firedAt = -1;
    let calls = 0;
    const tick: HostOpFn = () => {
      calls++;
      if (fired && firedAt < 0) firedAt = calls;
    };
    await using p = await load(manifest([{ loop: { count: 200_000 }, steps: [{ op: 'tick' }] }]), { hostOps: { tick } });
    setTimeout(() => (fired = true), 5);
    await p.run();
    expect(calls).toBe(200_000);
    expect(firedAt).toBeGreaterThan(0);
    expect(firedAt).toBeLessThan(200_000);
  });
});

describe('loop bounds', () => {
  it('rejects a count over maxLoopIterations at load, naming the loop', async () => {
    const e = await failure(load(manifest([{ loop: { count: 2_000_000 }, steps: [] }])));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ path: '/steps/0/loop/count', limit: 'maxLoopIterations', requested: 2_000_000, allowed: 1_000_000 });
    // Beyond 2^53 a count is not a whole number any more: the schema says so.
    const unsafe = await failure(load(manifest([{ loop: { count: 1e308 }, steps: [] }])));
    expect(unsafe.code).toBe('MANIFEST_INVALID');
    expect(unsafe.details?.path).toBe('/steps/0/loop/count');
    expect(e.message).toContain('/steps/0/loop/count');
    const small = await failure(load(manifest([{ loop: { max: 11 }, steps: [] }]), { limits: { maxLoopIterations: 10 } }));
    expect(small.code).toBe('LIMIT_EXCEEDED');
    expect(small.details?.path).toBe('/steps/0/loop/max');
  });

  it('counts every loop of a run against maxLoopIterations (nested loops)', async () => {
    const m = manifest([{ loop: { count: 3 }, steps: [{ loop: { count: 3 }, steps: [] }] }]);
    await using ok = await load(m, { limits: { maxLoopIterations: 12 } });
    await ok.run();
    await using tight = await load(m, { limits: { maxLoopIterations: 11 } });
    const e = await failure(tight.run());
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ path: '/steps/0/steps/0', requested: 12, allowed: 11 });
  });

  it('rejects non-integer and non-finite counts from param overrides before running', async () => {
    let calls = 0;
    const tick: HostOpFn = () => {
      calls++;
    };
    const m = manifest(
      [
        {
          loop: { count: '$n', index: 'i' },
          steps: [{ op: 'tick' }, { break: { value: 'i', gte: 4 } }],
        },
      ],
      { params: { n: 3 } },
    );
    await using p = await load(m, { hostOps: { tick } });
    for (const n of [2.5, Infinity, 1e308, -1, Number.NaN]) {
      const e = await failure(p.run({}, { params: { n } }));
      expect(e.code, String(n)).toBe('ERR_OUT_OF_RANGE');
      expect(e.message).toContain('options.params.n');
      expect(e.message).toContain('/steps/0/loop/count');
    }
    const huge = await failure(p.run({}, { params: { n: 2_000_000 } }));
    expect(huge.code).toBe('LIMIT_EXCEEDED');
    expect(huge.details?.path).toBe('/steps/0/loop/count');
    expect(calls).toBe(0);
    await p.run({}, { params: { n: 2 } });
    expect(calls).toBe(2);
  });

  it('rejects a loop-bound param whose default is not a whole number at load', async () => {
    const e = await failure(load(manifest([{ loop: { max: '$n' }, steps: [] }], { params: { n: 2.5 } })));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.details?.path).toBe('/steps/0/loop/max');
  });

  it('rejects limits that are not numbers >= 0', async () => {
    const e = await failure(load(manifest([]), { limits: { maxLoopIterations: -1 } }));
    expect(e.code).toBe('ERR_INVALID_ARG');
    expect(e.message).toContain('options.limits.maxLoopIterations');
    expect((await failure(load(manifest([]), { limits: { maxSteps: 3 } }))).code).toBe('ERR_INVALID_ARG');
  });
});

describe('allocation bounds', () => {
  it('a fill over maxAllocationBytes is LIMIT_EXCEEDED naming the step and the size', async () => {
    const fill = (dims: number[]) => manifest([{ op: 'fill', output: 'kv', value: 0, dtype: 'uint8', dims }], { outputs: { kv: 'kv' } });
    await using small = await load(fill([1025]), { limits: { maxAllocationBytes: 1024 } });
    const e = await failure(small.run());
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ path: '/steps/0', limit: 'maxAllocationBytes', requested: 1025, allowed: 1024 });
    expect(e.message).toContain('/steps/0');
    expect(e.message).toContain('1025 bytes');
    await using fits = await load(fill([1024]), { limits: { maxAllocationBytes: 1024 } });
    expect(((await fits.run()).outputs.kv as Tensor).size).toBe(1024);
    // The default bound (1 GiB) stops a 4 TiB request before any allocation.
    await using huge = await load(manifest([{ op: 'fill', output: 'kv', value: 0, dtype: 'float32', dims: [2 ** 40] }]));
    const h = await failure(huge.run());
    expect(h.code).toBe('LIMIT_EXCEEDED');
    expect(h.details).toMatchObject({ requested: 2 ** 42, allowed: 2 ** 30 });
  });

  it('counts float32 staging: randn of 300 uint8 needs 1200 bytes of noise', async () => {
    await using p = await load(manifest([{ op: 'randn', output: 'n', dtype: 'uint8', dims: [300] }]), { limits: { maxAllocationBytes: 1024 } });
    await expect(p.run()).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', details: { path: '/steps/0', requested: 1200 } });
  });

  it('bounds tensors that grow in a loop (concat doubling)', async () => {
    const m = manifest(
      [
        { op: 'fill', output: 'x', value: 1, dtype: 'float32', dims: [4] },
        { loop: { count: 20 }, steps: [{ op: 'concat', inputs: ['x', 'x'], output: 'x', axis: 0 }] },
      ],
      { outputs: { x: 'x' } },
    );
    await using p = await load(m, { limits: { maxAllocationBytes: 4096 } });
    const e = await failure(p.run());
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ path: '/steps/1/steps/0', requested: 8192 });
  });

  it('bounds graph outputs an inline signature declares, at load', async () => {
    const big = { name: 'big', inputs: [{ name: 'x', dtype: 'float32', dims: [1] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1024, 1024] }] };
    const m = {
      format: 'qnn-node-pipeline',
      version: 1,
      contexts: { m: { binary: 'm.bin', signature: [big] } },
      steps: [
        { op: 'fill', output: 'x', value: 0, dtype: 'float32', dims: [1] },
        { graph: 'big', inputs: { x: 'x' }, outputs: { y: 'y' } },
      ],
    };
    const e = await failure(load(m, { limits: { maxAllocationBytes: 1024 * 1024 } }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ path: '/steps/1/graph', requested: 4 * 1024 * 1024 });
  });

  it('bounds the image op output size', async () => {
    const m = manifest([{ op: 'image', inputs: { image: 'img' }, output: 'px', width: 100_000, height: 100_000, dtype: 'float32' }], { inputs: { img: { type: 'image' } } });
    await using p = await load(m);
    const e = await failure(p.run({ img: { width: 1, height: 1, channels: 3, data: new Uint8Array(3) } }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ path: '/steps/0', requested: 100_000 * 100_000 * 12 });
  });
});
