// slice's start: a literal negative param counts from the end; a start from another step
// (a run-time value) counts from the beginning only, so a computed -1 is an error.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor } from '../../lib/index.js';
import { tempDir } from './fixtures.js';

// A manifest needs a context; this one is never run.
const { dir, cleanup } = tempDir('slice-start-');
afterAll(cleanup);
writeFileSync(join(dir, 'm.bin'), '');
const CONTEXTS = { m: { binary: 'm.bin', signature: [{ name: 'g', inputs: [], outputs: [{ name: 'y', dtype: 'float32', dims: [1] }] }] } };
const X = new Tensor('float32', new Float32Array([10, 11, 12, 13]), [1, 4]);

function manifest(slice: Record<string, unknown>) {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    contexts: CONTEXTS,
    inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 4] }, n: { type: 'number' } },
    steps: [{ op: 'add', inputs: { a: 'n', b: -1 }, output: 'last' }, { op: 'slice', inputs: { input: 'x' }, output: 'r', axis: 1, length: 1, ...slice }],
    outputs: { r: 'r' },
  };
}

async function run(slice: Record<string, unknown>, n: number): Promise<number[]> {
  await using p = await Pipeline.load(manifest(slice), { backend: new MockBackend(), baseDir: dir });
  return [...((await p.run({ x: X, n })).outputs.r as Tensor).toFloat32()];
}

describe('slice start', () => {
  it('a literal negative start counts from the end', async () => {
    expect(await run({ start: -1 }, 0)).toEqual([13]);
    expect(await run({ start: -4 }, 0)).toEqual([10]);
  });

  it('a start from another step counts from the beginning', async () => {
    expect(await run({ inputs: { input: 'x', start: 'last' } }, 4)).toEqual([13]);
    expect(await run({ inputs: { input: 'x', start: 'last' } }, 1)).toEqual([10]);
  });

  it('a negative start from another step (n - 1 for n = 0) is HOST_OP_FAILED, not the last row', async () => {
    const err = await run({ inputs: { input: 'x', start: 'last' } }, 0).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HOST_OP_FAILED', details: { role: 'start' } });
    expect((err as Error).message).toContain('expected a start from 0 to 4');
    expect((err as Error).message).toContain('but received -1');
  });

  it('a start from another step past the axis is HOST_OP_FAILED too', async () => {
    await expect(run({ inputs: { input: 'x', start: 'last' } }, 6)).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('but received 5') });
  });
});
