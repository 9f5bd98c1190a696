/**
 * qnn.loadContexts' options (review items 2, 12, 14): every part gets the common options,
 * they are checked before any binary is read, a failing group disposes what it loaded, and
 * a manifest's share group can give the spill-fill size.
 */
import { afterAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { Pipeline } from '../../lib/index.js';
import { hasCode } from '../../lib/errors.js';
import { ADD, describeNative, tempDir, writeBinary } from './helpers.js';
import { withJournal } from './journal.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const part = (name: string, spillFillBytes: number): string => writeBinary(dir, `${name}.bin`, { ...ADD, description: name, spillFillBytes });

describeNative('qnn.loadContexts options', () => {
  it('passes priority, perfProfile and profile to every part', async () => {
    const parts = [part('o1', 100), part('o2', 200)];
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const cs = await qnn.loadContexts(parts, { shareResources: true, priority: 'high', perfProfile: 'burst', profile: 'basic' });
      const creates = j.entries('contextCreateFromBinary');
      expect(creates).toHaveLength(2);
      for (const c of creates) expect(c.configs).toContainEqual({ option: 'PRIORITY', priority: 200 });
      expect(cs.map((c) => c.info.perfProfile)).toEqual(['burst', 'burst']);
      expect(cs.map((c) => c.loadProfile?.level)).toEqual(['basic', 'basic']);
      expect(j.entries('profileCreate')).toHaveLength(2);
      for (const c of cs.reverse()) await c.dispose();
    });
  });

  it('checks the common options before reading any binary for its spill-fill size', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    // The second part does not exist: reading sizes first would fail with FILE_NOT_FOUND.
    const err = await qnn.loadContexts([part('c1', 10), join(dir, 'missing.bin')], { shareResources: true, priority: 'realtime' as never }).catch((e: unknown) => e);
    expect(hasCode(err, 'ERR_INVALID_ARG')).toBe(true);
    expect((err as Error).message).toContain('QNN defines no realtime priority');
  });

  it("a manifest share group sets the spill-fill size with spillFillBytes (the largest wins) and the error names that field", async () => {
    const sig = ADD.graphs.map((g) => ({ name: g.name, inputs: g.inputs, outputs: g.outputs }));
    const manifest = (extra: Record<string, unknown>[]) => ({
      format: 'qnn-node-pipeline',
      version: 1,
      contexts: {
        m1: { binary: 'm1.bin', shareGroup: 'llm', signature: sig, ...extra[0] },
        m2: { binary: 'm2.bin', shareGroup: 'llm', signature: sig, ...extra[1] },
      },
      inputs: { n: { type: 'number' } },
      steps: [{ op: 'add', inputs: { a: 'n', b: 1 }, output: 'r' }],
      outputs: { r: 'r' },
    });
    part('m1', 10);
    part('m2', 20);
    await withJournal(dir, async (j) => {
      // Without QnnSystem there is no size to read.
      await using qnn = await Qnn.load({ backend: 'reference', system: false });
      const err = await Pipeline.load(manifest([{}, {}]), { backend: qnn, baseDir: dir }).catch((e: unknown) => e);
      expect(hasCode(err, 'UNSUPPORTED_OPTION')).toBe(true);
      expect((err as Error).message).toContain('/contexts/m1/spillFillBytes');
      await using p = await Pipeline.load(manifest([{ spillFillBytes: 4096 }, { spillFillBytes: 8192 }]), { backend: qnn, baseDir: dir });
      expect(p.context('m2').graphs.length).toBe(1);
      expect(j.entries('spillFillGroup').map((g) => g.bytes)).toEqual([8192, 8192]);
    });
  });
});
