// Issue 13: getBinary / saveBinary (contextGetBinarySize + contextGetBinary) on contexts
// loaded from a binary: the reference backend re-serializes byte for byte.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { ADD, SHARED, W, describeNative, tempDir, writeBinary } from './helpers.js';

const f32 = (dims: number[], values: number[]) => new Tensor('float32', Float32Array.from(values), dims);

describeNative('context binaries from a context (issue 13)', () => {
  const dir = tempDir();

  it('getBinary returns the bytes the context was loaded from; saveBinary writes them and reports size and time', async () => {
    const file = writeBinary(dir, 'shared.bin', SHARED);
    const original = readFileSync(file);
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(file);
    expect(ctx.origin).toEqual({ kind: 'binary', path: file });
    expect(ctx.composeTimings).toBeUndefined();
    const bytes = await ctx.getBinary();
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(bytes).equals(original)).toBe(true);
    const target = path.join(dir, 'copy.bin');
    const saved = await ctx.saveBinary(target);
    expect(saved).toMatchObject({ path: target, bytes: original.byteLength });
    expect(saved.serializeMs).toBeGreaterThanOrEqual(0);
    expect(readFileSync(target).equals(original)).toBe(true);
    // No temporary file is left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // The saved binary loads and computes the same.
    await using again = await qnn.loadContext(target);
    const x = f32([1, 4], [1, 2, 3, 4]);
    const a = await ctx.graph('decode').run({ x });
    const b = await again.graph('decode').run({ x });
    expect(Array.from(b.y.data as Float32Array)).toEqual(Array.from(a.y.data as Float32Array));
    expect((a.y.data as Float32Array)[0]).toBeCloseTo(W[0] + 2 * W[4] + 3 * W[8] + 4 * W[12], 4);
  });

  it('works for a context loaded from bytes (origin without a path) and replaces an existing file atomically', async () => {
    const bytesIn = readFileSync(writeBinary(dir, 'add.bin', ADD));
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(new Uint8Array(bytesIn));
    expect(ctx.origin).toEqual({ kind: 'binary' });
    const target = path.join(dir, 'existing.bin');
    writeFileSync(target, 'old contents');
    const saved = await ctx.saveBinary(target);
    expect(saved.bytes).toBe(bytesIn.byteLength);
    expect(readFileSync(target).equals(bytesIn)).toBe(true);
    expect(statSync(target).size).toBe(bytesIn.byteLength);
  });

  it('refuses a bad target path, a folder that does not exist (nothing left behind), and a disposed context', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    const ctx = await qnn.loadContext(writeBinary(dir, 'add2.bin', ADD));
    for (const bad of [undefined, '', 3, 'a\0b', {}]) {
      await expect(ctx.saveBinary(bad as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    }
    const missing = path.join(dir, 'no', 'such', 'dir', 'x.bin');
    await expect(ctx.saveBinary(missing)).rejects.toMatchObject({ code: 'ENOENT' });
    // dispose waits for a serialization in flight, then everything is refused.
    const pending = ctx.getBinary();
    await ctx.dispose();
    expect((await pending).byteLength).toBeGreaterThan(0);
    await expect(ctx.getBinary()).rejects.toMatchObject({ code: 'DISPOSED' });
    await expect(ctx.saveBinary(path.join(dir, 'after.bin'))).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});
