/**
 * Writes the golden tiny Qwen3 (examples/tiny-qwen3/README.md) into a folder:
 *   npx tsx examples/tiny-qwen3/generate.ts [out-dir]     (default: this folder)
 *
 * - llm.bin: reference-backend context, graphs `prefill` (P=320, KV-emitting) + `decode`
 *   (AR-1, KV cache of 512 slots), weight-shared;
 * - lmhead.bin: reference-backend context, graph `lm_head`;
 * - embed_f16.bin: the f16 embedding table [vocab, hidden] (raw, row-major);
 * - tokenizer.json: a word-level tokenizer, token i is the word `t<i>`;
 * - weights/<name>.npy: every other weight as float32 ([in, out] for projections);
 * - manifest.json: copied from this folder when writing elsewhere.
 * Deterministic: the same seed writes the same bytes.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeReferenceBinary } from '../../lib/reference/writer.js';
import { encodeNpy } from '../../lib/tensor/npy.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { llmBinary, lmHeadBinary } from './graphs.js';
import { TINY_QWEN3, generateWeights, type TinyQwen3Config } from './model.js';

export const TINY_QWEN3_DIR = dirname(fileURLToPath(import.meta.url));

/** A WordLevel tokenizer.json over the words t0 … t<vocab-1> (whitespace split, no specials). */
export function tinyTokenizerJson(vocab: number): string {
  const words = Object.fromEntries(Array.from({ length: vocab }, (_, i) => [`t${i}`, i]));
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: false },
    model: { type: 'WordLevel', vocab: words, unk_token: 't0' },
  });
}

/** Writes every file of the golden model into `dir`; returns the paths written. */
export function generateTinyQwen3(dir: string, config: TinyQwen3Config = TINY_QWEN3): string[] {
  const weights = generateWeights(config);
  mkdirSync(join(dir, 'weights'), { recursive: true });
  const written: string[] = [];
  const write = (name: string, bytes: Uint8Array | string): void => {
    writeFileSync(join(dir, name), bytes);
    written.push(join(dir, name));
  };
  write('llm.bin', encodeReferenceBinary(llmBinary(config, weights)));
  write('lmhead.bin', encodeReferenceBinary(lmHeadBinary(config, weights)));
  write('embed_f16.bin', new Uint8Array(weights.embedF16.buffer, weights.embedF16.byteOffset, weights.embedF16.byteLength));
  write('tokenizer.json', tinyTokenizerJson(config.vocab));
  for (const [name, t] of weights.tensors) write(join('weights', `${name}.npy`), encodeNpy(new Tensor('float32', t.data, t.dims)));
  if (resolve(dir) !== resolve(TINY_QWEN3_DIR)) {
    copyFileSync(join(TINY_QWEN3_DIR, 'manifest.json'), join(dir, 'manifest.json'));
    written.push(join(dir, 'manifest.json'));
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? TINY_QWEN3_DIR);
  const files = generateTinyQwen3(out);
  process.stdout.write(`wrote ${files.length} files into ${out}\n`);
}
