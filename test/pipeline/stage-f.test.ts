import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../lib/index.js';
import { failure, manifest, useManifestFolder } from './echo-pipeline.js';
import { seededValues as values } from './fixtures.js';

const folder = useManifestFolder();

/*
 * Independent references written from the Hugging Face code, not from lib/:
 * - patches: the processor's reshape(gt, T, C, gh/m, m, P, gw/m, m, P).transpose(0, 3, 6,
 *   4, 7, 2, 1, 5, 8) done by a generic strided transpose;
 * - patch embed: Conv3d with stride = kernel, as a sum over (c, t, y, x) of kernel × pixels;
 * - pos embed: textbook align-corners bilinear sampling in float64, then the view/permute.
 */

/** numpy-style transpose of a row-major array with `dims` by `perm`. */
function transpose(data: ArrayLike<number>, dims: number[], perm: number[]): number[] {
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const outDims = perm.map((p) => dims[p]);
  const total = dims.reduce((a, b) => a * b, 1);
  const out = new Array<number>(total);
  const idx = new Array<number>(outDims.length).fill(0);
  for (let o = 0; o < total; o++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d] * strides[perm[d]];
    out[o] = data[src];
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < outDims[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function refPatches(img: Float32Array, C: number, H: number, W: number, P: number, T: number, m: number): number[] {
  const frames: number[] = [];
  for (let t = 0; t < T; t++) frames.push(...img); // np.tile(image, (T, 1, 1, 1))
  return transpose(frames, [1, T, C, H / P / m, m, P, W / P / m, m, P], [0, 3, 6, 4, 7, 2, 1, 5, 8]);
}

/** Conv3d(kernel = stride = [T, P, P]) on the T repeated frames, output in merge-window order. */
function refPatchEmbed(img: Float32Array, C: number, H: number, W: number, P: number, T: number, m: number, kernel: Float32Array, bias: Float32Array, D: number): Float64Array {
  const gh = H / P;
  const gw = W / P;
  const out = new Float64Array(gh * gw * D);
  let token = 0;
  for (let bh = 0; bh < gh / m; bh++)
    for (let bw = 0; bw < gw / m; bw++)
      for (let mh = 0; mh < m; mh++)
        for (let mw = 0; mw < m; mw++, token++) {
          const y0 = (bh * m + mh) * P;
          const x0 = (bw * m + mw) * P;
          for (let d = 0; d < D; d++) {
            let s = bias[d];
            for (let c = 0; c < C; c++)
              for (let t = 0; t < T; t++)
                for (let y = 0; y < P; y++)
                  for (let x = 0; x < P; x++) s += kernel[(((d * C + c) * T + t) * P + y) * P + x] * img[(c * H + y0 + y) * W + x0 + x];
            out[token * D + d] = s;
          }
        }
  return out;
}

function refPosEmbed(table: Float32Array, G: number, D: number, h: number, w: number, m: number): Float64Array {
  const grid = new Float64Array(h * w * D);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const y = h === 1 ? 0 : (r * (G - 1)) / (h - 1);
      const x = w === 1 ? 0 : (c * (G - 1)) / (w - 1);
      const y0 = Math.floor(y);
      const x0 = Math.floor(x);
      const y1 = Math.min(y0 + 1, G - 1);
      const x1 = Math.min(x0 + 1, G - 1);
      const dy = y - y0;
      const dx = x - x0;
      for (let d = 0; d < D; d++) {
        const v = (1 - dy) * (1 - dx) * table[(y0 * G + x0) * D + d] + (1 - dy) * dx * table[(y0 * G + x1) * D + d] + dy * (1 - dx) * table[(y1 * G + x0) * D + d] + dy * dx * table[(y1 * G + x1) * D + d];
        grid[(r * w + c) * D + d] = v;
      }
    }
  }
  // view(1, h/m, m, w/m, m, D).permute(0, 1, 3, 2, 4, 5)
  return Float64Array.from(transpose(grid, [h / m, m, w / m, m, D], [0, 2, 1, 3, 4]));
}

function writeF32(dir: string, name: string, data: Float32Array): void {
  writeFileSync(join(dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function maxError(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(x[i] - y[i]));
  return e;
}

const C = 3;
const P = 4;
const T = 2;
const M = 2;
const H = 16;
const W = 24; // a 4 × 6 patch grid: non-square, 2 × 3 merge windows
const D = 8;
const G = 5; // the table's grid: 25 rows, resized to 4 × 6
const K = C * T * P * P;

function stageFManifest(engine: 'native' | 'js' | 'auto', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return manifest(
    [
      { op: 'patchify', inputs: { image: 'image' }, output: 'patches', patchSize: P, temporalPatchSize: T, mergeSize: M },
      { op: 'matmul', inputs: { input: 'patches' }, output: 'embeds', weight: 'w', bias: 'b', transposeWeight: true, engine },
      { op: 'pos_embed_add', inputs: { input: 'embeds' }, output: 'hidden', table: 'pos', gridHeight: H / P, gridWidth: W / P, mergeSize: M },
    ],
    {
      inputs: { image: { type: 'tensor', dtype: 'float32', shape: [1, C, H, W] } },
      assets: {
        w: { type: 'tensor', path: 'w.bin', dtype: 'float32', shape: [D, C, T, P, P] },
        b: { type: 'tensor', path: 'b.bin', dtype: 'float32', shape: [D] },
        pos: { type: 'tensor', path: 'pos.bin', dtype: 'float32', shape: [G * G, D] },
      },
      outputs: { patches: 'patches', embeds: 'embeds', hidden: 'hidden' },
      ...extra,
    },
  );
}

describe('Stage F: patchify → matmul → pos_embed_add', () => {
  const image = values(C * H * W, 1);
  const kernel = values(D * K, 2);
  const bias = values(D, 3);
  const table = values(G * G * D, 4);
  const writeAssets = (): void => {
    writeF32(folder.dir, 'w.bin', kernel);
    writeF32(folder.dir, 'b.bin', bias);
    writeF32(folder.dir, 'pos.bin', table);
  };
  const imageTensor = (): Tensor => {
    const t = Tensor.zeros('float32', [1, C, H, W]);
    (t.data as Float32Array).set(image);
    return t;
  };

  it('matches the processor + Conv3d + fast_pos_embed_interpolate references, natively and in JS', async () => {
    writeAssets();
    const refP = refPatches(image, C, H, W, P, T, M);
    const refE = refPatchEmbed(image, C, H, W, P, T, M, kernel, bias, D);
    const refPos = refPosEmbed(table, G, D, H / P, W / P, M);
    const results: Float32Array[] = [];
    for (const engine of ['native', 'js'] as const) {
      const p = await folder.load(stageFManifest(engine));
      const { outputs } = await p.run({ image: imageTensor() });
      const patches = outputs.patches as Tensor;
      expect(patches.dims).toEqual([(H / P) * (W / P), K]);
      expect([...(patches.data as Float32Array)]).toEqual(refP.map(Math.fround));
      const embeds = outputs.embeds as Tensor;
      expect(embeds.dims).toEqual([(H / P) * (W / P), D]);
      expect(maxError(embeds.data as Float32Array, refE)).toBeLessThan(1e-4);
      const hidden = outputs.hidden as Tensor;
      const expected = refE.map((v, i) => v + refPos[i]);
      expect(maxError(hidden.data as Float32Array, expected)).toBeLessThan(1e-4);
      results.push(hidden.data as Float32Array);
    }
    expect(maxError(results[0], results[1])).toBeLessThan(1e-5);
  });

  it('takes the table as is with interpolate "none", and repeats the last frame for odd frame counts', async () => {
    const t2 = values(4 * 6 * D, 9); // not square: refused
    writeF32(folder.dir, 'pos.bin', t2);
    const none = manifest(
      [
        { op: 'set', value: 0, output: 'unused' },
        { op: 'pos_embed_add', inputs: { input: 'x' }, output: 'y', table: 'pos', gridHeight: 4, gridWidth: 6, interpolate: 'none' },
      ],
      { inputs: { x: { type: 'tensor', dtype: 'float32', shape: [24, D] } }, assets: { pos: { type: 'tensor', path: 'pos.bin', dtype: 'float32', shape: [24, D] } }, outputs: { y: 'y' } },
    );
    await expect(folder.load(none)).rejects.toMatchObject({ code: 'MANIFEST_INVALID', message: /square grid/ });
    // A square table of the image's grid: the rows, permuted into merge order.
    const sq = values(16 * D, 10);
    writeF32(folder.dir, 'pos.bin', sq);
    const ok = manifest([{ op: 'pos_embed_add', inputs: { input: 'x' }, output: 'y', table: 'pos', gridHeight: 4, gridWidth: 4, interpolate: 'none' }], {
      inputs: { x: { type: 'tensor', dtype: 'float32', shape: [16, D] } },
      assets: { pos: { type: 'tensor', path: 'pos.bin', dtype: 'float32', shape: [16, D] } },
      outputs: { y: 'y' },
    });
    const p = await folder.load(ok);
    const y = (await p.run({ x: Tensor.zeros('float32', [16, D]) })).outputs.y as Tensor;
    expect([...(y.data as Float32Array)]).toEqual(transpose(sq, [2, 2, 2, 2, D], [0, 2, 1, 3, 4]));
    // Three frames with T = 2: frames (0, 1) and (2, 2).
    const frames = values(3 * 1 * 4 * 4, 11);
    const vid = manifest([{ op: 'patchify', inputs: { image: 'v' }, output: 'p', patchSize: 2, temporalPatchSize: 2, mergeSize: 2 }], {
      inputs: { v: { type: 'tensor', dtype: 'float32', shape: [3, 1, 4, 4] } },
      outputs: { p: 'p' },
    });
    const v = Tensor.zeros('float32', [3, 1, 4, 4]);
    (v.data as Float32Array).set(frames);
    const out = (await (await folder.load(vid)).run({ v })).outputs.p as Tensor;
    expect(out.dims).toEqual([2 * 4, 1 * 2 * 2 * 2]);
    const padded = [...frames, ...frames.subarray(32, 48)];
    expect([...(out.data as Float32Array)]).toEqual(transpose(padded, [2, 2, 1, 1, 2, 2, 1, 2, 2], [0, 3, 6, 4, 7, 2, 1, 5, 8]));
  });

  it('refuses bad steps at load and bad values at run with typed errors', async () => {
    writeAssets();
    const variants: [Record<string, unknown>, RegExp][] = [
      [{ weight: 'nope' }, /tensor asset/],
      [{ bias: 'pos' }, /bias of 8 elements/],
    ];
    for (const [patch, message] of variants) {
      const m = stageFManifest('auto');
      const steps = m.steps as Record<string, unknown>[];
      Object.assign(steps[1], patch);
      const e = await failure(folder.load(m));
      expect(e.code).toBe('MANIFEST_INVALID');
      expect(e.message).toMatch(message);
    }
    const odd = stageFManifest('auto');
    Object.assign((odd.steps as Record<string, unknown>[])[2], { gridWidth: 5 });
    expect((await failure(folder.load(odd))).message).toMatch(/multiple of mergeSize/);
    const badDtype = stageFManifest('auto');
    Object.assign((badDtype.steps as Record<string, unknown>[])[0], { dtype: 'int8' });
    expect((await failure(folder.load(badDtype))).code).toBe('MANIFEST_INVALID');
    // An image whose size is not a multiple of patchSize x mergeSize: at run, naming the step.
    const wrong = stageFManifest('auto', { inputs: { image: { type: 'tensor', dtype: 'float32', shape: [1, C, 12, W] } } });
    const e = await failure((await folder.load(wrong)).run({ image: Tensor.zeros('float32', [1, C, 12, W]) }));
    expect(e.code).toBe('HOST_OP_FAILED');
    expect(e.message).toMatch(/multiples of patchSize x mergeSize = 8/);
  });
});
