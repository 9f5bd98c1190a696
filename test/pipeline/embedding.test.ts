/**
 * Embedding tables through the native memory mapping (lib/native/mapped-file.ts) against
 * the read paths (lazy pread, whole file in memory). Without the addon the mapped cases
 * are skipped locally (mapping is optional: the tables read instead) and fail under CI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddingTable, PipelineAssets, Tensor } from '../../lib/index.js';
import { mappingAvailable } from '../../lib/native/mapped-file.js';
import { tempDir } from './fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const canMap = mappingAvailable() || Boolean(process.env.CI);

/** A dense random table (every byte set) behind a header of `offset` bytes. */
function writeDense(path: string, vocab: number, hidden: number, bytesPerValue: number, offset: number): Uint8Array {
  const file = new Uint8Array(offset + vocab * hidden * bytesPerValue);
  let x = 12345;
  for (let i = 0; i < file.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    file[i] = x >>> 24;
  }
  // Keep fp16 values finite (exponent bits not all ones) so conversions compare exactly.
  if (bytesPerValue === 2) for (let i = offset + 1; i < file.length; i += 2) file[i] &= 0xbf;
  if (bytesPerValue === 4) for (let i = offset + 3; i < file.length; i += 4) file[i] &= 0xbf;
  writeFileSync(path, file);
  return file;
}

function caught(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe.runIf(canMap)('embedding tables, memory-mapped', () => {
  const VOCAB = 257;
  const HIDDEN = 24;
  const OFFSET = 64;
  const ids = [0, 256, 5, 5, 128, 77, 1, 255];

  for (const dtype of ['float16', 'float32'] as const) {
    it(`gathers the same rows as the read paths (${dtype} table, offset ${OFFSET})`, () => {
      const { dir, cleanup } = tempDir();
      cleanups.push(cleanup);
      const path = join(dir, 'embed.bin');
      writeDense(path, VOCAB, HIDDEN, dtype === 'float16' ? 2 : 4, OFFSET);
      const mapped = new EmbeddingTable(path, dtype, [VOCAB, HIDDEN], OFFSET, 'lazy');
      const mappedMemory = new EmbeddingTable(path, dtype, [VOCAB, HIDDEN], OFFSET, 'memory');
      const lazy = new EmbeddingTable(path, dtype, [VOCAB, HIDDEN], OFFSET, 'lazy', { map: false });
      const memory = new EmbeddingTable(path, dtype, [VOCAB, HIDDEN], OFFSET, 'memory', { map: false });
      expect([mapped.mapped, mappedMemory.mapped, lazy.mapped, memory.mapped]).toEqual([true, true, false, false]);
      for (const outDtype of ['float16', 'float32'] as const) {
        const rows = [mapped, mappedMemory, lazy, memory].map((t) => t.gather(ids, Tensor.zeros(outDtype, [1, ids.length, HIDDEN])).bytes);
        for (const r of rows.slice(1)) expect(Buffer.compare(r, rows[0])).toBe(0);
      }
      for (const t of [mapped, mappedMemory, lazy, memory]) t.close();
    });
  }

  it('out-of-range and non-integer ids throw the same typed error as the read path', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'embed.bin');
    writeDense(path, VOCAB, HIDDEN, 2, 0);
    const mapped = new EmbeddingTable(path, 'float16', [VOCAB, HIDDEN], 0, 'lazy');
    const read = new EmbeddingTable(path, 'float16', [VOCAB, HIDDEN], 0, 'lazy', { map: false });
    expect(mapped.mapped).toBe(true);
    for (const bad of [VOCAB, -1, 1.5, Number.NaN, 2 ** 40]) {
      const a = caught(() => mapped.gather([3, bad], Tensor.zeros('float16', [2, HIDDEN])));
      const b = caught(() => read.gather([3, bad], Tensor.zeros('float16', [2, HIDDEN])));
      expect(a).toBeInstanceOf(RangeError);
      expect(a.code).toBe('ERR_OUT_OF_RANGE');
      expect(a.message).toBe(b.message);
      expect(a.message).toContain(path);
    }
    mapped.close();
    expect(caught(() => mapped.gather([1], Tensor.zeros('float16', [1, HIDDEN]))).code).toBe('DISPOSED');
    read.close();
  });

  it('writing into gathered tensors never modifies the file or the table', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'embed.bin');
    const original = writeDense(path, VOCAB, HIDDEN, 2, 0);
    const table = new EmbeddingTable(path, 'float16', [VOCAB, HIDDEN], 0, 'lazy');
    expect(table.mapped).toBe(true);
    const first = table.gather(ids, Tensor.zeros('float16', [ids.length, HIDDEN]));
    const expected = Uint8Array.from(first.bytes);
    first.bytes.fill(0xee);
    (first.data as Uint16Array)[0] = 0x7c00;
    const again = table.gather(ids, Tensor.zeros('float16', [ids.length, HIDDEN]));
    expect(Buffer.compare(again.bytes, expected)).toBe(0);
    table.close();
    expect(Buffer.compare(readFileSync(path), original)).toBe(0);
  });

  it('a table shorter than its shape is FILE_TRUNCATED; missing files keep a code', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'embed.bin');
    writeDense(path, 10, HIDDEN, 2, 0);
    expect(caught(() => new EmbeddingTable(path, 'float16', [11, HIDDEN], 0, 'lazy')).code).toBe('FILE_TRUNCATED');
    expect(caught(() => new EmbeddingTable(join(dir, 'none.bin'), 'float16', [10, HIDDEN], 0, 'lazy')).code).toBe('FILE_NOT_FOUND');
  });

  it('pipeline assets map their tables; QNN_NODE_NO_MMAP=1 falls back to reads', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    writeDense(join(dir, 'embed.bin'), VOCAB, HIDDEN, 2, 0);
    const entries = { embed: { type: 'embedding', path: 'embed.bin', dtype: 'float16', shape: [VOCAB, HIDDEN] } } as const;
    const open = (): EmbeddingTable => {
      const assets = new PipelineAssets(entries, dir);
      assets.open();
      cleanups.push(() => assets.close());
      return assets.embedding('embed');
    };
    const mapped = open();
    expect(mapped.mapped).toBe(true);
    const saved = process.env.QNN_NODE_NO_MMAP;
    process.env.QNN_NODE_NO_MMAP = '1';
    try {
      const read = open();
      expect(read.mapped).toBe(false);
      expect(read.mode).toBe('memory');
      const a = mapped.gather(ids, Tensor.zeros('float16', [ids.length, HIDDEN]));
      const b = read.gather(ids, Tensor.zeros('float16', [ids.length, HIDDEN]));
      expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.QNN_NODE_NO_MMAP;
      else process.env.QNN_NODE_NO_MMAP = saved;
    }
  });
});
