/**
 * Every example manifest made loadable in a temp folder: the example's files, placeholder
 * context binaries (the mock backend reads signatures), and placeholder assets of the sizes
 * the manifest declares — enough for Pipeline.load, not for a meaningful run. The tiny
 * golden models (no signatures: their graphs are reference binaries) are generated instead.
 */
import { closeSync, copyFileSync, existsSync, ftruncateSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTinyQwen3 } from '../../examples/tiny-qwen3/generate.js';
import { generateTinySmolvla } from '../../examples/tiny-smolvla/generate.js';
import { byteLengthOf } from '../../lib/tensor/dtypes.js';
import { EXAMPLES, copyExample, writeEmbeddingTable, writeTokenizer } from './fixtures.js';
import { writeSafetensors } from './safetensors-fixture.js';

/** [example folder, manifest file, variants to load ([undefined] = the default)]. */
export const CARD_MANIFESTS: readonly (readonly [string, string, readonly (string | undefined)[]])[] = [
  ['qwen3-vl', 'manifest.json', [undefined]],
  ['qwen3-vl', 'text.manifest.json', [undefined]],
  ['smolvla', 'manifest.json', ['fp16', 'fp32']],
  ['sam2', 'manifest.json', [undefined]],
  ['sam2', 'manifest-w8a8.json', [undefined]],
  ['bevfusion', 'manifest.json', [undefined]],
  ['sequencer2d', 'manifest.json', [undefined]],
];
export const TINY_MANIFESTS: readonly (readonly [string, readonly (string | undefined)[]])[] = [
  ['tiny-qwen3', [undefined]],
  ['tiny-smolvla', ['fp16', 'fp32']],
];

type Asset = { type: string; path: string; dtype?: string; shape?: number[]; config?: string };

function sparseFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

/** Copies a card example, applies `edit` to `manifest` (a file of it) and writes placeholder assets for it. */
export function prepareCardExample(name: string, manifest: string, dir: string, edit?: (m: Record<string, any>) => void): void {
  copyExample(name, dir);
  const m = JSON.parse(readFileSync(join(dir, manifest), 'utf8')) as { assets?: Record<string, Asset>; contexts: Record<string, { binary: string }> };
  if (edit) {
    edit(m);
    writeFileSync(join(dir, manifest), JSON.stringify(m, null, 1));
  }
  for (const c of Object.values(m.contexts)) if (!existsSync(join(dir, c.binary))) writeFileSync(join(dir, c.binary), 'placeholder: the mock backend reads signatures');
  for (const a of Object.values(m.assets ?? {})) {
    const path = join(dir, a.path);
    if (existsSync(path)) continue;
    if (a.type === 'tokenizer') writeTokenizer(path, { words: { a: 1 }, specials: {} });
    else if (a.type === 'embedding') writeEmbeddingTable(path, a.shape![0], a.shape![1], a.dtype as 'float16' | 'float32', [], () => 0);
    else if (a.type === 'tensor') sparseFile(path, byteLengthOf(a.dtype as never, a.shape!.reduce((x, y) => x * y, 1)));
    else if (a.type === 'stats') writeSafetensors(path, { 'x.mean': [0], 'x.std': [1] });
    else writeFileSync(path, 'placeholder\n');
  }
}

/** Generates a tiny golden example (reference binaries, weights, manifest) into `dir`. */
export function prepareTinyExample(name: string, dir: string): void {
  if (name === 'tiny-qwen3') generateTinyQwen3(dir);
  else {
    copyFileSync(join(EXAMPLES, 'tiny-smolvla', 'manifest.json'), join(dir, 'manifest.json'));
    generateTinySmolvla(dir);
  }
}
