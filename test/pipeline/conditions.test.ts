// Loop conditions read a scalar tensor's value, not its storage bits.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { MockBackend, Pipeline, numberToHalf, type DType } from '../../lib/index.js';

function manifestFor(dtype: DType, quant?: object) {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    contexts: {
      m: {
        binary: 'm.bin',
        signature: [{ name: 'step', inputs: [], outputs: [{ name: 'score', dtype, dims: [1], ...(quant ? { quant } : {}) }] }],
      },
    },
    steps: [{ op: 'set', value: 0, output: 'score' }, { loop: { max: 10, until: { value: 'score', gte: 3 } }, steps: [{ graph: 'step', inputs: {}, outputs: { score: 'score' } }] }],
    outputs: {},
  };
}

// The model's score is the number of calls so far: the loop must stop after the third.
const cases: [DType, (call: number) => number, object?][] = [
  ['float32', (n) => n],
  ['float16', (n) => numberToHalf(n)], // fp16 1.0 is stored as 15360
  ['ufixed8', (n) => n * 4 + 10, { encoding: 'scale-offset', scale: 0.25, offset: -10 }], // q = x/0.25 - (-10)
];

for (const [dtype, encode, quant] of cases) {
  it(`until … gte compares the value of a ${dtype} scalar`, async () => {
    let calls = 0;
    const backend = new MockBackend({
      graphs: {
        step: (_inputs, outputs) => {
          calls++;
          (outputs.score.data as Uint8Array | Uint16Array | Float32Array)[0] = encode(calls);
        },
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'cond-'));
    writeFileSync(join(dir, 'm.bin'), '');
    try {
      await using pipeline = await Pipeline.load(manifestFor(dtype, quant), { backend, baseDir: dir });
      await pipeline.run();
      expect(calls).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
