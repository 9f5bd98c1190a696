import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { QnnStatusError } from '../../lib/errors.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { tensorSharedInfo } from '../../lib/tensor/shared.js';
import { withJournal, type Journal } from './journal.js';
import { ADD, describeNative, runChild, tempDir, withEnv, writeBinary } from './helpers.js';

const A = [1, 2, 3, 4, 5, 6];
const B = [0.5, -2, 10, 0, 1e6, -6];
const SUM = [1.5, 0, 13, 4, 1000005, 0];

function fill(t: Tensor, values: number[]): Tensor {
  (t.data as Float32Array).set(values);
  return t;
}

const executes = (j: Journal) => j.entries('graphExecute');
const registrations = (j: Journal) => j.entries('memRegister').filter((e) => e.status === 0);

describeNative('shared tensors (rpcmem + memRegister)', () => {
  const dir = tempDir();
  const addPath = writeBinary(dir, 'add.bin', ADD);

  it('reports the reference rpcmem stand-in in info.sharedMemory', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    expect(qnn.info.sharedMemory).toMatchObject({ available: true, reason: null, descriptor: 'shared-buffer' });
    expect(qnn.info.sharedMemory.library).toMatch(/rpcmem[\\/]libcdsprpc\.(so|dll)$/);
    expect(qnn.sharedMemory).toBe(qnn.info.sharedMemory);
  });

  it('runs with shared inputs and outputs without copying a raw byte', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(addPath);
      const a = fill(qnn.allocTensor('float32', [2, 3]), A);
      const b = fill(qnn.allocTensor('float32', [2, 3]), B);
      const out = qnn.allocTensor('float32', [2, 3]);
      for (const t of [a, b, out]) expect(tensorSharedInfo(t)).toMatchObject({ kind: 'rpcmem', offset: 0, blockBytes: 24, pooled: false });
      const g = ctx.graph('add');
      const r1 = await g.run({ a, b }, { outputs: { out } });
      expect(r1.out).toBe(out);
      expect([...out.data]).toEqual(SUM);
      (a.data as Float32Array)[0] = 100; // written in place: the next run sees it without a copy
      g.runSync({ a, b }, { outputs: { out } });
      expect((out.data as Float32Array)[0]).toBe(100.5);
      const runs = executes(j);
      expect(runs).toHaveLength(2);
      for (const e of runs) expect(e).toMatchObject({ graph: 'add', rawBytesIn: 0, rawBytesOut: 0, memHandleTensors: 3 });
      // Registered once each (lazily, at the first run), not per run.
      expect(registrations(j)).toHaveLength(3);
    });
  });

  it('mixes raw and shared tensors in one run, and a tensor may go raw afterwards', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(addPath);
      const g = ctx.graph('add');
      const a = fill(qnn.allocTensor('float32', [2, 3]), A);
      const b = new Tensor('float32', Float32Array.from(B), [2, 3]);
      const { out } = await g.run({ a, b });
      expect([...out.data]).toEqual(SUM);
      const plainA = new Tensor('float32', Float32Array.from(A), [2, 3]);
      const { out: out2 } = await g.run({ a: plainA, b });
      expect([...out2.data]).toEqual(SUM);
      expect(executes(j).map((e) => [e.rawBytesIn, e.rawBytesOut, e.memHandleTensors])).toEqual([
        [24, 24, 1],
        [48, 24, 0],
      ]);
    });
  });

  it('registers a tensor used in two contexts once per context', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using c1 = await qnn.loadContext(addPath);
      await using c2 = await qnn.loadContext(addPath);
      const kv = fill(qnn.allocTensor('float32', [2, 3]), A);
      const b = new Tensor('float32', Float32Array.from(B), [2, 3]);
      for (let i = 0; i < 3; ++i) {
        expect([...(await c1.graph('add').run({ a: kv, b })).out.data]).toEqual(SUM);
        expect([...(await c2.graph('add').run({ a: kv, b })).out.data]).toEqual(SUM);
      }
      expect(registrations(j)).toHaveLength(2);
      expect(executes(j).every((e) => e.memHandleTensors === 1)).toBe(true);
    });
  });

  it('carves a pool into aligned tensors registered per offset, reusable after reset', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(addPath);
      using pool = qnn.createTensorPool({ bytes: 4096, alignment: 256 });
      expect(pool).toMatchObject({ bytes: 4096, used: 0, shared: true });
      const a = fill(qnn.allocTensor('float32', [2, 3], { pool }), A);
      const b = fill(pool.alloc('float32', [2, 3]), B);
      const out = pool.alloc('float32', [2, 3]);
      expect([a, b, out].map((t) => tensorSharedInfo(t)?.offset)).toEqual([0, 256, 512]);
      expect(new Set([a, b, out].map((t) => tensorSharedInfo(t)?.fd)).size).toBe(1);
      expect(pool.used).toBe(512 + 24);
      await ctx.graph('add').run({ a, b }, { outputs: { out } });
      expect([...out.data]).toEqual(SUM);
      expect(executes(j)[0]).toMatchObject({ rawBytesIn: 0, rawBytesOut: 0, memHandleTensors: 3 });
      const regs = registrations(j).flatMap((e) => e.descriptors as Record<string, unknown>[]);
      expect(regs.map((d) => d.offset)).toEqual([0, 256, 512]);
      expect(regs.every((d) => d.size === 4096 && d.memType === 'custom' && d.htpType === 1 && d.shapeConfig === false)).toBe(true);
      // reset: the same offsets again (zero-filled); same shapes reuse the handles.
      pool.reset();
      expect(pool.used).toBe(0);
      const a2 = fill(pool.alloc('float32', [2, 3]), B);
      const b2 = fill(pool.alloc('float32', [2, 3]), A);
      const out2 = pool.alloc('float32', [2, 3]);
      await ctx.graph('add').run({ a: a2, b: b2 }, { outputs: { out: out2 } });
      expect([...out2.data]).toEqual(SUM);
      expect(registrations(j)).toHaveLength(3);
      expect(() => pool.alloc('float32', [1024])).toThrow(expect.objectContaining({ code: 'POOL_EXHAUSTED' }));
    });
  });

  it('freeTensor / pool.dispose / context dispose deregister their handles', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const ctx = await qnn.loadContext(addPath);
      const g = ctx.graph('add');
      const a = fill(qnn.allocTensor('float32', [2, 3]), A);
      const b = fill(qnn.allocTensor('float32', [2, 3]), B);
      await g.run({ a, b });
      const deregistered = () => j.entries('memDeRegister').reduce((n, e) => n + Number(e.count) - Number(e.invalid), 0);
      expect(qnn.freeTensor(a)).toBe(true);
      expect(a.data.length).toBe(0); // views are detached
      expect(qnn.freeTensor(a)).toBe(false);
      expect(deregistered()).toBe(1);
      await expect(g.run({ a, b })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
      const pool = qnn.createTensorPool({ bytes: 1024 });
      const p = fill(pool.alloc('float32', [2, 3]), A);
      await g.run({ a: p, b });
      pool.dispose();
      pool.dispose();
      expect(p.data.length).toBe(0);
      expect(deregistered()).toBe(2);
      await ctx.dispose(); // b's handle goes before contextFree
      expect(deregistered()).toBe(3);
      expect(j.entries('memDeRegister').every((e) => e.invalid === 0)).toBe(true);
      // b outlives its context's registration; freeing it now deregisters nothing more.
      expect(qnn.freeTensor(b)).toBe(true);
      expect(deregistered()).toBe(3);
      // Every block went back to rpcmem (the load's 4 KiB probe included).
      await new Promise((r) => setImmediate(r));
      expect(j.entries('rpcmem_free').length).toBe(j.entries('rpcmem_alloc').length);
    });
  });

  it('keeps the memory of a tensor freed while a run uses it until the run settles', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(addPath);
      const a = fill(qnn.allocTensor('float32', [2, 3]), A);
      const b = fill(qnn.allocTensor('float32', [2, 3]), B);
      const out = qnn.allocTensor('float32', [2, 3]);
      const fd = tensorSharedInfo(out)!.fd;
      const run = withEnv({ QNN_REFERENCE_EXECUTE_DELAY_MS: '200' }, () => {
        const p = ctx.graph('add').run({ a, b }, { outputs: { out } });
        expect(qnn.freeTensor(out)).toBe(true);
        expect(qnn.freeTensor(a)).toBe(true);
        // Not released yet: the run holds both blocks.
        expect(j.entries('rpcmem_free').filter((e) => e.fd === fd)).toHaveLength(0);
        return p;
      });
      await expect(run).rejects.toMatchObject({ code: 'BUFFER_DETACHED' });
      expect(j.entries('rpcmem_free').filter((e) => e.fd === fd)).toHaveLength(1);
      expect(executes(j)[0]).toMatchObject({ memHandleTensors: 3 });
      // The runtime is still sound.
      const c = fill(qnn.allocTensor('float32', [2, 3]), A);
      expect([...(await ctx.graph('add').run({ a: c, b })).out.data]).toEqual(SUM);
    });
  });

  it('reports a memRegister failure as a QnnStatusError of memRegister', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const a = qnn.allocTensor('float32', [2, 3]);
    const b = new Tensor('float32', new Float32Array(6), [2, 3]);
    const err = await withEnv({ QNN_REFERENCE_FAIL: 'memRegister=8003' }, () => ctx.graph('add').run({ a, b }).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(QnnStatusError);
    expect(err).toMatchObject({ code: 'QNN_ERROR', apiFunction: 'memRegister', statusName: 'QNN_MEM_ERROR_MAPPING' });
    expect((err as Error).message).toContain('"a"');
    // Nothing was cached: the next run registers and succeeds.
    expect((await ctx.graph('add').run({ a, b })).out.dims).toEqual([2, 3]);
  });

  it('falls back to plain tensors when rpcmem cannot allocate (no DSP)', async () => {
    await withEnv({ QNN_REFERENCE_RPCMEM_FAIL_ALLOC: '1' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      expect(qnn.info.sharedMemory).toEqual({ available: false, reason: 'rpcmem_alloc failed (no DSP access)', library: null, descriptor: null });
      await using ctx = await qnn.loadContext(addPath);
      const a = fill(qnn.allocTensor('float32', [2, 3]), A);
      const b = fill(qnn.allocTensor('float32', [2, 3]), B);
      expect(tensorSharedInfo(a)).toBeNull();
      expect([...(await ctx.graph('add').run({ a, b })).out.data]).toEqual(SUM);
      expect(qnn.freeTensor(a)).toBe(false);
      const pool = qnn.createTensorPool({ bytes: 256 });
      expect(pool.shared).toBe(false);
      expect(tensorSharedInfo(pool.alloc('float32', [2, 3]))).toBeNull();
      expect(() => qnn.allocTensor('float32', [2], { fallback: 'error' })).toThrow(
        expect.objectContaining({ code: 'SHARED_MEMORY_UNAVAILABLE', details: { reason: 'rpcmem_alloc failed (no DSP access)' } }),
      );
    });
  });

  it("gives plain tensors when rpcmem_alloc fails after load under the default fallback 'plain'", async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    await withEnv({ QNN_REFERENCE_RPCMEM_FAIL_ALLOC: '1' }, async () => {
      const a = fill(qnn.allocTensor('float32', [2, 3]), A);
      expect(tensorSharedInfo(a)).toBeNull();
      expect([...(await ctx.graph('add').run({ a, b: fill(qnn.allocTensor('float32', [2, 3]), B) })).out.data]).toEqual(SUM);
      expect(qnn.createTensorPool({ bytes: 256 }).shared).toBe(false);
      expect(() => qnn.allocTensor('float32', [2], { fallback: 'error' })).toThrow(expect.objectContaining({ code: 'SHARED_ALLOC_FAILED' }));
    });
  });

  it('falls back with the reason when the rpcmem library is missing', async () => {
    const missing = `${dir}/nowhere/libcdsprpc.so`;
    await using qnn = await Qnn.load({ backend: 'reference', rpcmemLibrary: missing });
    expect(qnn.info.sharedMemory.available).toBe(false);
    expect(qnn.info.sharedMemory.reason).toContain(missing);
    expect(tensorSharedInfo(qnn.allocTensor('int8', [4]))).toBeNull();
  });

  it('falls back when the backend core table has no memRegister', async () => {
    await withEnv({ QNN_REFERENCE_NULL_SLOTS: 'memRegister,memDeRegister' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      expect(qnn.info.sharedMemory).toMatchObject({ available: false, library: null });
      expect(qnn.info.sharedMemory.reason).toBe(`the backend lacks memRegister (core API ${qnn.info.coreApiVersion})`);
      await using ctx = await qnn.loadContext(addPath);
      const a = fill(qnn.allocTensor('float32', [2, 3]), A);
      expect(tensorSharedInfo(a)).toBeNull();
      expect([...(await ctx.graph('add').run({ a, b: fill(qnn.allocTensor('float32', [2, 3]), B) })).out.data]).toEqual(SUM);
    });
  });

  it('refuses shared tensors where external ArrayBuffers are forbidden (Electron, status 22)', async () => {
    await withEnv({ QNN_NODE_TEST_NO_EXTERNAL_BUFFERS: '1' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      expect(qnn.info.sharedMemory.available).toBe(false);
      expect(qnn.info.sharedMemory.reason).toContain('status 22');
      expect(tensorSharedInfo(qnn.allocTensor('float32', [2]))).toBeNull();
      expect(() => qnn.allocTensor('float32', [2], { fallback: 'error' })).toThrow(expect.objectContaining({ code: 'EXTERNAL_BUFFERS_FORBIDDEN' }));
      expect(() => qnn.createTensorPool({ bytes: 64, fallback: 'error' })).toThrow(expect.objectContaining({ code: 'EXTERNAL_BUFFERS_FORBIDDEN' }));
    });
  });

  it('rejects bad arguments with typed errors', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    const other = await Qnn.load({ backend: 'reference' });
    const foreign = other.createTensorPool({ bytes: 64 });
    expect(() => qnn.allocTensor('nope' as never, [1])).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_DTYPE' }));
    expect(() => qnn.allocTensor('float32', [-1])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => qnn.allocTensor('float32', 'x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => qnn.allocTensor('float32', [1], 5 as never)).toThrow(/Expected an options object for options but received number 5/);
    expect(() => qnn.allocTensor('float32', [1], { fallback: 'maybe' as never })).toThrow(/options\.fallback/);
    expect(() => qnn.allocTensor('float32', [1], { pool: {} as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => qnn.createTensorPool(undefined as never)).toThrow(/Expected an options object \{ bytes \}/);
    expect(() => qnn.createTensorPool({ bytes: 0 })).toThrow(/Expected a positive integer byte count for options\.bytes but received number 0/);
    expect(() => qnn.createTensorPool({ bytes: 64, alignment: 3 })).toThrow(/options\.alignment but received number 3/);
    expect(() => qnn.freeTensor(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    const pool = qnn.createTensorPool({ bytes: 64 });
    expect(() => qnn.freeTensor(pool.alloc('uint8', [4]))).toThrow(/pool\.dispose/);
    pool.dispose();
    expect(() => pool.alloc('uint8', [4])).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    await other.dispose();
    expect(() => other.allocTensor('float32', [1])).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(() => other.createTensorPool({ bytes: 64 })).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    foreign.dispose();
  });

  it('releases collected shared tensors and survives exit with live registrations (child processes)', async () => {
    const gc = await runChild('shared-lifetime.ts', [addPath, 'gc']);
    expect(gc.stderr).toBe('');
    expect(gc.code).toBe(0);
    expect(gc.stdout).toMatch(/^released 50 of 50$/m);
    for (const mode of ['exit-mid-run', 'natural']) {
      const journal = path.join(dir, `exit-${mode}.jsonl`);
      const r = await runChild('shared-lifetime.ts', [addPath, mode], { QNN_REFERENCE_JOURNAL: journal });
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('started');
      const calls = readFileSync(journal, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { call: string }).call);
      const count = (call: string) => calls.filter((c) => c === call).length;
      if (mode === 'natural') {
        // The environment's teardown: contexts deregister their handles, then the collected
        // external buffers return every block to rpcmem (docs/shared-memory.md).
        expect(count('memDeRegister')).toBe(count('memRegister'));
        expect(count('rpcmem_free')).toBe(count('rpcmem_alloc'));
        expect(calls.lastIndexOf('memDeRegister')).toBeLessThan(calls.lastIndexOf('rpcmem_free'));
      } else {
        // process.exit() skips it: the live blocks are left to the OS.
        expect(count('rpcmem_free')).toBeLessThan(count('rpcmem_alloc'));
      }
    }
  });

  it('lets worker threads allocate and run their own shared tensors', async () => {
    const r = await runChild('shared-workers.ts', [addPath], { QNN_REFERENCE_EXECUTE_DELAY_MS: '50' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('0:ok:3 1:ok:3 2:ok:3 main:ok');
  });
});
