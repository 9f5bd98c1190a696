/** quantize with "like": the encoding of a graph input, from its signature, resolved at load. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor } from '../../lib/index.js';
import { tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  writeFileSync(join(dir, 'm.bin'), 'placeholder');
});
afterEach(() => cleanup());

const QUANT = { encoding: 'scale-offset', scale: 0.05, offset: -128 };
const SIG = [
  { name: 'enc', inputs: [{ name: 'input_0', dtype: 'ufixed8', dims: [1, 4], quant: QUANT }, { name: 'plain', dtype: 'float32', dims: [1, 4] }], outputs: [{ name: 'out_0', dtype: 'ufixed8', dims: [1, 4], quant: { encoding: 'scale-offset', scale: 0.1, offset: 0 } }] },
];
function manifest(quantStep: Record<string, unknown>): Record<string, unknown> {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    contexts: { m: { binary: 'm.bin', signature: SIG, names: { encoder: 'enc', pixels: 'input_0' } } },
    inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 4] } },
    steps: [
      { op: 'quantize', inputs: { input: 'x' }, output: 'q', ...quantStep },
      { graph: 'm/encoder', inputs: { pixels: 'q', plain: 'x' }, outputs: { out_0: 'o' } },
      { op: 'dequantize', inputs: { input: 'o' }, output: 'y' },
    ],
    outputs: { q: 'q', y: 'y' },
  };
}

describe('quantize like a graph input', () => {
  it('takes dtype, scale and offset from the signature (through the name table); dequantize uses the output encoding', async () => {
    let seen: Tensor | undefined;
    const backend = new MockBackend({
      graphs: {
        enc: (inputs, outputs) => {
          seen = inputs.input_0;
          (outputs.out_0.data as Uint8Array).set([0, 1, 2, 255]);
        },
      },
    });
    await using p = await Pipeline.load(manifest({ like: { graph: 'm/encoder', input: 'pixels' } }), { backend, baseDir: dir });
    const values = [-6.4, 0, 1, 6.35];
    const { outputs } = await p.run({ x: new Tensor('float32', Float32Array.from(values), [1, 4]) });
    // QNN: real = scale · (q + offset) → q = round(x / scale) − offset
    expect([...(seen!.data as Uint8Array)]).toEqual(values.map((v) => Math.round(v / 0.05) + 128));
    expect((outputs.q as Tensor).quant).toMatchObject({ scale: 0.05, offset: -128 });
    expect([...((outputs.y as Tensor).data as Float32Array)].map((v) => Math.round(v * 100) / 100)).toEqual([0, 0.1, 0.2, 25.5]);
  });

  it('errors name the step: an unknown input, a float input, encodings given twice', async () => {
    const load = (step: Record<string, unknown>) => Pipeline.load(manifest(step), { backend: new MockBackend(), baseDir: dir });
    await expect(load({ like: { graph: 'm/encoder', input: 'pixel' } })).rejects.toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/steps/0/like/input' } });
    const floatInput = await load({ like: { graph: 'm/encoder', input: 'plain' } }).catch((e: Error) => e);
    expect(floatInput).toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/steps/0/like' } });
    expect(floatInput.message).toContain('float32, not quantized');
    await expect(load({ like: { graph: 'm/encoder', input: 'pixels' }, scale: 0.1 })).rejects.toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/steps/0/scale' } });
    await expect(load({ like: { graph: 'm/nothing', input: 'pixels' } })).rejects.toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/steps/0/like/graph' } });
    // Neither like nor an encoding: the schema says what is missing.
    await expect(load({})).rejects.toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/steps/0' } });
  });
});
