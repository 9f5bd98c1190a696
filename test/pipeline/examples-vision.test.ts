/**
 * The vision card examples (examples/sequencer2d, examples/bevfusion, examples/sam2's
 * w8a8 manifest) end to end on the mock backend at the cards' shapes. The mock graphs
 * compute simple functions of their inputs; each test recomputes the expected result in
 * plain TS (its own crop, softmax, sort, quantization), so the wiring is what is checked.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor, preprocessImage } from '../../lib/index.js';
import { copyExample, pngBytes, tempDir } from './fixtures.js';

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

function exampleDir(name: string): string {
  const { dir, cleanup } = tempDir(`${name}-`);
  cleanups.push(cleanup);
  copyExample(name, dir);
  return dir;
}

/** The centre crop of an NCHW tensor, computed here (not with the slice op). */
function crop(t: Tensor, top: number, left: number, h: number, w: number): Float32Array {
  const [, c, H, W] = t.dims;
  const src = t.data as Float32Array;
  const out = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(ch * h + y) * w + x] = src[(ch * H + y + top) * W + x + left];
  return out;
}

function meanOf(f: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += f[i];
  return s / f.length;
}

describe('examples/sequencer2d on the mock backend', () => {
  it('preprocesses (resize 256, centre crop 224), classifies once and reports the top-5 labels with softmax scores', async () => {
    const dir = exampleDir('sequencer2d');
    const labels = Array.from({ length: 1000 }, (_, i) => `class ${i}`);
    writeFileSync(join(dir, 'imagenet_labels.txt'), `${labels.join('\n')}\n`);
    let seen: Float32Array | undefined;
    // logits[c] = sin(c) · (1 + 4·mean(pixels)): a known answer that depends on the input.
    const logitsOf = (m: number): Float64Array => Float64Array.from({ length: 1000 }, (_, c) => Math.fround(Math.sin(c) * (1 + 4 * m)));
    const backend = new MockBackend({
      graphs: {
        sequencer2d: (inputs, outputs) => {
          seen = Float32Array.from(inputs.image_tensor.data as Float32Array);
          (outputs.class_logits.data as Float32Array).set(logitsOf(Math.fround(meanOf(seen))));
        },
      },
    });
    await using pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend });
    const image = pngBytes(300, 200, (x, y) => [(x * 7) % 256, (y * 5) % 256, (x + y) % 256]);
    const result = await pipeline.run({ image });

    const resized = preprocessImage(image, { width: 256, height: 256, dtype: 'float32' });
    const expectedPixels = crop(resized, 16, 16, 224, 224);
    expect(seen && Buffer.compare(Buffer.from(seen.buffer), Buffer.from(expectedPixels.buffer))).toBe(0);

    const logits = logitsOf(Math.fround(meanOf(expectedPixels)));
    const max = Math.max(...logits);
    const z = logits.reduce((s, x) => s + Math.exp(x - max), 0);
    const ranked = [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b).slice(0, 5);
    expect([...((result.outputs.class_ids as Tensor).data as Int32Array)]).toEqual(ranked);
    expect(result.outputs.labels).toBe(ranked.map((c) => `class ${c}`).join('\n'));
    const scores = (result.outputs.scores as Tensor).data as Float32Array;
    ranked.forEach((c, j) => expect(scores[j]).toBeCloseTo(Math.exp(logits[c] - max) / z, 6));
    expect(backend.callCounts()).toEqual({ sequencer2d: 1 });
    // top_k is a param: --param top_k=3 / run(…, { params }).
    expect(((await pipeline.run({ image }, { params: { top_k: 3 } })).outputs.class_ids as Tensor).dims).toEqual([1, 3]);
  });
});
