/**
 * A run whose result cannot be read (a backend answering nonsense while a profile is read)
 * fails with a typed error on both paths — runSync included — and leaves the context
 * usable: the run is ended (pendingRuns back to 0), nothing escapes as a C++ exception.
 */
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';

describeNative('runs whose profile the backend misreports', () => {
  const dir = tempDir();
  const addPath = writeBinary(dir, 'add.bin', ADD);
  const a = new Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  const b = new Tensor('float32', Float32Array.from([6, 5, 4, 3, 2, 1]), [2, 3]);

  it('4 billion sub-events reported: LIMIT_EXCEEDED from run and runSync, then runs go on', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const g = ctx.graph('add');
    await withEnv({ QNN_REFERENCE_PROFILE_SUBEVENT_COUNT: '0xFFFFFFFF' }, async () => {
      expect(() => g.runSync({ a, b }, { profile: 'detailed' })).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
      await expect(g.run({ a, b }, { profile: 'detailed' })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    });
    const { out } = g.runSync({ a, b }, { profile: 'detailed' });
    expect([...out.data]).toEqual([7, 7, 7, 7, 7, 7]);
    expect(g.lastProfile?.events.length).toBeGreaterThan(0);
  });
});
