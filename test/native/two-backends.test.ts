// Issue 13: two backends side by side in one process — two Qnn instances with DIFFERENT
// backend libraries (the reference backend and a copy of it under another name, as a
// manifest may run one stage on QnnCpu and another on QnnHtp), contexts of both running
// interleaved, each disposed on its own; logs, failures and shared tensors stay with their
// backend.
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { referenceBackendPaths } from '../../lib/native/binding.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { ADD, SHARED, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';

const f32 = (dims: number[], values: number[]) => new Tensor('float32', Float32Array.from(values), dims);

describeNative('two backends side by side (issue 13)', () => {
  const dir = tempDir();
  const ref = referenceBackendPaths();
  const cpuCopy = path.join(dir, 'libQnnReferenceCpu.so');
  copyFileSync(ref.backend, cpuCopy);
  const add = writeBinary(dir, 'add.bin', ADD);
  const shared = writeBinary(dir, 'shared.bin', SHARED);

  it('runs contexts of both interleaved and disposes them independently', async () => {
    const a = await Qnn.load({ backend: 'reference' });
    const b = await Qnn.load({ backend: cpuCopy, system: ref.system });
    expect(a.info.backendPath).not.toBe(b.info.backendPath);
    expect(b.describe()).toMatchObject({ kind: 'qnn', library: cpuCopy });
    expect(a.describe().library).toBe(a.info.backendPath);
    const ctxA = await a.loadContext(add);
    const ctxB = await b.loadContext(add);
    const ctxB2 = await b.loadContext(shared);
    const inputs = (k: number) => ({ a: f32([2, 3], [k, k, k, k, k, k]), b: f32([2, 3], [1, 2, 3, 4, 5, 6]) });
    const runs = [];
    for (let k = 0; k < 20; k++) {
      runs.push(ctxA.graph('add').run(inputs(k)).then((o) => ['a', k, Array.from(o.out.data as Float32Array)] as const));
      runs.push(ctxB.graph('add').run(inputs(k)).then((o) => ['b', k, Array.from(o.out.data as Float32Array)] as const));
      runs.push(ctxB2.graph('decode').run({ x: f32([1, 4], [k, 0, 0, 0]) }).then(() => ['b2', k, []] as const));
    }
    for (const [, k, out] of await Promise.all(runs)) if (out.length) expect(out).toEqual([1, 2, 3, 4, 5, 6].map((v) => v + k));
    // A goes first; B's contexts keep running.
    await a.dispose();
    expect(() => ctxA.graph('add')).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    const after = await ctxB.graph('add').run(inputs(7));
    expect(Array.from(after.out.data as Float32Array)).toEqual([8, 9, 10, 11, 12, 13]);
    expect(ctxB.graph('add').runSync(inputs(2)).out.data[0]).toBe(3);
    await b.dispose();
    expect(() => ctxB2.graph('decode')).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });

  it('keeps each backend\'s log lines and failures with that backend', async () => {
    const logsA: string[] = [];
    const logsB: string[] = [];
    await withEnv({ QNN_REFERENCE_KNOBS_FOR: 'ReferenceCpu', QNN_REFERENCE_FAIL: 'graphExecute=6000' }, async () => {
      await using a = await Qnn.load({ backend: 'reference', onLog: (_l, m) => logsA.push(m) });
      await using b = await Qnn.load({ backend: cpuCopy, system: ref.system, onLog: (_l, m) => logsB.push(m) });
      await using ctxA = await a.loadContext(add);
      await using ctxB = await b.loadContext(add);
      const inputs = { a: f32([2, 3], [1, 1, 1, 1, 1, 1]), b: f32([2, 3], [1, 2, 3, 4, 5, 6]) };
      const [okA, failB] = await Promise.allSettled([ctxA.graph('add').run(inputs), ctxB.graph('add').run(inputs)]);
      expect(okA.status).toBe('fulfilled');
      expect(failB).toMatchObject({ status: 'rejected', reason: { code: 'QNN_ERROR', apiFunction: 'graphExecute' } });
      await new Promise((r) => setTimeout(r, 50));  // log lines arrive through the event loop
      expect(logsB.some((m) => m.includes('failure injected by QNN_REFERENCE_FAIL'))).toBe(true);
      expect(logsA.some((m) => m.includes('failure injected'))).toBe(false);
    });
  });

  it('a shared tensor allocated by one backend runs on a context of the other (registered per context)', async () => {
    await using a = await Qnn.load({ backend: 'reference' });
    await using b = await Qnn.load({ backend: cpuCopy, system: ref.system });
    expect(a.sharedMemory).toMatchObject({ available: true });
    expect(b.sharedMemory).toMatchObject({ available: true });
    await using ctxB = await b.loadContext(add);
    const x = a.allocTensor('float32', [2, 3]);
    (x.data as Float32Array).set([1, 2, 3, 4, 5, 6]);
    const out = await ctxB.graph('add').run({ a: x, b: x });
    expect(Array.from(out.out.data as Float32Array)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(a.freeTensor(x)).toBe(true);
  });
});
