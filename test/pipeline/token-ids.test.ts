// emit / detokenize with an id the tokenizer has no token for (an lm-head wider than the
// vocabulary, as Qwen's 151,936 logits over 151,669 tokens): a typed error naming the id,
// not the tokenizer library's bare TypeError.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline } from '../../lib/index.js';
import { tempDir, writeTokenizer } from './fixtures.js';

const { dir, cleanup } = tempDir('token-ids-');
afterAll(cleanup);
writeFileSync(join(dir, 'm.bin'), '');
writeTokenizer(join(dir, 'tokenizer.json'), { words: { a: 1, b: 2 }, specials: {} });

function manifest(step: Record<string, unknown>) {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    contexts: { m: { binary: 'm.bin', signature: [{ name: 'g', inputs: [], outputs: [{ name: 'y', dtype: 'float32', dims: [1] }] }] } },
    assets: { tokenizer: { type: 'tokenizer', path: 'tokenizer.json' } },
    inputs: { id: { type: 'number' } },
    steps: [{ op: 'set', value: [], output: 'ids' }, { op: 'append', inputs: { list: 'ids', value: 'id' } }, step, { op: 'set', value: 1, output: 'r' }],
    outputs: { r: 'r' },
  };
}

describe('token ids outside the tokenizer', () => {
  for (const [op, step] of [
    ['emit', { op: 'emit', inputs: { token: 'id' }, tokenizer: 'tokenizer' }],
    ['detokenize', { op: 'detokenize', inputs: { tokens: 'ids' }, output: 'text', tokenizer: 'tokenizer' }],
  ] as const) {
    it(`${op}: known ids decode; an unknown id is HOST_OP_FAILED naming it`, async () => {
      await using p = await Pipeline.load(manifest(step), { backend: new MockBackend(), baseDir: dir });
      await expect(p.run({ id: 2 })).resolves.toMatchObject({ outputs: { r: 1 } });
      const err = await p.run({ id: 151_900 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('but received 151900') });
      expect((err as Error).message).toContain('"tokenizer"');
    });
  }
});
