/**
 * Host cost per pipeline stage at the Qwen3-VL-2B card's shapes (part of `npm run bench --
 * pipeline`):
 *
 * - Stage F (vision input): patchify a 512×512 image into [1024, 1536] patches (16 px,
 *   2 frames, 2×2 merge order); the patch-embed matmul [1024 × 1536] · [1536 × 1024] + bias
 *   on the native kernel (all threads, and one), in the JS fallback and in a textbook
 *   i-k-j JS loop (the baseline: the same multiply-adds with no blocking); the position
 *   embedding add (a 48×48 table resized to 32×32, cached after the first call, and that
 *   first call).
 * - Rope: cos/sin tables for a 320-token prefill (interleaved M-RoPE, [3, 1, 320]
 *   positions, 64 wide, fp16) and for one decode token; the position layout itself.
 * - KV update: one decode row into the [28, 2, 8, 512, 128] fp16 cache (`kv_write` at a
 *   position) and the prefill's 320 rows, against copying the same bytes contiguously.
 * - Sampling: greedy and top-p over 151,936 fp16 logits.
 */
import { nativeMatmulAvailable } from '../../lib/native/host-matmul.js';
import { matmulF32, matmulJs, matmulWeight, rowMajorWeight } from '../../lib/pipeline/ops/matmul.js';
import { writeMropePositions } from '../../lib/pipeline/ops/mrope-layout.js';
import { patchifyInto } from '../../lib/pipeline/ops/patchify.js';
import { cachedPosEmbed, interpolatePosEmbed } from '../../lib/pipeline/ops/pos-embed.js';
import { writeRopeTables, rangePositions, tensorPositions } from '../../lib/pipeline/ops/rope.js';
import { Sampler } from '../../lib/pipeline/ops/sample.js';
import { kvWrite } from '../../lib/pipeline/ops/tensor.js';
import { Prng } from '../../lib/random.js';
import { numberToHalf } from '../../lib/tensor/fp16.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import type { Bench } from './harness.js';

const IMAGE = 512;
const PATCH = 16;
const TOKENS = (IMAGE / PATCH) ** 2; // 1024 patches
const K = 3 * 2 * PATCH * PATCH; // 1536
const VISION_HIDDEN = 1024;
const POS_GRID = 48; // num_position_embeddings 2304
const VISION_ENCODE_MS = 161; // the card's NPU vision encode
const KV_DIMS = [28, 2, 8, 512, 128];
const PREFILL = 320;
const VOCAB = 151_936;

function randomFloats(n: number, seed: number): Float32Array {
  const rng = new Prng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * 0.05;
  return out;
}

/** Textbook i-k-j matmul (row axpy per k), no blocking: the baseline. */
function naiveMatmul(a: Float32Array, w: Float32Array, bias: Float32Array, out: Float32Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const o = i * n;
    for (let j = 0; j < n; j++) out[o + j] = bias[j];
    for (let kk = 0; kk < k; kk++) {
      const x = a[i * k + kk];
      const wr = kk * n;
      for (let j = 0; j < n; j++) out[o + j] += x * w[wr + j];
    }
  }
}

async function stageF(bench: Bench): Promise<void> {
  const image = new Tensor('float32', randomFloats(3 * IMAGE * IMAGE, 1), [3, IMAGE, IMAGE]);
  const patches = new Float32Array(TOKENS * K);
  bench.case('stage F: patchify 512x512 -> [1024, 1536]', () => patchifyInto(image, { patchSize: PATCH, temporalPatchSize: 2, mergeSize: 2 }, patches), {
    note: 'merge-window order, 2 frames per patch',
  });
  const kernel = new Tensor('float32', randomFloats(VISION_HIDDEN * K, 2), [VISION_HIDDEN, 3, 2, PATCH, PATCH]);
  const weight = matmulWeight(kernel, true);
  const bias = randomFloats(VISION_HIDDEN, 3);
  const out = new Float32Array(TOKENS * VISION_HIDDEN);
  const flops = 2 * TOKENS * K * VISION_HIDDEN;
  const gflops = (ms: number): string => `${(flops / ms / 1e6).toFixed(1)} GFLOP/s`;
  const base = 'stage F: patch-embed, textbook JS i-k-j loop (baseline)';
  const naive = bench.case(base, () => naiveMatmul(patches, rowMajorWeight(weight), bias, out, TOKENS, K, VISION_HIDDEN), { warmup: 0, iterations: 2, minTimeMs: 0 });
  const notes: string[] = [`baseline ${gflops(naive.stats.median)}`];
  if (nativeMatmulAvailable()) {
    await matmulF32(patches, weight, bias, out, TOKENS, 'native'); // packs the weight once
    for (const threads of [undefined, 1] as const) {
      // CPU time of the process (all threads) per call: on a shared machine, wall time also counts waiting for a core.
      const cpu0 = process.cpuUsage();
      const r = await bench.caseAsync(
        `stage F: patch-embed [1024x1536]·[1536x1024] + bias, native${threads ? ', 1 thread' : ''}`,
        () => matmulF32(patches, weight, bias, out, TOKENS, 'native', threads),
        { baseline: base, warmup: 2, iterations: 10, minTimeMs: 0 },
      );
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000 / (r.stats.samples + 2);
      notes.push(`native${threads ? ' 1 thread' : ''} ${r.stats.median.toFixed(1)} ms wall (${cpuMs.toFixed(1)} ms CPU per call) = ${((100 * r.stats.median) / VISION_ENCODE_MS).toFixed(0)}% of the card's ${VISION_ENCODE_MS} ms NPU vision encode, ${gflops(r.stats.median)}`);
    }
  } else {
    console.warn('bench pipeline: the native addon is not available, the native patch-embed cases are skipped');
  }
  const js = bench.case('stage F: patch-embed, JS fallback (blocked)', () => matmulJs(patches, rowMajorWeight(weight), bias, out, TOKENS, K, VISION_HIDDEN), {
    baseline: base,
    warmup: 1,
    iterations: 3,
    minTimeMs: 0,
  });
  notes.push(`JS fallback ${gflops(js.stats.median)}`);
  // stderr: stdout is the report (a table, or the --json document).
  console.error(`  stage F patch-embed: ${notes.join('; ')}`);
  const table = new Tensor('float32', randomFloats(POS_GRID * POS_GRID * VISION_HIDDEN, 4), [POS_GRID * POS_GRID, VISION_HIDDEN]);
  const grid = { gridHeight: IMAGE / PATCH, gridWidth: IMAGE / PATCH, mergeSize: 2 };
  bench.case('stage F: position embedding 48x48 -> 32x32, first call (interpolation)', () => interpolatePosEmbed(table, grid), { warmup: 1, iterations: 5, minTimeMs: 0 });
  const hidden = new Float32Array(TOKENS * VISION_HIDDEN);
  bench.case('stage F: pos_embed_add (interpolated table cached)', () => {
    const pos = cachedPosEmbed(table, grid);
    for (let i = 0; i < hidden.length; i++) hidden[i] = out[i] + pos[i];
  });
}

function rope(bench: Bench): void {
  const layout = Tensor.zeros('int32', [3, 1, PREFILL]);
  bench.case('rope: mrope_positions, [4 text, 16x16 vision, 7 text] padded to 320', () => writeMropePositions({ prefix: 4, gridHeight: 16, gridWidth: 16, suffix: 7 }, layout));
  const positions = tensorPositions(layout);
  const cos = Tensor.zeros('float16', [1, PREFILL, 64]);
  const sin = Tensor.zeros('float16', [1, PREFILL, 64]);
  const options = { headDim: 128, theta: 5_000_000, dtype: 'float16' as const, sections: [24, 20, 20], interleaved: true };
  bench.case('rope: rope_table prefill 320 x 64, fp16, interleaved M-RoPE', () => writeRopeTables(positions, options, cos, sin));
  const cos1 = Tensor.zeros('float16', [1, 1, 64]);
  const sin1 = Tensor.zeros('float16', [1, 1, 64]);
  let p = 280;
  bench.case('rope: rope_table decode 1 x 64, fp16', () => writeRopeTables(rangePositions(p++ % 512, 1), options, cos1, sin1));
}

function kv(bench: Bench): void {
  const cache = Tensor.zeros('float16', KV_DIMS);
  const row = Tensor.zeros('float16', [28, 2, 8, 1, 128]);
  const prefill = Tensor.zeros('float16', [28, 2, 8, PREFILL, 128]);
  const rowBytes = new Uint8Array(row.bytes.byteLength);
  const rowCopy = new Uint8Array(row.bytes.byteLength);
  const base = 'KV: copy one decode row\'s bytes contiguously (Uint8Array.set)';
  bench.case(base, () => rowCopy.set(rowBytes), { note: `${rowBytes.byteLength.toLocaleString('en-US')} bytes` });
  let pos = 0;
  bench.case('KV: kv_write one decode row into [28,2,8,512,128] f16', () => kvWrite(cache, row, 3, PREFILL + (pos++ % 100)), { baseline: base, note: '448 strided chunks of 256 bytes' });
  const big = new Uint8Array(prefill.bytes.byteLength);
  const bigCopy = new Uint8Array(big.byteLength);
  const baseBig = 'KV: copy the prefill\'s KV bytes contiguously (Uint8Array.set)';
  bench.case(baseBig, () => bigCopy.set(big), { note: `${big.byteLength.toLocaleString('en-US')} bytes` });
  bench.case('KV: kv_write the prefill copy (320 rows) into the cache', () => kvWrite(cache, prefill, 3, 0), { baseline: baseBig });
}

function sampling(bench: Bench): void {
  const rng = new Prng(5);
  const logits = Tensor.zeros('float16', [1, 1, VOCAB]);
  const data = logits.data as Uint16Array;
  for (let i = 0; i < VOCAB; i++) data[i] = numberToHalf(rng.normal() * 3);
  const sampler = new Sampler();
  bench.case('sampling: greedy over 151,936 fp16 logits', () => sampler.sample(logits, { temperature: 0 }, rng));
  bench.case('sampling: T 0.7, top-k 50, top-p 0.9', () => sampler.sample(logits, { temperature: 0.7, topK: 50, topP: 0.9 }, rng));
}

/** The per-stage cases, in pipeline order. */
export async function stageCases(bench: Bench): Promise<void> {
  await stageF(bench);
  rope(bench);
  kv(bench);
  sampling(bench);
}
