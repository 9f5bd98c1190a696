/**
 * A spill-fill group member passes its first context's QNN handle to
 * contextCreateFromBinary: that context is pinned (dispose defers, the GC cannot free it)
 * until the member's load settles, and it must belong to the same runtime.
 */
import { expect, it } from 'vitest';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import type { NativeRuntime } from '../../lib/native/AddonTypes.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';
import { withJournal } from './journal.js';

/** A config plan registering in a spill-fill group of 100 bytes (first: null opens it). */
const group = (first: unknown): never => ({ group: first === null ? { maxSpillFill: 100 } : { first, maxSpillFill: 100 } }) as never;

describeNative('spill-fill groups: the first context is pinned while a member loads', () => {
  const dir = tempDir();
  const partA = writeBinary(dir, 'a.bin', { ...ADD, description: 'a', spillFillBytes: 100 });
  const partB = writeBinary(dir, 'b.bin', { ...ADD, description: 'b', spillFillBytes: 100 });

  async function runtime(): Promise<NativeRuntime> {
    const rt = new (loadAddon().Runtime)();
    const { backend, system } = referenceBackendPaths();
    await rt.load({ backendPath: backend, systemPath: system });
    return rt;
  }

  it('disposing the first context while a member loads defers until the member is in the group', async () => {
    const addon = loadAddon();
    const rt = await runtime();
    await withJournal(dir, async (j) => {
      const first = new addon.Context(rt);
      await first.load(partA, undefined, false, group(null));
      const member = new addon.Context(rt);
      // A slow member load: the first context is disposed while its handle is in flight
      // (what loadContexts does when its timeoutMs gives up on a part).
      const loaded = await withEnv({ QNN_REFERENCE_DELAY_MS: 'contextCreateFromBinary=300' }, async () => {
        const p = member.load(partB, undefined, false, group(first));
        expect(first.dispose()).toBe(false); // deferred: the member's load holds it
        expect(first.pendingRuns).toBe(1);
        return p;
      });
      expect(loaded.graphs.map((g) => g.name)).toEqual(['add']);
      const groups = j.entries('spillFillGroup');
      expect(groups.map((g) => [g.opened, g.members])).toEqual([
        [true, 1],
        [false, 2],
      ]);
      // The deferred dispose completed when the member's load settled.
      expect(first.pendingRuns).toBe(0);
      expect(first.dispose()).toBe(true);
      expect(j.entries('spillFillLeave')).toHaveLength(1);
      member.dispose();
    });
    rt.dispose();
  });

  it('a failed member load releases the pin too', async () => {
    const addon = loadAddon();
    const rt = await runtime();
    const first = new addon.Context(rt);
    await first.load(partA, undefined, false, group(null));
    const member = new addon.Context(rt);
    const err = await withEnv({ QNN_REFERENCE_FAIL: 'contextCreateFromBinary=5010' }, () =>
      member.load(partB, undefined, false, group(first)).catch((e: unknown) => e),
    );
    expect(err).toMatchObject({ code: 'QNN_ERROR', apiFunction: 'contextCreateFromBinary' });
    expect(first.pendingRuns).toBe(0);
    expect(first.dispose()).toBe(true);
    member.dispose();
    rt.dispose();
  });

  it('refuses a first context of another runtime', async () => {
    const addon = loadAddon();
    const [rt1, rt2] = [await runtime(), await runtime()];
    const first = new addon.Context(rt1);
    await first.load(partA, undefined, false, group(null));
    const member = new addon.Context(rt2);
    expect(() => member.load(partB, undefined, false, group(first))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/same Qnn instance for configs\.group\.first/) }),
    );
    expect(first.pendingRuns).toBe(0);
    member.dispose();
    first.dispose();
    rt1.dispose();
    rt2.dispose();
  });
});
