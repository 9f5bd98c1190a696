/**
 * Host-side work of one Qwen3-VL-2B decode step (seeds/qwen3-vl-2b-hexagon-model-card):
 * widening the 151,936 fp16 logits to fp32, sampling a token (greedy, and top-p with
 * temperature), and gathering 320 rows (the prefill length) of the [151936, 2048] fp16
 * embedding table — memory-mapped (the pipeline's default with the addon), read whole, and
 * per row (pread, the fallback). Uses the pipeline's host ops (Sampler, EmbeddingTable) and
 * the tensor fp16 conversion. The 622 MB table is written to a temp file and deleted
 * afterwards. (scripts/bench/sampling.ts and pipeline.ts go deeper into sampling modes and
 * per-step runner overhead.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Prng } from '../../lib/random.js';
import { EmbeddingTable } from '../../lib/pipeline/assets.js';
import { Sampler } from '../../lib/pipeline/ops/sample.js';
import { float16ToFloat32, float32ToFloat16 } from '../../lib/tensor/fp16.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import type { BenchSection } from './harness.js';

const VOCAB = 151_936;
const HIDDEN = 2048;
const PREFILL = 320;

function randomLogits(n: number, seed: number): Float32Array {
  const rng = new Prng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * 3;
  return out;
}

/** Writes a [VOCAB, HIDDEN] fp16 table in 64 MiB chunks; returns its path. */
function writeTable(dir: string): string {
  const file = path.join(dir, 'embed_f16.bin');
  const fd = fs.openSync(file, 'w');
  try {
    const rowsPerChunk = 8192;
    const chunk = new Uint16Array(rowsPerChunk * HIDDEN);
    for (let i = 0; i < chunk.length; i++) chunk[i] = 0x3c00 ^ (i & 0x3ff); // varied halves around 1.0
    for (let row = 0; row < VOCAB; row += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, VOCAB - row);
      fs.writeSync(fd, new Uint8Array(chunk.buffer, 0, rows * HIDDEN * 2));
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

const section: BenchSection = {
  name: 'hostops',
  description: 'host ops of a Qwen3-VL decode step: 151,936 fp16 logits, sampling, 320-row gather from a [151936, 2048] fp16 table',
  async run(bench) {
    // Logits.
    const f32 = randomLogits(VOCAB, 1);
    const half = float32ToFloat16(f32);
    const dst = new Float32Array(VOCAB);
    const logits = new Tensor('float16', half, [1, VOCAB]);
    bench.case('copy 151,936 fp32', () => dst.set(f32), { note: `${(VOCAB * 4).toLocaleString('en-US')} bytes` });
    bench.case('fp16->fp32 151,936 logits', () => float16ToFloat32(half, dst), { baseline: 'copy 151,936 fp32' });
    const sampler = new Sampler();
    const rng = new Prng(7);
    bench.case('sample greedy (fp16 argmax)', () => sampler.sample(logits, {}, rng), { baseline: 'fp16->fp32 151,936 logits' });
    bench.case('sample top-p 0.9, T 0.7', () => sampler.sample(logits, { temperature: 0.7, topP: 0.9 }, rng), {
      baseline: 'fp16->fp32 151,936 logits',
    });
    bench.case('sample top-k 50 + top-p 0.9, T 0.7', () => sampler.sample(logits, { temperature: 0.7, topK: 50, topP: 0.9 }, rng), {
      baseline: 'fp16->fp32 151,936 logits',
    });

    // Embedding gather.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-bench-hostops-'));
    try {
      const file = writeTable(dir);
      const ids = new Int32Array(PREFILL);
      const idRng = new Prng(3);
      for (let i = 0; i < PREFILL; i++) ids[i] = idRng.nextUint32() % VOCAB;
      const rowBytes = HIDDEN * 2;
      const out = Tensor.zeros('float16', [1, PREFILL, HIDDEN]);
      const outBytes = out.bytes;
      // The pipeline's default (memory-mapped when the addon is there), and its two fallbacks.
      const mapped = new EmbeddingTable(file, 'float16', [VOCAB, HIDDEN], 0, 'lazy');
      const memory = new EmbeddingTable(file, 'float16', [VOCAB, HIDDEN], 0, 'memory', { map: false });
      const lazy = new EmbeddingTable(file, 'float16', [VOCAB, HIDDEN], 0, 'lazy', { map: false });
      const table = fs.readFileSync(file); // the plain-copy floor: same rows, subarray + set
      try {
        bench.case(
          'copy 320 rows (Uint8Array.set)',
          () => {
            for (let i = 0; i < PREFILL; i++) outBytes.set(table.subarray(ids[i] * rowBytes, (ids[i] + 1) * rowBytes), i * rowBytes);
          },
          { note: `${(PREFILL * rowBytes).toLocaleString('en-US')} bytes from a 622 MB table` },
        );
        bench.case(`gather 320 rows (EmbeddingTable ${mapped.mapped ? 'memory-mapped' : 'default, not mapped'})`, () => mapped.gather(ids, out), {
          baseline: 'copy 320 rows (Uint8Array.set)',
        });
        bench.case('gather 320 rows (EmbeddingTable memory)', () => memory.gather(ids, out), { baseline: 'copy 320 rows (Uint8Array.set)' });
        bench.case('gather 320 rows (EmbeddingTable lazy, pread)', () => lazy.gather(ids, out), {
          baseline: 'copy 320 rows (Uint8Array.set)',
          note: 'page cache warm',
        });
        const out32 = Tensor.zeros('float32', [1, PREFILL, HIDDEN]);
        bench.case('gather 320 rows -> fp32 (memory)', () => memory.gather(ids, out32), { baseline: 'copy 320 rows (Uint8Array.set)' });
      } finally {
        mapped.close();
        memory.close();
        lazy.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default section;
