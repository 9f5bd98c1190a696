/**
 * Writes the tiny SmolVLA-shaped golden model next to examples/tiny-smolvla/manifest.json:
 *   npx tsx examples/tiny-smolvla/generate.ts <dir>
 *
 * Deterministic (fixed seeds): the weights as float32 .npy files (weights/<name>.npy, what
 * an independent implementation reads), the reference-backend context binaries of both
 * builds (fp32/ and fp16/: vision_encoder, llm_backbone, action_head — see model.ts), an
 * f16 embedding table, a word-level tokenizer.json and LeRobot-style normalization stats
 * (stats.json, the nested format of a dataset's meta/stats.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from '../../lib/random.js';
import { encodeReferenceBinary } from '../../lib/reference/writer.js';
import { encodeNpy } from '../../lib/tensor/npy.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { TINY, WEIGHT_DIMS, actionBinary, backboneBinary, visionBinary, type Precision } from './model.js';

/** The tokenizer's words (ids 3…); 0 <unk>, 1 <pad>, 2 <eos>. */
export const TINY_WORDS = ['pick', 'up', 'the', 'red', 'block', 'and', 'place', 'it', 'in', 'basket', 'open', 'drawer', 'put', 'bowl', 'on', 'plate'];

function gaussian(seed: number, n: number, scale: number): Float32Array {
  const rng = new Prng(seed);
  return Float32Array.from({ length: n }, () => Math.fround(rng.normal() * scale));
}

/** Fixed weights: N(0, 1/fan_in) for matrices, N(0, 0.1²) for biases. */
export function tinyWeights(): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  Object.entries(WEIGHT_DIMS).forEach(([name, dims], i) => {
    const n = dims.reduce((a, b) => a * b, 1);
    out[name] = gaussian(1000 + i, n, dims.length === 2 ? 1 / Math.sqrt(dims[0]) : 0.1);
  });
  return out;
}

function tokenizerJson(): object {
  const vocab: Record<string, number> = { '<unk>': 0, '<pad>': 1, '<eos>': 2 };
  TINY_WORDS.forEach((w, i) => (vocab[w] = i + 3));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [1, 2].map((id) => ({ id, content: id === 1 ? '<pad>' : '<eos>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
  };
}

/** LeRobot dataset stats (meta/stats.json): per feature mean / std (and min / max, unused by MEAN_STD). */
function statsJson(): object {
  const feature = (seed: number, n: number): Record<string, number[]> => {
    const rng = new Prng(seed);
    const mean = Array.from({ length: n }, () => Math.fround(rng.normal() * 0.5));
    const std = Array.from({ length: n }, () => Math.fround(0.2 + rng.next()));
    return { mean, std, min: mean.map((m, i) => m - 3 * std[i]), max: mean.map((m, i) => m + 3 * std[i]) };
  };
  return { 'observation.state': feature(77, TINY.stateDim), action: feature(78, TINY.actionDim) };
}

/** Writes every file of the tiny model into `dir` (the manifest's folder). */
export function generateTinySmolvla(dir: string): void {
  const weights = tinyWeights();
  mkdirSync(join(dir, 'weights'), { recursive: true });
  for (const [name, data] of Object.entries(weights)) writeFileSync(join(dir, 'weights', `${name}.npy`), encodeNpy(new Tensor('float32', data, WEIGHT_DIMS[name])));
  const table = gaussian(500, TINY.vocab * TINY.hidden, 0.5);
  writeFileSync(join(dir, 'embed_tokens_f16.bin'), Tensor.fromFloat32('float16', table, [TINY.vocab, TINY.hidden]).bytes);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
  writeFileSync(join(dir, 'stats.json'), JSON.stringify(statsJson(), null, 1));
  for (const precision of ['fp32', 'fp16'] as Precision[]) {
    mkdirSync(join(dir, precision), { recursive: true });
    writeFileSync(join(dir, precision, 'vision_encoder.bin'), encodeReferenceBinary(visionBinary(weights, precision)));
    writeFileSync(join(dir, precision, 'llm_backbone.bin'), encodeReferenceBinary(backboneBinary(weights, precision)));
    writeFileSync(join(dir, precision, 'action_head.bin'), encodeReferenceBinary(actionBinary(weights, precision)));
  }
}

if (process.argv[1]?.endsWith('generate.ts') && process.argv[2]) {
  generateTinySmolvla(process.argv[2]);
  process.stdout.write(`tiny smolvla written to ${process.argv[2]}\n`);
}
