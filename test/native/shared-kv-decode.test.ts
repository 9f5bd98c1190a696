/**
 * The pipeline runner on shared memory, end to end on the reference backend (its rpcmem
 * stand-in and memRegister): a 1,000-step decode loop whose KV cache is never copied
 * wholesale — every graphExecute in the journal moves only the tensors that are not
 * shared — and the same results with sharedMemory off, where every step copies the cache.
 *
 * Per step: A = kv_step(past_kv: kv, x: x) -> row, B = kv_step(past_kv: kv, x: row) -> row2,
 * then kv_write of row2 into kv at slot i. kv_step reads the mean over every slot, so a
 * row missing from the cache (or a stale copy) changes every later step. kv, x (host-made)
 * and row (A's output, B's input) are graph-fed, so shared; row2 is read only by kv_write.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Pipeline, Tensor } from '../../lib/index.js';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { kvDecodeBinary, kvRowDims } from '../../scripts/bench/kv-decode-graph.js';
import { describeNative, tempDir } from './helpers.js';
import { withJournal, type JournalEntry } from './journal.js';

const KV = [2, 2, 2, 1024, 16];
const ROW = kvRowDims(KV);
const KV_BYTES = KV.reduce((a, b) => a * b, 2);
const ROW_BYTES = ROW.reduce((a, b) => a * b, 2);
const STEPS = 1000;

const dir = tempDir();

function writeManifest(): string {
  writeFileSync(path.join(dir, 'kv.bin'), kvDecodeBinary(KV, 'mean'));
  const file = path.join(dir, 'decode.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'qnn-node-pipeline',
      version: 1,
      contexts: { m: { binary: 'kv.bin' } },
      steps: [
        { op: 'fill', output: 'kv', value: 0, dtype: 'float16', dims: KV },
        { op: 'fill', output: 'x', value: 0.5, dtype: 'float16', dims: ROW },
        {
          loop: { count: STEPS, index: 'i' },
          steps: [
            { graph: 'kv_step', inputs: { past_kv: 'kv', x: 'x' }, outputs: { new_kv: 'row' } },
            { graph: 'kv_step', inputs: { past_kv: 'kv', x: 'row' }, outputs: { new_kv: 'row2' } },
            { op: 'kv_write', inputs: { cache: 'kv', source: 'row2', position: 'i' }, axis: 3 },
          ],
        },
      ],
      outputs: { kv: 'kv', row2: 'row2' },
    }),
  );
  return file;
}

const copies = (e: JournalEntry) => `${e.rawBytesIn}/${e.rawBytesOut}/${e.memHandleTensors}`;

describeNative('shared memory in a 1,000-step decode loop (reference backend)', () => {
  it('never copies the KV cache wholesale; the same results with sharedMemory off', { timeout: 120_000 }, async () => {
    const manifest = writeManifest();
    await using qnn = await Qnn.load({ backend: 'reference' });
    expect(qnn.sharedMemory).toMatchObject({ available: true, reason: null });
    await using pipeline = await Pipeline.load(manifest, { backend: qnn });

    const shared = await withJournal(dir, async (j) => {
      const result = await pipeline.run();
      return { result, executes: j.entries('graphExecute') };
    });
    expect(shared.result.sharedMemory).toEqual({ mode: 'auto', enabled: true, reason: null, tensors: 3, bytes: KV_BYTES + 2 * ROW_BYTES, plainFallbacks: 0 });
    expect(shared.executes).toHaveLength(2 * STEPS);
    // A: kv, x and row are memhandles, nothing copied; B: kv and row are, only row2 comes back raw.
    const perStep = new Set(shared.executes.map(copies));
    expect(perStep).toEqual(new Set([`0/0/3`, `0/${ROW_BYTES}/2`]));
    expect(Math.max(...shared.executes.map((e) => (e.rawBytesIn as number) + (e.rawBytesOut as number)))).toBeLessThan(KV_BYTES);

    const off = await withJournal(dir, async (j) => {
      const result = await pipeline.run({}, { sharedMemory: 'off' });
      return { result, executes: j.entries('graphExecute') };
    });
    expect(off.result.sharedMemory).toEqual({ mode: 'off', enabled: false, reason: 'off for this run', tensors: 0, bytes: 0, plainFallbacks: 0 });
    expect(off.executes).toHaveLength(2 * STEPS);
    expect(new Set(off.executes.map(copies))).toEqual(new Set([`${KV_BYTES + ROW_BYTES}/${ROW_BYTES}/0`]));

    const kvShared = shared.result.outputs.kv as Tensor;
    const kvOff = off.result.outputs.kv as Tensor;
    expect(Buffer.from(kvShared.bytes).equals(Buffer.from(kvOff.bytes))).toBe(true);
    expect(Buffer.from((shared.result.outputs.row2 as Tensor).bytes).equals(Buffer.from((off.result.outputs.row2 as Tensor).bytes))).toBe(true);
    // Slots 0..999 were written (every row > 0), the last 24 of 1,024 never were.
    const f = kvShared.toFloat64();
    expect(f.filter((v) => v > 0)).toHaveLength((KV_BYTES / 2 / KV[3]) * STEPS);
  });
});
