import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Qnn, readContextSignature } from '../../lib/backend/qnn/index.js';
import type { ContextSignature } from '../../lib/backend/types.js';
import { QnnNodeError } from '../../lib/errors.js';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import { ADD, QUANT, SHARED, describeNative, repoRoot, tempDir, withEnv, writeBinary } from './helpers.js';

describeNative('readContextSignature (QnnSystem only)', () => {
  const dir = tempDir();
  const binaries = [
    writeBinary(dir, 'add.bin', ADD),
    writeBinary(dir, 'shared.bin', SHARED),
    writeBinary(dir, 'quant.bin', QUANT),
    path.join(repoRoot, 'examples', 'reference', 'example.bin'),
  ];

  it('reports what qnn.loadContext reports for the same binary (ids, dtypes, dims, quant)', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    for (const file of binaries) {
      const sig = await readContextSignature(file, { system: 'reference' });
      expect(sig.format).toBe('qnn-node-signature');
      expect(sig.source).toBe(file);
      await using ctx = await qnn.loadContext(file);
      const expected = ctx.graphs.map((g) => ({ name: g.name, inputs: g.inputs, outputs: g.outputs }));
      expect(JSON.parse(JSON.stringify(sig.graphs)), file).toEqual(JSON.parse(JSON.stringify(expected)));
      // bytes give the same
      const fromBytes = await readContextSignature(new Uint8Array(readFileSync(file)), { system: 'reference' });
      expect(fromBytes.graphs).toEqual(sig.graphs);
    }
  });

  it('takes the system library by path, and the addon reports what it loaded', async () => {
    const system = referenceBackendPaths().system;
    const sig = await readContextSignature(binaries[0], { system });
    expect(sig.graphs.map((g) => g.name)).toEqual(['add']);
    const info = await loadAddon().readBinaryInfo!(system, binaries[0]);
    expect(info.systemApiVersion).toMatch(/^1\.\d+\.\d+$/);
    expect([48, 64, 88]).toContain(info.graphInfoStride);
    expect(info.binaryBytes).toBe(readFileSync(binaries[0]).byteLength);
  });

  it('corrupt bytes → BINARY_INVALID', async () => {
    const bytes = new Uint8Array(readFileSync(binaries[0]));
    bytes[200] ^= 0xff;
    await expect(readContextSignature(bytes, { system: 'reference' })).rejects.toMatchObject({ code: 'BINARY_INVALID' });
    await expect(readContextSignature(new Uint8Array(64).fill(7), { system: 'reference' })).rejects.toMatchObject({ code: 'BINARY_INVALID' });
  });

  it('missing library → LIBRARY_LOAD_FAILED listing what was tried', async () => {
    const err = await readContextSignature(binaries[0], { system: '/nonexistent/libQnnSystem.so' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QnnNodeError);
    expect(err).toMatchObject({ code: 'LIBRARY_LOAD_FAILED', details: { library: 'system' } });
    expect((err as Error).message).toContain('/nonexistent/libQnnSystem.so');
    // a file that exists but is no library
    const err2 = await readContextSignature(binaries[0], { system: binaries[0] }).catch((e: unknown) => e);
    expect(err2).toMatchObject({ code: 'LIBRARY_LOAD_FAILED' });
  });

  it('a missing binary → FILE_NOT_FOUND; bad arguments → ERR_INVALID_ARG', async () => {
    await expect(readContextSignature(path.join(dir, 'nope.bin'), { system: 'reference' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(readContextSignature(42 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(readContextSignature(binaries[0], { sdkMinor: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });

  it('System 1.1: decides the 48/64-byte GraphInfo layout from the data, without sdkMinor', async () => {
    const expected = await readContextSignature(binaries[1], { system: 'reference' });
    expect(expected.graphs.length).toBeGreaterThan(1);
    const system = referenceBackendPaths().system;
    for (const [backend, stride, wrongMinor] of [['5.23.0', 48, 25], ['5.25.0', 64, 23]] as const) {
      await withEnv({ QNN_REFERENCE_API_VERSION: `core=2.18.0,system=1.1.0,backend=${backend}` }, async () => {
        for (const isolate of [true, false]) {
          const sig = await readContextSignature(binaries[1], { system: 'reference', isolate });
          expect(sig.graphs, `${backend} isolate=${isolate}`).toEqual(expected.graphs);
        }
        const info = await loadAddon().readBinaryInfo!(system, binaries[1]);
        expect(info).toMatchObject({ graphInfoStride: stride, graphInfoStrideSource: 'data', systemApiVersion: '1.1.0' });
        // a wrong SDK version does not override what the data says
        const wrong = await readContextSignature(binaries[1], { system: 'reference', sdkMinor: wrongMinor, isolate: false });
        expect(wrong.graphs).toEqual(expected.graphs);
        expect((await loadAddon().readBinaryInfo!(system, binaries[1], wrongMinor)).graphInfoStride).toBe(stride);
        // one graph: the stride does not matter
        const one = await loadAddon().readBinaryInfo!(system, binaries[0]);
        expect(one).toMatchObject({ graphInfoStrideSource: 'single-graph', graphInfoStride: null });
        expect(one.graphs.map((g) => g.name)).toEqual(['add']);
      });
    }
  });

  it('reports the binary\'s producer (best effort) from QnnSystem\'s buildId, else from the text', async () => {
    const producer = 'v2.25.0.240728104910_97711';
    const file = writeBinary(dir, 'produced.bin', { ...ADD, producer });
    for (const isolate of [true, false]) {
      const sig = await readContextSignature(file, { system: 'reference', isolate });
      expect(sig.producer).toEqual({ buildId: producer, sdkVersion: '2.25.0', bestEffort: true, source: 'binary-info' });
    }
    expect((await readContextSignature(binaries[0], { system: 'reference' })).producer).toBeUndefined();
  });

  it('a binary made by a newer SDK: the error names the producer SDK, the library that read it and the fix', async () => {
    const file = writeBinary(dir, 'newer.bin', { ...ADD, producer: 'v2.48.0.251020123456_123456' });
    // the reference system emulates SDK 2.25 (backend API 5.25) and System API 1.1
    await withEnv({ QNN_REFERENCE_API_VERSION: 'core=2.18.0,system=1.1.0,backend=5.25.0' }, async () => {
      const err = (await readContextSignature(file, { system: 'reference' }).catch((e: unknown) => e)) as QnnNodeError;
      expect(err).toMatchObject({ code: 'BINARY_INVALID', details: { statusName: 'QNN_SYSTEM_CONTEXT_ERROR_MALFORMED_BINARY' } });
      expect(err.message).toContain('QNN SDK 2.48.0');
      expect(err.message).toContain('v2.48.0.251020123456_123456');
      expect(err.message).toContain('System API 1.1.0');
      expect(err.message).toContain('QNN SDK 2.27 or older');
      expect(err.message).toMatch(/Fix: use the libraries of QNN SDK 2\.48 or newer/);
      expect(err.details.producer).toMatchObject({ sdkVersion: '2.48.0', bestEffort: true, source: 'text' });
      // the library's SDK given: stated as such
      const withSdk = (await readContextSignature(file, { system: 'reference', sdkMinor: 25 }).catch((e: unknown) => e)) as QnnNodeError;
      expect(withSdk.message).toContain('which is from QNN SDK 2.25');
    });
  });

  it('is usable as a mock signature', async () => {
    const sig: ContextSignature = await readContextSignature(binaries[3], { system: 'reference' });
    expect(sig.graphs.map((g) => g.name)).toEqual(['add', 'embed_head', 'dequantize']);
  });
});
