/** Small generated assets for pipeline tests: tokenizer.json, PNGs, embedding tables, example copies. */
import { closeSync, copyFileSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';
import { numberToHalf } from '../../lib/tensor/fp16.js';

export const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

export function tempDir(prefix = 'qnn-pipeline-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TinyTokenizer {
  readonly words: Readonly<Record<string, number>>;
  readonly specials: Readonly<Record<string, number>>;
}

/**
 * A WordLevel tokenizer.json (lowercase, whitespace split) with the given words and special
 * (added) tokens at the given ids; decodes with spaces between words.
 */
export function writeTokenizer(path: string, tok: TinyTokenizer): void {
  const vocab: Record<string, number> = { '<unk>': 0, ...tok.words, ...tok.specials };
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: Object.entries(tok.specials).map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
  };
  writeFileSync(path, JSON.stringify(json));
}

/** An RGB(A) PNG whose pixel (x, y) is fn(x, y) = [r, g, b]. */
export function pngBytes(width: number, height: number, fn: (x: number, y: number) => [number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = fn(x, y);
      const i = (y * width + x) * 4;
      png.data[i] = r;
      png.data[i + 1] = g;
      png.data[i + 2] = b;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/**
 * A [vocab, hidden] table file of the full size, sparse: only the rows in `ids` are
 * written (value(id, d)), the rest read as zeros. A 600 MB table costs a few KB of disk.
 */
export function writeEmbeddingTable(path: string, vocab: number, hidden: number, dtype: 'float16' | 'float32', ids: Iterable<number>, value: (id: number, d: number) => number): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = dtype === 'float16' ? 2 : 4;
    ftruncateSync(fd, vocab * hidden * bytes);
    for (const id of ids) {
      const row = dtype === 'float16' ? new Uint16Array(hidden) : new Float32Array(hidden);
      for (let d = 0; d < hidden; d++) row[d] = dtype === 'float16' ? numberToHalf(value(id, d)) : value(id, d);
      writeSync(fd, new Uint8Array(row.buffer), 0, row.byteLength, id * hidden * bytes);
    }
  } finally {
    closeSync(fd);
  }
}

/** Copies an example folder (manifest + signatures) and creates placeholder context binaries. */
export function copyExample(name: string, dir: string): Record<string, unknown> {
  for (const f of readdirSync(join(EXAMPLES, name))) copyFileSync(join(EXAMPLES, name, f), join(dir, f));
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    contexts: Record<string, { binary: string }>;
    variants?: Record<string, { contexts?: Record<string, { binary?: string }> }>;
  };
  const binaries = [...Object.values(manifest.contexts), ...Object.values(manifest.variants ?? {}).flatMap((v) => Object.values(v.contexts ?? {}))].map((c) => c.binary);
  for (const binary of binaries) {
    if (binary === undefined) continue;
    mkdirSync(dirname(join(dir, binary)), { recursive: true });
    writeFileSync(join(dir, binary), 'placeholder: the mock backend reads signatures, not binaries');
  }
  return manifest as unknown as Record<string, unknown>;
}

/** Deterministic values in [-1, 1) (a 32-bit LCG): test data for numeric kernels. */
export function seededValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x / 2 ** 31 - 1;
  }
  return out;
}
