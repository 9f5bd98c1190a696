import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { QnnNodeError, QnnTypeError } from '../../lib/errors.js';
import { loadAddon } from '../../lib/native/binding.js';
import { mapFileReadOnly, mappingAvailable } from '../../lib/native/mapped-file.js';
import { describeNative, runChild, tempDir, withEnv } from './helpers.js';

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function thrown(fn: () => unknown): Error & { code?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describeNative('mapFile', () => {
  const dir = tempDir();
  const odd = pattern(3 * 4096 + 17, 1); // not a whole number of pages
  const oddPath = path.join(dir, 'odd.bin');
  writeFileSync(oddPath, odd);
  const emptyPath = path.join(dir, 'empty.bin');
  writeFileSync(emptyPath, new Uint8Array(0));
  const subdir = path.join(dir, 'sub');
  mkdirSync(subdir);

  it('maps a whole file: an external ArrayBuffer with the file\'s bytes', () => {
    const m = loadAddon().mapFile!(oddPath);
    expect(m.mapped).toBe(true);
    expect(m.byteLength).toBe(odd.byteLength);
    expect(m.buffer).toBeInstanceOf(ArrayBuffer);
    expect(m.buffer.byteLength).toBe(odd.byteLength);
    expect(Buffer.compare(new Uint8Array(m.buffer), odd)).toBe(0);
    const unicode = path.join(dir, 'tabl\u00e9 \u8868.bin');
    writeFileSync(unicode, odd.subarray(0, 10));
    expect([...new Uint8Array(loadAddon().mapFile!(unicode).buffer)]).toEqual([...odd.subarray(0, 10)]);
  });

  it('writes through the buffer stay private: the file and later mappings are unchanged', () => {
    const m = mapFileReadOnly(oddPath)!;
    expect(m.mapped).toBe(true);
    m.bytes.fill(0xab);
    new Float64Array(m.bytes.buffer, 0, 8).fill(Math.PI);
    expect(m.bytes[m.bytes.byteLength - 1]).toBe(0xab);
    expect(Buffer.compare(readFileSync(oddPath), odd)).toBe(0);
    expect(Buffer.compare(mapFileReadOnly(oddPath)!.bytes, odd)).toBe(0);
  });

  it('throws typed errors naming the path, never crashes', () => {
    const addon = loadAddon();
    const missing = path.join(dir, 'missing.bin');
    for (const [p, code] of [
      [missing, 'FILE_NOT_FOUND'],
      [path.join(oddPath, 'below-a-file'), 'FILE_NOT_FOUND'],
      [subdir, 'NOT_A_FILE'],
      [emptyPath, 'FILE_EMPTY'],
    ] as const) {
      const raw = thrown(() => addon.mapFile!(p));
      expect(raw.code).toBe(code);
      expect(raw.message).toContain(p);
      expect(raw.details).toEqual({ path: p });
      const wrapped = thrown(() => mapFileReadOnly(p));
      expect(wrapped).toBeInstanceOf(QnnNodeError);
      expect(wrapped.code).toBe(code);
      expect(wrapped.details).toEqual({ path: p });
    }
    for (const bad of [42, undefined, null, {}, Buffer.from(oddPath), '', 'a\0b']) {
      const raw = thrown(() => (addon.mapFile as (p: unknown) => unknown)(bad));
      expect(raw).toBeInstanceOf(TypeError);
      expect(raw.code).toBe('ERR_INVALID_ARG');
      expect(raw.message).toMatch(/^Expected .* for path but received /);
    }
    expect(thrown(() => (addon.mapFile as () => unknown)()).code).toBe('ERR_INVALID_ARG');
    expect(thrown(() => mapFileReadOnly(42 as unknown as string))).toBeInstanceOf(QnnTypeError);
  });

  it('QNN_NODE_NO_MMAP=1 turns mapping off (callers read instead)', async () => {
    expect(mappingAvailable()).toBe(true);
    await withEnv({ QNN_NODE_NO_MMAP: '1' }, () => {
      expect(mappingAvailable()).toBe(false);
      expect(mapFileReadOnly(oddPath)).toBeUndefined();
    });
  });

  it('1,000 map/write/GC cycles unmap everything, and a kept view stays valid (child process)', async () => {
    const r = await runChild('map-cycles.ts', ['1000'], {}, 120_000);
    expect(r.stderr).not.toMatch(/Segmentation|Aborted|core dumped/);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      cycles: number;
      growthMb: number;
      peakMappings: number;
      endMappings: number;
      keptOk: boolean;
      fileUnchanged: boolean;
      ms: number;
    };
    console.log(`map cycles: ${s.cycles} in ${s.ms} ms, RSS growth ${s.growthMb.toFixed(2)} MB, live mappings peak ${s.peakMappings} / end ${s.endMappings}`);
    expect(s.cycles).toBe(1000);
    expect(s.keptOk).toBe(true);
    expect(s.fileUnchanged).toBe(true);
    // Leaking would keep 1 MiB of written pages per cycle (~900 MiB) and 900+ mappings.
    expect(s.growthMb).toBeLessThan(48);
    if (process.platform === 'linux') {
      expect(s.endMappings).toBeLessThanOrEqual(1); // the kept view's mapping
      expect(s.peakMappings).toBeLessThan(300);
    }
  }, 130_000);
});
