// The "vitest test with the mock backend" snippet of docs/pipelines.md and the README, kept runnable.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { MockBackend, Pipeline } from '../../lib/index.js';

const manifest = {
  format: 'qnn-node-pipeline',
  version: 1,
  params: { max_new_tokens: 8 },
  contexts: {
    lm: {
      binary: 'lm.bin',
      signature: [
        {
          name: 'decode',
          inputs: [{ name: 'position_ids', dtype: 'int32', dims: [1, 1] }],
          outputs: [{ name: 'logits', dtype: 'float32', dims: [1, 1, 16] }],
        },
      ],
    },
  },
  steps: [
    { op: 'set', value: 0, output: 'pos' },
    { op: 'set', value: 0, output: 'next' },
    { op: 'set', value: [], output: 'tokens' },
    {
      loop: { max: '$max_new_tokens', until: { value: 'next', in: [3] } },
      steps: [
        { op: 'position_ids', inputs: { start: 'pos' }, output: 'pos_ids', length: 1, dtype: 'int32' },
        { graph: 'decode', inputs: { position_ids: 'pos_ids' }, outputs: { logits: 'logits' } },
        { op: 'sample', inputs: { logits: 'logits' }, output: 'next' },
        { op: 'append', inputs: { list: 'tokens', value: 'next' } },
        { op: 'add', inputs: { a: 'pos', b: 1 }, output: 'pos' },
      ],
    },
  ],
  outputs: { tokens: 'tokens' },
};

it('decodes until the stop token', async () => {
  const backend = new MockBackend({
    graphs: {
      // A fake model with a known answer: the logits favour token position + 1.
      decode: (inputs, outputs) => {
        const pos = (inputs.position_ids.data as Int32Array)[0];
        (outputs.logits.data as Float32Array).fill(0)[pos + 1] = 1;
      },
    },
  });
  // The mock takes the graphs from the manifest's signatures and never reads lm.bin, but
  // the runner checks every file exists before running: an empty placeholder will do.
  const dir = mkdtempSync(join(tmpdir(), 'tiny-lm-'));
  writeFileSync(join(dir, 'lm.bin'), '');
  try {
    await using pipeline = await Pipeline.load(manifest, { backend, baseDir: dir });
    const result = await pipeline.run();
    expect(result.outputs.tokens).toEqual([1, 2, 3]);
    expect(backend.callCounts().decode).toBe(3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
