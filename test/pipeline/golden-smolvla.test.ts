/**
 * Golden test of the SmolVLA-shaped pipeline: examples/tiny-smolvla (vision → backbone KV →
 * 10 flow-matching steps of the action head, with normalization, padding masks and both
 * precision variants) runs on the REFERENCE backend through the addon, and its actions
 * must equal a straightforward float64 implementation of the same model and of LeRobot's
 * sampling loop written here — from the generator's .npy weights, tokenizer.json, stats.json
 * and f16 embedding table, read with this file's own readers (no code shared with the
 * runner or the generator).
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateTinySmolvla } from '../../examples/tiny-smolvla/generate.js';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { Pipeline } from '../../lib/pipeline/runner.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { describeNative } from '../native/helpers.js';
import { EXAMPLES, tempDir } from './fixtures.js';

// ---- independent readers -------------------------------------------------------------
type Mat = number[][];

/** A little-endian float32 .npy (C order) as rows of float64. */
function readNpy(path: string): { shape: number[]; data: number[] } {
  const b = readFileSync(path);
  if (b.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not .npy`);
  const major = b[6];
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + headerLen);
  if (!header.includes("'<f4'") || header.includes('True')) throw new Error(`${path}: expected <f4 C order: ${header}`);
  const shape = (/\(([^)]*)\)/.exec(header)![1].match(/\d+/g) ?? []).map(Number);
  const data: number[] = [];
  for (let at = start + headerLen; at < b.length; at += 4) data.push(b.readFloatLE(at));
  return { shape, data };
}

function halfBits(h: number): number {
  const e = (h >> 10) & 31;
  const m = h & 1023;
  const s = h >> 15 ? -1 : 1;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// ---- float64 math --------------------------------------------------------------------
const rows = (flat: number[], r: number, c: number): Mat => Array.from({ length: r }, (_, i) => flat.slice(i * c, (i + 1) * c));
const mm = (a: Mat, b: Mat): Mat => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const addRow = (a: Mat, bias: number[]): Mat => a.map((row) => row.map((v, j) => v + bias[j]));
const addM = (a: Mat, b: Mat): Mat => a.map((row, i) => row.map((v, j) => v + b[i][j]));

function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    // Maclaurin series: converges to ~1e-13 here.
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc continued fraction (Laplace), accurate for x >= 3.
  let k = ax;
  for (let n = 60; n >= 1; n--) k = ax + n / 2 / k;
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * k));
}
const gelu = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));

/** Softmax of q·kᵀ/√d over the allowed keys (a row with none allowed: uniform over all, as a huge negative fill gives). */
function attend(q: Mat, k: Mat, v: Mat, allowed: (i: number, j: number) => boolean): Mat {
  const d = Math.sqrt(q[0].length);
  return q.map((qi, i) => {
    let keys = k.map((_, j) => j).filter((j) => allowed(i, j));
    if (!keys.length) keys = k.map((_, j) => j);
    const s = keys.map((j) => qi.reduce((acc, x, c) => acc + x * k[j][c], 0) / d);
    const max = Math.max(...s);
    const e = s.map((x) => Math.exp(x - max));
    const z = e.reduce((a, b) => a + b, 0);
    return v[0].map((_, c) => keys.reduce((acc, j, n) => acc + (e[n] / z) * v[j][c], 0));
  });
}

// ---- the model, from its files -------------------------------------------------------
interface Files {
  w: Record<string, Mat>;
  b: Record<string, number[]>;
  vocab: Record<string, number>;
  table: Mat;
  stats: Record<string, { mean: number[]; std: number[] }>;
}

function readModel(dir: string): Files {
  const w: Record<string, Mat> = {};
  const b: Record<string, number[]> = {};
  for (const name of ['w_patch', 'w_state', 'wq', 'wk', 'wv', 'wo', 'wk2', 'wv2', 'w_in', 'w_t', 'w_mlp_in', 'w_mlp_out', 'wq2', 'wo2', 'w_out']) {
    const { shape, data } = readNpy(join(dir, 'weights', `${name}.npy`));
    w[name] = rows(data, shape[0], shape[1]);
  }
  for (const name of ['b_patch', 'b_state', 'b_in', 'b_t', 'b_mlp_in', 'b_mlp_out', 'b_out']) b[name] = readNpy(join(dir, 'weights', `${name}.npy`)).data;
  const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  const bytes = readFileSync(join(dir, 'embed_tokens_f16.bin'));
  const flat = Array.from({ length: bytes.length / 2 }, (_, i) => halfBits(bytes.readUInt16LE(2 * i)));
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as Files['stats'];
  return { w, b, vocab: tok.model.vocab, table: rows(flat, flat.length / 16, 16), stats };
}

interface Observation {
  images: [Uint8Array, Uint8Array];
  task: string;
  state: number[];
}
interface GoldenOptions {
  numSteps?: number;
  /** Ablations: prove the pipeline really applies them (the result must then differ). */
  ignoreLangMask?: boolean;
  skipStateNorm?: boolean;
}

/** SmolVLA's sample_actions on the tiny model, in float64. Returns actions [chunk][action_dim]. */
function golden(f: Files, obs: Observation, noise: number[], options: GoldenOptions = {}): Mat {
  const H = 16;
  const vision = (px: Uint8Array): Mat => {
    const p = (c: number, y: number, x: number): number => px[(y * 8 + x) * 3 + c] * (2 / 255) - 1;
    const patches: Mat = [];
    for (let gy = 0; gy < 2; gy++) for (let gx = 0; gx < 2; gx++) {
      const vec: number[] = [];
      for (let c = 0; c < 3; c++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) vec.push(p(c, gy * 4 + y, gx * 4 + x));
      patches.push(vec);
    }
    return addRow(mm(patches, f.w.w_patch), f.b.b_patch);
  };
  const ids = obs.task.toLowerCase().split(/\s+/).filter(Boolean).map((t) => f.vocab[t]);
  const langIds = [...ids, ...Array<number>(6 - ids.length).fill(1)];
  const langMask = langIds.map((_, i) => (i < ids.length || options.ignoreLangMask ? 1 : 0));
  const { mean, std } = f.stats['observation.state'];
  const state = [...obs.state.map((s, i) => (options.skipStateNorm ? s : (s - mean[i]) / (std[i] + 1e-8))), 0, 0];
  // Prefix [image 0 | image 1 | language | state]; embeddings × √H as LeRobot's embed_prefix.
  const scale = (m: Mat): Mat => m.map((r) => r.map((v) => v * Math.sqrt(H)));
  const x = [...scale(vision(obs.images[0])), ...scale(vision(obs.images[1])), ...scale(langIds.map((id) => f.table[id])), ...addRow(mm([state], f.w.w_state), f.b.b_state)];
  const pad = [...Array<number>(8).fill(1), ...langMask, 1];
  const cum = pad.map((_, i) => (i === 14 ? 1 : 0));
  const ctx = attend(mm(x, f.w.wq), mm(x, f.w.wk), mm(x, f.w.wv), (i, j) => cum[j] <= cum[i] && pad[i] === 1 && pad[j] === 1);
  const h = addM(x, mm(ctx, f.w.wo));
  const keys = mm(h, f.w.wk2);
  const values = mm(h, f.w.wv2);
  const velocity = (xt: Mat, t: number): Mat => {
    const temb = addRow(mm([[t]], f.w.w_t), f.b.b_t)[0].map(Math.tanh);
    // embed_suffix: cat(action_in_proj(x), time_emb) → mlp_in → SiLU → mlp_out
    const cat = addRow(mm(xt, f.w.w_in), f.b.b_in).map((r) => [...r, ...temb]);
    const silu = addRow(mm(cat, f.w.w_mlp_in), f.b.b_mlp_in).map((r) => r.map((v) => v / (1 + Math.exp(-v))));
    const g = addRow(mm(silu, f.w.w_mlp_out), f.b.b_mlp_out);
    const c = attend(mm(g, f.w.wq2), keys, values, (_, j) => pad[j] === 1);
    return addRow(mm(addM(g, mm(c, f.w.wo2)).map((r) => r.map(gelu)), f.w.w_out), f.b.b_out);
  };
  // LeRobot VLAFlowMatching.sample_actions: Euler from t = 1 down to 0.
  const dt = -1 / (options.numSteps ?? 10);
  let xt = rows(noise, 5, 6);
  for (let time = 1; time >= -dt / 2; time += dt) {
    const v = velocity(xt, time);
    xt = xt.map((r, i) => r.map((val, j) => val + dt * v[i][j]));
  }
  const a = f.stats.action;
  return xt.map((r) => r.slice(0, 3).map((val, j) => val * a.std[j] + a.mean[j]));
}

function maxDiff(got: Tensor, want: Mat): number {
  const g = got.toFloat32();
  return Math.max(...want.flat().map((v, i) => Math.abs(g[i] - v)));
}

// ---- the test ------------------------------------------------------------------------
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describeNative('golden tiny SmolVLA: the pipeline on the reference backend = an independent float64 loop', () => {
  let dir: string;
  let files: Files;
  let qnn: Qnn;
  const pixels = (k: number): Uint8Array => Uint8Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * k + 11) % 256);
  const raw = (data: Uint8Array) => ({ width: 8, height: 8, channels: 3 as const, data });
  const obs = (task: string): Observation => ({ images: [pixels(7), pixels(13)], task, state: [0.3, -0.25, 1.1, 0.05] });

  beforeAll(async () => {
    const t = tempDir('golden-vla-');
    dir = t.dir;
    cleanups.push(t.cleanup);
    copyFileSync(join(EXAMPLES, 'tiny-smolvla', 'manifest.json'), join(dir, 'manifest.json'));
    generateTinySmolvla(dir);
    files = readModel(dir);
    qnn = await Qnn.load({ backend: 'reference' });
  });
  afterAll(async () => qnn?.dispose());

  async function run(o: Observation, variant: string, params: Record<string, unknown> = {}): Promise<{ actions: Tensor; noise: number[] }> {
    await using pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend: qnn, variant });
    const result = await pipeline.run({ image: raw(o.images[0]), wrist_image: raw(o.images[1]), task: o.task, state: new Tensor('float32', o.state, [1, 4]) }, { seed: 21, params });
    expect(result.timings.steps.find((s) => s.name === 'action/action_head')?.calls).toBe((params.num_steps as number | undefined) ?? 10);
    return { actions: result.outputs.actions as Tensor, noise: [...(result.outputs.noise as Tensor).toFloat32()] };
  }

  // Bounds: fp32 graphs compute in float32 (vs float64 here); the fp16 build also rounds
  // its I/O, weights, pixels, noise and every x_t to float16 at each of the 10 steps.
  const FP32_BOUND = 2e-5;
  const FP16_BOUND = 2e-2;

  for (const task of ['pick up the red block', 'open drawer', 'put the red bowl on plate']) {
    it(`fp32 variant: actions = float64 golden (prompt "${task}")`, async () => {
      const { actions, noise } = await run(obs(task), 'fp32');
      expect(actions.dims).toEqual([1, 5, 3]);
      const want = golden(files, obs(task), noise);
      const d = maxDiff(actions, want);
      console.log(`golden tiny smolvla fp32 "${task}": max |Δaction| = ${d.toExponential(2)} (bound ${FP32_BOUND})`);
      expect(d).toBeLessThan(FP32_BOUND);
      // The padding mask and the state normalization matter here: leaving either out is far off.
      if (task.split(' ').length < 6) expect(maxDiff(actions, golden(files, obs(task), noise, { ignoreLangMask: true }))).toBeGreaterThan(100 * FP32_BOUND);
      expect(maxDiff(actions, golden(files, obs(task), noise, { skipStateNorm: true }))).toBeGreaterThan(100 * FP32_BOUND);
    });
  }

  it('fp32 variant with num_steps = 4: dt = -1/4 in both', async () => {
    const { actions, noise } = await run(obs('pick up the red block'), 'fp32', { num_steps: 4 });
    const d = maxDiff(actions, golden(files, obs('pick up the red block'), noise, { numSteps: 4 }));
    console.log(`golden tiny smolvla fp32, 4 steps: max |Δaction| = ${d.toExponential(2)}`);
    expect(d).toBeLessThan(FP32_BOUND);
    expect(maxDiff(actions, golden(files, obs('pick up the red block'), noise))).toBeGreaterThan(100 * FP32_BOUND);
  });

  it('fp16 variant (the default): actions = float64 golden within the fp16 bound, and close to the fp32 variant', async () => {
    const o = obs('pick up the red block');
    const fp16 = await run(o, 'fp16');
    const d = maxDiff(fp16.actions, golden(files, o, fp16.noise));
    const fp32 = await run(o, 'fp32');
    const between = maxDiff(fp16.actions, rows([...fp32.actions.toFloat32()], 5, 3));
    console.log(`golden tiny smolvla fp16: max |Δaction| vs float64 = ${d.toExponential(2)}, vs the fp32 variant = ${between.toExponential(2)} (bound ${FP16_BOUND})`);
    expect(d).toBeLessThan(FP16_BOUND);
    expect(between).toBeLessThan(FP16_BOUND);
  });
});
