/** The topk host op: k best of the last axis (values, ids, label names), against a plain sort. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor } from '../../lib/index.js';
import { topkIds } from '../../lib/pipeline/ops/topk.js';
import { tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  writeFileSync(join(dir, 'm.bin'), 'placeholder');
  writeFileSync(join(dir, 'labels.txt'), 'zero\none\ntwo\nthree\nfour\nfive\n');
});
afterEach(() => cleanup());

const SIG = [{ name: 'g', inputs: [{ name: 'x', dtype: 'float32', dims: [1] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1] }] }];
function manifest(step: Record<string, unknown>, shape: number[], outputs: Record<string, string>): Record<string, unknown> {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    contexts: { m: { binary: 'm.bin', signature: SIG } },
    assets: { imagenet: { type: 'file', path: 'labels.txt' } },
    inputs: { logits: { type: 'tensor', dtype: 'float32', shape } },
    steps: [{ op: 'topk', inputs: { input: 'logits' }, ...step }],
    outputs,
  };
}

/** The reference: a full stable sort by value descending (ties by id). */
function reference(v: number[], k: number): number[] {
  return v.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k).map(([, i]) => i);
}

describe('topk', () => {
  it('matches a full sort for small and large k, ties by lower id, NaN last', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const v = Array.from({ length: 1000 }, () => Math.round(rnd() * 50)); // many ties
    for (const k of [1, 5, 64, 65, 300]) expect(topkIds(Float64Array.from(v), k), `k=${k}`).toEqual(reference(v, k));
    expect(topkIds(Float64Array.from([NaN, 1, NaN, 2]), 3)).toEqual([3, 1, 0]);
  });

  it('outputs values, ids and label names; softmax turns logits into probabilities', async () => {
    await using p = await Pipeline.load(manifest({ outputs: { values: 'v', ids: 'i', labels: 'names' }, k: 3, softmax: true, labels: 'imagenet' }, [1, 6], { v: 'v', i: 'i', names: 'names' }), { backend: new MockBackend(), baseDir: dir });
    const logits = [0.5, 3, -1, 2, 3, 0];
    const { outputs } = await p.run({ logits: new Tensor('float32', Float32Array.from(logits), [1, 6]) });
    expect([...((outputs.i as Tensor).data as Int32Array)]).toEqual([1, 4, 3]);
    expect(outputs.names).toBe('one\nfour\nthree');
    const z = logits.reduce((s, x) => s + Math.exp(x), 0);
    const probs = [...((outputs.v as Tensor).data as Float32Array)];
    [1, 4, 3].forEach((id, j) => expect(probs[j]).toBeCloseTo(Math.exp(logits[id]) / z, 6));
    expect((outputs.v as Tensor).dims).toEqual([1, 3]);
  });

  it('ranks every row of a batch', async () => {
    await using p = await Pipeline.load(manifest({ outputs: { ids: 'i' }, k: 2 }, [2, 3], { i: 'i' }), { backend: new MockBackend(), baseDir: dir });
    const { outputs } = await p.run({ logits: new Tensor('float32', Float32Array.from([1, 3, 2, 9, 8, 7]), [2, 3]) });
    expect([...((outputs.i as Tensor).data as Int32Array)]).toEqual([1, 2, 0, 1]);
    expect((outputs.i as Tensor).dims).toEqual([2, 2]);
  });

  it('errors: k out of range, too few labels, labels without the asset, an unknown asset', async () => {
    await using bigK = await Pipeline.load(manifest({ outputs: { ids: 'i' }, k: 7 }, [1, 6], { i: 'i' }), { backend: new MockBackend(), baseDir: dir });
    await expect(bigK.run({ logits: new Tensor('float32', new Float32Array(6), [1, 6]) })).rejects.toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('expected k between 1 and the last axis (6) but received 7') });
    writeFileSync(join(dir, 'labels.txt'), 'zero\none\n');
    await using few = await Pipeline.load(manifest({ outputs: { labels: 'n' }, k: 1, labels: 'imagenet' }, [1, 6], { n: 'n' }), { backend: new MockBackend(), baseDir: dir });
    await expect(few.run({ logits: new Tensor('float32', Float32Array.from([0, 0, 0, 0, 0, 1]), [1, 6]) })).rejects.toMatchObject({ message: expect.stringContaining('expected a label for class 5 but the labels file "imagenet" has 2 lines') });
    await expect(Pipeline.load(manifest({ outputs: { labels: 'n' }, k: 1 }, [1, 6], { n: 'n' }), { backend: new MockBackend(), baseDir: dir })).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    await expect(Pipeline.load(manifest({ outputs: { ids: 'n' }, k: 1, labels: 'nope' }, [1, 6], { n: 'n' }), { backend: new MockBackend(), baseDir: dir })).rejects.toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/steps/0/labels' } });
  });
});
