import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { DisposedError } from '../../lib/errors.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { ADD, describeNative, runChild, tempDir, withEnv, writeBinary } from './helpers.js';

const f32 = (values: number[]) => new Tensor('float32', Float32Array.from(values), [2, 3]);

describeNative('lifecycle', () => {
  const dir = tempDir();
  const addPath = writeBinary(dir, 'add.bin', ADD);

  it('dispose is idempotent and every later call throws DISPOSED', async () => {
    const qnn = await Qnn.load({ backend: 'reference' });
    const ctx = await qnn.loadContext(addPath);
    const g = ctx.graph('add');
    const p1 = ctx.dispose();
    const p2 = ctx.dispose();
    expect(p1).toBe(p2);
    await p1;
    expect(ctx.disposed).toBe(true);
    await expect(g.run({ a: f32([1, 1, 1, 1, 1, 1]), b: f32([1, 1, 1, 1, 1, 1]) })).rejects.toBeInstanceOf(DisposedError);
    expect(() => g.runSync({ a: f32([1, 1, 1, 1, 1, 1]), b: f32([1, 1, 1, 1, 1, 1]) })).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(() => ctx.graph('add')).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    await qnn.dispose();
    await qnn.dispose();
    await expect(qnn.loadContext(addPath)).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('disposing the backend cascades to its contexts', async () => {
    const qnn = await Qnn.load({ backend: 'reference' });
    const a = await qnn.loadContext(addPath);
    const b = await qnn.loadContext(addPath);
    await qnn.dispose();
    expect(a.disposed).toBe(true);
    expect(b.disposed).toBe(true);
  });

  it('a context keeps its runtime alive after the backend object is dropped', async () => {
    const qnn = await Qnn.load({ backend: 'reference' });
    const ctx = await qnn.loadContext(addPath);
    // No dispose of qnn: the context holds the native runtime on its own.
    const { out } = await ctx.graph('add').run({ a: f32([1, 2, 3, 4, 5, 6]), b: f32([1, 1, 1, 1, 1, 1]) });
    expect([...out.data]).toEqual([2, 3, 4, 5, 6, 7]);
    await ctx.dispose();
    await qnn.dispose();
  });

  it('dispose during an in-flight run waits for it; the run completes correctly', async () => {
    await withEnv({ QNN_REFERENCE_EXECUTE_DELAY_MS: '200' }, async () => {
      const qnn = await Qnn.load({ backend: 'reference' });
      const ctx = await qnn.loadContext(addPath);
      const g = ctx.graph('add');
      const run = g.run({ a: f32([1, 2, 3, 4, 5, 6]), b: f32([1, 1, 1, 1, 1, 1]) });
      const queued = g.run({ a: f32([0, 0, 0, 0, 0, 0]), b: f32([1, 1, 1, 1, 1, 1]) });
      let runDone = false;
      void run.then(() => (runDone = true));
      const t0 = performance.now();
      const disposing = qnn.dispose();
      await expect(g.run({ a: f32([0, 0, 0, 0, 0, 0]), b: f32([0, 0, 0, 0, 0, 0]) })).rejects.toMatchObject({ code: 'DISPOSED' });
      await disposing;
      expect(runDone).toBe(true);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
      expect([...(await run).out.data]).toEqual([2, 3, 4, 5, 6, 7]);
      expect([...(await queued).out.data]).toEqual([1, 1, 1, 1, 1, 1]);
      expect(ctx.disposed).toBe(true);
    });
  });

  it('supports await using', async () => {
    let ctxRef: { disposed: boolean } | undefined;
    {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(addPath);
      ctxRef = ctx;
      expect(ctx.disposed).toBe(false);
    }
    expect(ctxRef!.disposed).toBe(true);
  });

  it('exits cleanly with live handles and a run in flight (child process)', async () => {
    const r = await runChild('exit-live.ts', [addPath, 'exit-mid-run']);
    expect(r.stderr).not.toMatch(/Segmentation|Aborted|core dumped/);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('started');
  });

  it('exits on its own with live handles and logging on (unref\'d log TSFN, child process)', async () => {
    const r = await runChild('exit-live.ts', [addPath, 'natural'], {}, 20_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('loaded');
    expect(r.stdout).toMatch(/log lines: [1-9]/);
  });

  it('works in worker threads, which may be terminated with live handles (child process)', async () => {
    const r = await runChild('workers.ts', [addPath], { QNN_REFERENCE_EXECUTE_DELAY_MS: '100' });
    expect(r.stderr).not.toMatch(/Segmentation|Aborted|core dumped/);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ran0:0 ran1:2 ran2:4 true');
  });

  it('1,000 load/run/dispose cycles without RSS growth (child process)', async () => {
    // Each cycle loads a binary with a 1 MiB weight: leaking a context would add ~1 MiB per
    // cycle (~900 MiB); the bound leaves room for allocator noise only (measured 0–7 MiB).
    const r = await runChild('cycles.ts', ['1000'], {}, 120_000);
    expect(r.code, r.stderr).toBe(0);
    const stats = JSON.parse(r.stdout.trim().split('\n').pop()!) as { cycles: number; warmRss: number; endRss: number; growthMb: number; ms: number };
    console.log(`cycles: ${stats.cycles} in ${stats.ms} ms, RSS after warm-up ${(stats.warmRss / 2 ** 20).toFixed(1)} MB, end ${(stats.endRss / 2 ** 20).toFixed(1)} MB, growth ${stats.growthMb.toFixed(2)} MB`);
    expect(stats.cycles).toBe(1000);
    expect(stats.growthMb).toBeLessThan(24);
  }, 130_000);
});
