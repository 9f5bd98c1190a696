/**
 * Aborting runs of synchronous mock graph functions with a timer (AbortSignal.timeout):
 * the mock yields to the event loop once per call, so the timer fires between calls; one
 * synchronous call is not interrupted, but its result is dropped once the abort is due.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor, type GraphSignature } from '../../lib/index.js';
import { tempDir } from '../pipeline/fixtures.js';

const STEP: GraphSignature = { name: 'step', inputs: [{ name: 'x', dtype: 'float32', dims: [1] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1] }] };

/** Blocks the thread like a heavy synchronous computation. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* spin */
  }
}

function backendWith(msPerCall: number): { backend: MockBackend; calls: () => number } {
  let calls = 0;
  const backend = new MockBackend({
    graphs: {
      step: (inputs, outputs) => {
        calls++;
        busy(msPerCall);
        (outputs.y.data as Float32Array)[0] = (inputs.x.data as Float32Array)[0] + 1;
      },
    },
  });
  return { backend, calls: () => calls };
}

describe('timer-driven abort of synchronous mock graphs', () => {
  it('fires between calls of a loop of awaited runs', async () => {
    const { backend, calls } = backendWith(5);
    const ctx = await backend.loadContext('m.bin', { graphs: [STEP] });
    const graph = ctx.graph('step');
    const signal = AbortSignal.timeout(30);
    const x = new Tensor('float32', new Float32Array([0]), [1]);
    const t0 = performance.now();
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 400; i++) await graph.run({ x }, { signal });
    };
    await expect(loop()).rejects.toMatchObject({ code: 'ABORTED' });
    // 400 calls would take 2 s; the abort lands within a few calls of 30 ms.
    expect(calls()).toBeLessThan(100);
    expect(performance.now() - t0).toBeLessThan(1000);
    await backend.dispose();
  });

  it('one long synchronous call is not interrupted, but its result is dropped (ABORTED)', async () => {
    const { backend, calls } = backendWith(150);
    const ctx = await backend.loadContext('m.bin', { graphs: [STEP] });
    const t0 = performance.now();
    const run = ctx.graph('step').run({ x: new Tensor('float32', new Float32Array([0]), [1]) }, { signal: AbortSignal.timeout(20) });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls()).toBe(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(149); // the limit: the call ran to its end
    await backend.dispose();
  });

  it('runs without a signal are unchanged (same outputs)', async () => {
    const { backend } = backendWith(0);
    const ctx = await backend.loadContext('m.bin', { graphs: [STEP] });
    const out = await ctx.graph('step').run({ x: new Tensor('float32', new Float32Array([41]), [1]) });
    expect((out.y.data as Float32Array)[0]).toBe(42);
    await backend.dispose();
  });

  describe('in a pipeline', () => {
    let dir: string;
    let cleanup: () => void;
    beforeEach(() => {
      ({ dir, cleanup } = tempDir());
      writeFileSync(join(dir, 'm.bin'), 'placeholder');
    });
    afterEach(() => cleanup());

    it('AbortSignal.timeout stops a loop of synchronous graph calls', async () => {
      const { backend, calls } = backendWith(5);
      const manifest = {
        format: 'qnn-node-pipeline',
        version: 1,
        contexts: { m: { binary: 'm.bin', signature: [STEP] } },
        steps: [{ op: 'fill', output: 'x', dtype: 'float32', dims: [1] }, { loop: { count: 400 }, steps: [{ graph: 'step', inputs: { x: 'x' }, outputs: { y: 'x' } }] }],
        outputs: { x: 'x' },
      };
      // maxBlockingMs very high: the runner's own yields are out of the picture; the mock's yield is what lets the timer fire.
      await using p = await Pipeline.load(manifest, { backend, baseDir: dir, limits: { maxBlockingMs: 1e6 } });
      await expect(p.run({}, { signal: AbortSignal.timeout(30) })).rejects.toMatchObject({ code: 'ABORTED' });
      expect(calls()).toBeLessThan(100);
    });
  });
});
