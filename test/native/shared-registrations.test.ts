/**
 * How shared tensors are bound per context (native/addon/SharedRegistrations.h): handles in
 * use are never deregistered, one place seen with other dtype/dims goes RAW (correct
 * results, only copied), alternating metas do not churn, the cache is capped, a backend
 * that lacks or refuses memRegister makes shared tensors run RAW, and a slow registration
 * does not stall other threads.
 */
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { withJournal, type Journal } from './journal.js';
import { describeNative, runChild, tempDir, withEnv, writeBinary } from './helpers.js';
import type { ReferenceBinaryDesc } from '../../lib/reference/writer.js';

const A = [1, 2, 3, 4, 5, 6];
const B = [0.5, -2, 10, 0, 1e6, -6];
const SUM = [1.5, 0, 13, 4, 1000005, 0];

/** add ([2,3]), add6 ([6]: the same bytes, other dims) and flat ([2,3] -> [6]). */
const SHAPES: ReferenceBinaryDesc = {
  description: 'shapes',
  graphs: [
    {
      name: 'add',
      inputs: [
        { name: 'a', dtype: 'float32', dims: [2, 3] },
        { name: 'b', dtype: 'float32', dims: [2, 3] },
      ],
      outputs: [{ name: 'out', dtype: 'float32', dims: [2, 3] }],
      nodes: [{ op: 'ElementWiseAdd', inputs: ['a', 'b'], outputs: ['out'] }],
    },
    {
      name: 'add6',
      inputs: [
        { name: 'a', dtype: 'float32', dims: [6] },
        { name: 'b', dtype: 'float32', dims: [6] },
      ],
      outputs: [{ name: 'out', dtype: 'float32', dims: [6] }],
      nodes: [{ op: 'ElementWiseAdd', inputs: ['a', 'b'], outputs: ['out'] }],
    },
    {
      name: 'flat',
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [6] }],
      nodes: [{ op: 'Reshape', inputs: ['x'], outputs: ['y'] }],
    },
  ],
};

const registered = (j: Journal) => j.entries('memRegister').filter((e) => e.status === 0).length;
const deregistered = (j: Journal) => j.entries('memDeRegister').reduce((n, e) => n + Number(e.count) - Number(e.invalid) - Number(e.busy ?? 0), 0);
const busyDeregistrations = (j: Journal) => j.entries('memDeRegister').reduce((n, e) => n + Number(e.busy ?? 0), 0);

function plain(dims: number[], values: number[]): Tensor {
  return new Tensor('float32', Float32Array.from(values), dims);
}

describeNative('shared tensor registrations', () => {
  const dir = tempDir();
  const shapes = writeBinary(dir, 'shapes.bin', SHAPES);

  it('keeps the registrations consistent when a re-registration fails (no use-after-free of a collected context)', async () => {
    // A stale cache pointer is read silently without ASan: npm run test:sanitize catches it.
    const r = await runChild('shared-failed-switch.ts', [shapes]);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('second run: memRegister\nfreed: true\nok\n');
    expect(r.code).toBe(0);
  });

  it('binds an output viewing an input\'s place with other dims RAW instead of deregistering the input', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(shapes);
      const x = qnn.allocTensor('float32', [2, 3]);
      (x.data as Float32Array).set(A);
      const y = new Tensor('float32', x.data, [6]); // the same bytes, in place
      const r = await ctx.graph('flat').run({ x }, { outputs: { y } });
      expect([...r.y.data]).toEqual(A);
      expect(j.entries('graphExecute')[0]).toMatchObject({ memHandleTensors: 1, rawBytesOut: 24 });
      expect(deregistered(j)).toBe(0);
      expect(ctx.sharedMemory).toMatchObject({ handles: 1, rawBindings: 1, rawReason: null });
      expect(ctx.sharedMemory.lastRawReason).toMatch(/in use by a run in flight/);
    });
  });

  it('never deregisters a handle a concurrent run of another graph uses', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(shapes);
      const kv = qnn.allocTensor('float32', [2, 3]);
      (kv.data as Float32Array).set(A);
      const [r1, r2] = await withEnv({ QNN_REFERENCE_EXECUTE_DELAY_MS: '300' }, () =>
        Promise.all([
          ctx.graph('add').run({ a: kv, b: plain([2, 3], B) }),
          new Promise((r) => setTimeout(r, 100)).then(() => ctx.graph('add6').run({ a: new Tensor('float32', kv.data, [6]), b: plain([6], B) })),
        ]),
      );
      expect([...r1.out.data]).toEqual(SUM);
      expect([...r2.out.data]).toEqual(SUM);
      expect(busyDeregistrations(j)).toBe(0);
      expect(deregistered(j)).toBe(0);
      expect(ctx.sharedMemory.rawBindings).toBe(1);
    });
  });

  it('does not re-register per run when two graphs alternate on one buffer with other dims', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(shapes);
      const kv = qnn.allocTensor('float32', [2, 3]);
      (kv.data as Float32Array).set(A);
      const flat = new Tensor('float32', kv.data, [6]);
      for (let i = 0; i < 6; ++i) {
        expect([...(await ctx.graph('add').run({ a: kv, b: plain([2, 3], B) })).out.data]).toEqual(SUM);
        expect([...(await ctx.graph('add6').run({ a: flat, b: plain([6], B) })).out.data]).toEqual(SUM);
      }
      // [2,3], then [6] once (a reset pool may reuse a place), then the place is contested.
      expect(registered(j)).toBe(2);
      expect(deregistered(j)).toBe(1);
      expect(ctx.sharedMemory).toMatchObject({ handles: 1, rawBindings: 5 });
      expect(ctx.sharedMemory.lastRawReason).toMatch(/alternates/);
    });
  });

  it('caps a context\'s registrations: views at moving offsets evict idle places', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(shapes);
      const steps = 300;
      using pool = qnn.createTensorPool({ bytes: (steps + 1) * 24, alignment: 4 });
      const all = pool.alloc('float32', [(steps + 1) * 6]);
      const b = plain([2, 3], B);
      for (let i = 0; i < steps; ++i) {
        const a = new Tensor('float32', (all.data as Float32Array).subarray(i * 6, i * 6 + 6), [2, 3]);
        (a.data as Float32Array).set(A);
        expect([...(await ctx.graph('add').run({ a, b })).out.data]).toEqual(SUM);
      }
      expect(registered(j) - deregistered(j)).toBe(256);
      expect(ctx.sharedMemory).toMatchObject({ handles: 256, evictions: steps - 256, rawBindings: 0 });
    });
  });

  for (const [code, name] of [
    ['1000', 'QNN_MEM_ERROR_NOT_SUPPORTED'],
    ['8005', 'QNN_MEM_ERROR_UNSUPPORTED_MEMTYPE'],
  ] as const) {
    it(`runs shared tensors RAW in a context whose backend answers ${name}`, async () => {
      await withJournal(dir, async (j) => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        await using ctx = await qnn.loadContext(shapes);
        const a = qnn.allocTensor('float32', [2, 3]);
        (a.data as Float32Array).set(A);
        await withEnv({ QNN_REFERENCE_FAIL: `memRegister=${code}` }, async () => {
          for (let i = 0; i < 3; ++i) expect([...(await ctx.graph('add').run({ a, b: plain([2, 3], B) })).out.data]).toEqual(SUM);
        });
        // Remembered per context: asked once (twice with the ION retry), then RAW.
        expect(j.entries('memRegister')).toHaveLength(code === '8005' ? 2 : 1);
        expect(j.entries('graphExecute').every((e) => e.rawBytesIn === 48 && e.memHandleTensors === 0)).toBe(true);
        expect(ctx.sharedMemory).toMatchObject({ handles: 0, rawBindings: 3 });
        expect(ctx.sharedMemory.rawReason).toContain(name);
        expect(qnn.info.sharedMemory.descriptor).toBe('raw');
      });
    });
  }

  it('registers whole blocks as ION when the backend refuses the shared-buffer descriptor, and reports it', async () => {
    await withEnv({ QNN_REFERENCE_MEM_TYPES: 'ion' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(shapes);
      expect(qnn.info.sharedMemory.descriptor).toBe('shared-buffer');
      const a = qnn.allocTensor('float32', [2, 3]);
      (a.data as Float32Array).set(A);
      using pool = qnn.createTensorPool({ bytes: 256 });
      const p0 = pool.alloc('float32', [2, 3]);
      const p1 = pool.alloc('float32', [2, 3]);
      p1.data.set(B);
      expect([...(await ctx.graph('add').run({ a, b: p1 }, { outputs: { out: p0 } })).out.data]).toEqual(SUM);
      expect(qnn.info.sharedMemory.descriptor).toBe('ion');
      expect(ctx.sharedMemory).toMatchObject({ handles: 2, rawBindings: 1, rawReason: null });
      expect(ctx.sharedMemory.lastRawReason).toMatch(/ION registers whole blocks only.*offset 64/);
    });
  });

  it('runs a block of one instance RAW in an instance whose backend lacks memRegister', async () => {
    await using a = await Qnn.load({ backend: 'reference' });
    const kv = a.allocTensor('float32', [2, 3]);
    (kv.data as Float32Array).set(A);
    await withEnv({ QNN_REFERENCE_NULL_SLOTS: 'memRegister,memDeRegister' }, async () => {
      await using b = await Qnn.load({ backend: 'reference' });
      await using ctx = await b.loadContext(shapes);
      for (let i = 0; i < 2; ++i) expect([...(await ctx.graph('add').run({ a: kv, b: plain([2, 3], B) })).out.data]).toEqual(SUM);
      expect(ctx.sharedMemory).toMatchObject({ handles: 0, rawBindings: 2 });
      expect(ctx.sharedMemory.rawReason).toMatch(/lacks memRegister/);
    });
  });

  it('does not stall other threads\' runs while a registration is in progress', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(shapes);
    const slow = qnn.allocTensor('float32', [2, 3]);
    const other = qnn.allocTensor('float32', [2, 3]);
    await withEnv({ QNN_REFERENCE_MEM_DELAY_MS: '1500' }, async () => {
      const first = ctx.graph('add').run({ a: slow, b: plain([2, 3], B) });
      await new Promise((r) => setTimeout(r, 200)); // the worker is inside memRegister now
      // The main thread looks the other block up (SharedTable::Find) to start a run:
      // before, it waited for the registration's mutex.
      const t0 = performance.now();
      const second = ctx.graph('add6').run({ a: new Tensor('float32', other.data, [6]), b: plain([6], B) });
      const startMs = performance.now() - t0;
      await Promise.all([first, second]);
      expect(startMs).toBeLessThan(700);
    });
  });
});
