/** QNN backend refusals that must match the mock's (review items 4 and 9). */
import { afterAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { ADD, describeNative, tempDir, writeBinary } from './helpers.js';
import { withJournal } from './journal.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeNative('QNN backend: refusals shared with the mock', () => {
  it('setPerfProfile(undefined) is refused (only null clears) and the vote stays', async () => {
    await using qnn = await Qnn.load({ backend: 'reference', perfProfile: 'burst' });
    await expect(qnn.setPerfProfile(undefined as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('or null to clear for profile but received undefined') });
    expect(qnn.perfProfile).toBe('burst');
    await qnn.setPerfProfile(null);
    expect(qnn.perfProfile).toBeUndefined();
  });

  it('onProfile without profile is refused on run and runSync, before the backend is called', async () => {
    const bin = writeBinary(dir, 'add.bin', ADD);
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(bin);
    const g = ctx.graph('add');
    const inputs = { a: Tensor.zeros('float32', [2, 3]), b: Tensor.zeros('float32', [2, 3]) };
    await withJournal(dir, async (j) => {
      const err = await g.run(inputs, { onProfile: () => {} }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('with options.onProfile for options.profile but received undefined') });
      expect(() => g.runSync(inputs, { onProfile: () => {} })).toThrow(/with options\.onProfile/);
      expect(j.entries('graphExecute')).toEqual([]);
    });
  });
});
