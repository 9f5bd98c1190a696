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

describe('examples/bevfusion on the mock backend', () => {
  const CAMS = ['cam_front', 'cam_front_right', 'cam_front_left', 'cam_back', 'cam_back_left', 'cam_back_right'];
  const HW = 128 * 128;

  it('runs six cameras through the four encoders and the decoder at the card shapes', async () => {
    const dir = exampleDir('bevfusion');
    const seen: { imgs?: Float32Array; geometry?: Float32Array[] } = {};
    // Each stage: a simple function of a few entries of its inputs (the big tensors stay mostly untouched zeros).
    const backend = new MockBackend({
      graphs: {
        BEVFusionEncoder1: (inputs, outputs) => {
          const imgs = inputs.imgs.data as Float32Array;
          seen.imgs = imgs.slice(0, 18 * 256 * 704);
          const f = outputs.feature_map.data as Float32Array;
          // feature_map[cam, 0, 0, 0] = mean of that camera's 3 x 256 x 704 pixels
          for (let cam = 0; cam < 6; cam++) f[cam * 256 * 32 * 88] = meanOf(imgs.subarray(cam * 3 * 256 * 704, (cam + 1) * 3 * 256 * 704));
        },
        BEVFusionEncoder2: (inputs, outputs) => {
          const f = inputs.img.data as Float32Array;
          const [ii, c2l, ipr, pt] = ['intrins', 'camera2lidars', 'inv_post_rots', 'post_trans'].map((n) => inputs[n].data as Float32Array);
          seen.geometry = [ii, c2l, ipr, pt].map((t) => t.slice());
          const pooled = outputs.pooled_features.data as Float32Array;
          const lengths = outputs.lengths.data as Int32Array;
          const geom = outputs.geom_feats.data as Int32Array;
          for (let cam = 0; cam < 6; cam++) {
            pooled[cam * 80] = f[cam * 256 * 32 * 88] * ii[cam * 9] + c2l[cam * 16 + 3] + ipr[cam * 9 + 4] + pt[cam * 3 + 1];
            lengths[cam] = cam + 1;
            geom[cam] = 10 * cam; // row 0: x positions
            geom[59000 + cam] = cam; // row 1: channels
          }
        },
        BEVFusionEncoder3: (inputs, outputs) => {
          const x = inputs.img.data as Float32Array;
          const len = inputs.length.data as Int32Array;
          const out = outputs.aggregated_features.data as Float32Array;
          for (let j = 0; j < 6; j++) out[j * 80] = x[j * 80] + len[j];
        },
        BEVFusionEncoder4: (inputs, outputs) => {
          const seg = inputs.segment.data as Float32Array;
          const geom = inputs.geom.data as Int32Array;
          const bev = outputs.bev_grid.data as Float32Array;
          for (let j = 0; j < 6; j++) bev[j * HW] = seg[j * 80] * 2 + geom[j] + geom[59000 + j];
        },
        BEVFusionDecoder: (inputs, outputs) => {
          const x = inputs.x.data as Float32Array;
          const out = outputs.outputs.data as Float32Array;
          for (let k = 0; k < 70; k++) out[k * HW] = x[(k % 6) * HW] + k;
        },
      },
    });
    await using pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend });
    const images = Object.fromEntries(CAMS.map((cam, i) => [cam, pngBytes(160, 90, (x, y) => [(x * (i + 3)) % 256, (y * 7 + i * 40) % 256, (x + y + i) % 256])]));
    const geometry = ([[1, 6, 3, 3], [1, 6, 4, 4], [1, 6, 3, 3], [1, 6, 1, 3]] as const).map((dims, g) => {
      const n = dims.reduce((a, b) => a * b, 1);
      return new Tensor('float32', Float32Array.from({ length: n }, (_, i) => ((i * (g + 2)) % 11) / 4 - 1), [...dims]);
    });
    const [invIntrins, camera2lidars, invPostRots, postTrans] = geometry;
    const result = await pipeline.run({ ...images, inv_intrins: invIntrins, camera2lidars, inv_post_rots: invPostRots, post_trans: postTrans });

    // The six cameras, each resized to 768x432 (bicubic) and cropped to rows 176.. and columns 32.., in camera order.
    const expectedImgs = new Float32Array(18 * 256 * 704);
    CAMS.forEach((cam, i) => expectedImgs.set(crop(preprocessImage(images[cam], { width: 768, height: 432, resize: 'bicubic', dtype: 'float32' }), 176, 32, 256, 704), i * 3 * 256 * 704));
    expect(Buffer.compare(Buffer.from(seen.imgs!.buffer), Buffer.from(expectedImgs.buffer))).toBe(0);
    expect(seen.geometry!.map((g) => [...g])).toEqual(geometry.map((t) => [...(t.data as Float32Array)]));

    const f32 = Math.fround;
    const heads = (result.outputs.heads as Tensor).data as Float32Array;
    expect((result.outputs.heads as Tensor).dims).toEqual([1, 70, 128, 128]);
    const [ii, c2l, ipr, pt] = geometry.map((t) => t.data as Float32Array);
    const bev = Array.from({ length: 6 }, (_, j) => {
      const camMean = f32(meanOf(expectedImgs.subarray(j * 3 * 256 * 704, (j + 1) * 3 * 256 * 704)));
      const pooled = f32(f32(f32(f32(camMean * ii[j * 9]) + c2l[j * 16 + 3]) + ipr[j * 9 + 4]) + pt[j * 3 + 1]);
      const segment = f32(pooled + (j + 1));
      return f32(f32(segment * 2) + 10 * j + j);
    });
    for (let k = 0; k < 70; k++) expect(heads[k * HW], `head channel ${k}`).toBe(f32(bev[k % 6] + k));
    expect(backend.callCounts()).toEqual({ BEVFusionEncoder1: 1, BEVFusionEncoder2: 1, BEVFusionEncoder3: 1, BEVFusionEncoder4: 1, BEVFusionDecoder: 1 });
  });

  it('ships the augmentation tensors of its resize + crop (inverse 0.48 scale, crop offsets)', async () => {
    const { readNpySync } = await import('../../lib/tensor/npy.js');
    const dir = exampleDir('bevfusion');
    const rots = readNpySync(join(dir, 'inv_post_rots.npy'));
    const trans = readNpySync(join(dir, 'post_trans.npy'));
    expect(rots.dims).toEqual([1, 6, 3, 3]);
    expect(trans.dims).toEqual([1, 6, 1, 3]);
    for (let cam = 0; cam < 6; cam++) {
      const r = [...(rots.data as Float32Array).subarray(cam * 9, cam * 9 + 9)];
      expect(r.map((v) => Math.round(v * 1e6) / 1e6)).toEqual([1 / 0.48, 0, 0, 0, 1 / 0.48, 0, 0, 0, 1].map((v) => Math.round(Math.fround(v) * 1e6) / 1e6));
      expect([...(trans.data as Float32Array).subarray(cam * 3, cam * 3 + 3)]).toEqual([-32, -176, 0]);
    }
  });
});

describe('examples/sam2 manifest-w8a8.json on the mock backend', () => {
  /** QNN convention: real = scale · (q + offset), so q = round(x / scale) − offset, saturated. */
  const quant = (x: number, scale: number, offset: number, max = 255): number => Math.min(max, Math.max(0, Math.round(x / scale) - offset));
  const ENC = { image: [0.018658, -114], embeddings: [0.05, -128], feat1: [0.04, -120], feat2: [0.03, -125] } as const;
  const DEC = { embeddings: [0.045, -130], feat1: [0.04, -120], feat2: [0.035, -110], points: [0.02, 0], labels: [0.0078431, -128] } as const;

  /** Element-wise agreement within one quantization step (ties may round either way), nearly all exact. */
  function expectQuantized(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
    expect(got.length, what).toBe(want.length);
    let off = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(got[i] - want[i]);
      if (d > 1) expect.fail(`${what}[${i}]: ${got[i]} vs ${want[i]}`);
      if (d) off++;
    }
    expect(off / want.length, `${what}: share off by one`).toBeLessThan(1e-3);
  }

  it('quantizes every graph input to its encoding from the signature, requantizes between the binaries, dequantizes the outputs', async () => {
    const dir = exampleDir('sam2');
    for (const bin of ['sam2_encoder_w8a8.bin', 'sam2_decoder_w8a8.bin']) writeFileSync(join(dir, bin), 'placeholder');
    const seen: Record<string, Uint8Array | Uint16Array> = {};
    const pattern = (n: number, k: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * k + 17) % 256);
    const backend = new MockBackend({
      graphs: {
        SAM2Encoder: (inputs, outputs) => {
          seen.image = (inputs.image.data as Uint8Array).slice();
          (outputs.image_embeddings.data as Uint8Array).set(pattern(256 * 45 * 80, 7));
          (outputs.high_res_features1.data as Uint8Array).set(pattern(32 * 180 * 320, 11));
          (outputs.high_res_features2.data as Uint8Array).set(pattern(64 * 90 * 160, 13));
        },
        SAM2Decoder: (inputs, outputs) => {
          for (const k of ['image_embeddings', 'high_res_features1', 'high_res_features2', 'point_labels']) seen[k] = (inputs[k].data as Uint8Array).slice();
          const pts = (seen.point_coords = (inputs.point_coords.data as Uint16Array).slice());
          // A box between the two points (quantized coordinates · 0.02 = pixels; the mask is 1/4 of the frame).
          const [x0, y0, x1, y1] = [...pts].map((v) => (v * 0.02) / 4);
          const masks = outputs.masks.data as Uint8Array;
          for (let y = 0; y < 180; y++) for (let x = 0; x < 320; x++) masks[y * 320 + x] = x >= x0 && x < x1 && y >= y0 && y < y1 ? 255 : 0;
          (outputs.scores.data as Uint8Array)[0] = seen.point_labels[0];
        },
      },
    });
    await using pipeline = await Pipeline.load(join(dir, 'manifest-w8a8.json'), { backend });
    const image = pngBytes(64, 36, (x, y) => [x * 4, 100 + y, 50]);
    const points = new Tensor('float32', [40, 20, 120, 60], [1, 2, 2]);
    const labels = new Tensor('float32', [1, 0], [1, 2]);
    const result = await pipeline.run({ image, points, labels });

    const pixels = preprocessImage(image, { width: 1280, height: 720, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], dtype: 'float32' }).data as Float32Array;
    expectQuantized(seen.image, Array.from(pixels, (x) => quant(x, ...ENC.image)), 'encoder image');
    const requant = (bytes: Uint8Array, [s, o]: readonly number[], [s2, o2]: readonly number[]): number[] => Array.from(bytes, (b) => quant(s * (b + o), s2, o2));
    expectQuantized(seen.image_embeddings, requant(pattern(256 * 45 * 80, 7), ENC.embeddings, DEC.embeddings), 'decoder image_embeddings');
    expectQuantized(seen.high_res_features1, requant(pattern(32 * 180 * 320, 11), ENC.feat1, DEC.feat1), 'decoder high_res_features1');
    expectQuantized(seen.high_res_features2, requant(pattern(64 * 90 * 160, 13), ENC.feat2, DEC.feat2), 'decoder high_res_features2');
    expect([...seen.point_coords]).toEqual([40, 20, 120, 60].map((v) => quant(v, ...DEC.points, 65535)));
    expect([...seen.point_labels]).toEqual([1, 0].map((v) => quant(v, ...DEC.labels)));

    const masks = result.outputs.masks as Tensor;
    expect(masks.dtype).toBe('float32');
    const m = masks.data as Float32Array;
    let on = 0;
    for (const v of m) {
      if (Math.abs(v - 0.1 * (255 - 128)) < 1e-5) on++;
      else expect(v).toBeCloseTo(0.1 * -128, 5);
    }
    expect(on).toBe((30 - 10) * (15 - 5));
    expect((result.outputs.scores as Tensor).data[0]).toBeCloseTo(0.00392157 * quant(1, ...DEC.labels), 6);
    expect(backend.callCounts()).toEqual({ SAM2Encoder: 1, SAM2Decoder: 1 });
  });
});
