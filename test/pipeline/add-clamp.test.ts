// The add op's min / max clamp (numbers): how many prompt rows a fixed-size prefill holds.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor } from '../../lib/index.js';
import { tempDir } from './fixtures.js';

// A manifest needs a context; this one is never run (the mock reads no binary, a placeholder does).
const { dir, cleanup } = tempDir('add-clamp-');
afterAll(cleanup);
writeFileSync(join(dir, 'm.bin'), '');
const CONTEXTS = { m: { binary: 'm.bin', signature: [{ name: 'g', inputs: [], outputs: [{ name: 'y', dtype: 'float32', dims: [1] }] }] } };
const load = (m: Record<string, unknown>) => Pipeline.load(m, { backend: new MockBackend(), baseDir: dir });

function manifest(step: Record<string, unknown>) {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    contexts: CONTEXTS,
    inputs: { n: { type: 'number' } },
    steps: [{ op: 'add', inputs: { a: 'n', b: 0 }, output: 'r', ...step }],
    outputs: { r: 'r' },
  };
}

describe('add with min / max', () => {
  it('clamps a number into [min, max]', async () => {
    await using p = await load(manifest({ min: 1, max: 320 }));
    const r = async (n: number) => (await p.run({ n })).outputs.r;
    expect(await r(400)).toBe(320);
    expect(await r(7)).toBe(7);
    expect(await r(320)).toBe(320);
    expect(await r(-3)).toBe(1);
  });

  it('takes $params and leaves unclamped adds alone', async () => {
    const m = { ...manifest({ max: '$rows', alpha: 2 }), params: { rows: 10 } };
    await using p = await load(m);
    expect((await p.run({ n: 4 })).outputs.r).toBe(4);
    expect((await p.run({ n: 40 }, { params: { rows: 16 } })).outputs.r).toBe(16);
  });

  it('refuses min / max on tensors and non-numeric bounds', async () => {
    const tensorStep = {
      format: 'qnn-node-pipeline',
      version: 1,
      contexts: CONTEXTS,
      inputs: { t: { type: 'tensor', dtype: 'float32', shape: [2] } },
      steps: [{ op: 'add', inputs: { a: 't', b: 't' }, max: 1, output: 'r' }],
      outputs: { r: 'r' },
    };
    await using p = await load(tensorStep);
    await expect(p.run({ t: new Tensor('float32', [1, 2], [2]) })).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringMatching(/min \/ max/) });
    await expect(load(manifest({ max: 'lots' }))).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
  });
});
