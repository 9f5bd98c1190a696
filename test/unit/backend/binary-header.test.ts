/**
 * Cheap structural checks before any vendor call (issue 9 item 1): obvious garbage is
 * refused without calling QnnSystem, and no valid binary is (real QNN binaries from SDK
 * 2.25 and 2.33 are checked in test/conformance/real-binaries.test.ts).
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBinaryStructure, readBinaryHead } from '../../../lib/backend/qnn/binary-header.js';
import { explainVersionMismatch, producerFrom, sdkMinorOfBuildId } from '../../../lib/backend/qnn/binary-producer.js';
import { readContextSignature } from '../../../lib/backend/qnn/signature.js';
import { addonAvailable } from '../../../lib/native/binding.js';
import { QnnNodeError } from '../../../lib/errors.js';
import { encodeReferenceBinary } from '../../../lib/reference/writer.js';

/** A synthetic file with the QNN context binary header: sections of `a` and `b` bytes. */
function qnnLike(a: number, b: number, size = a + b): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set([0, 0, 0, 2, 0, 0, 0, 3]);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(24, BigInt(a), true);
  view.setBigUint64(32, BigInt(b), true);
  return bytes;
}

const ADD = {
  graphs: [{ name: 'add', inputs: [{ name: 'a', dtype: 'float32' as const, dims: [2] }], outputs: [{ name: 'o', dtype: 'float32' as const, dims: [2] }], nodes: [{ op: 'Relu', inputs: ['a'], outputs: ['o'] }] }],
};

describe('checkBinaryStructure', () => {
  const head = (bytes: Uint8Array, size = bytes.length) => ({ head: bytes, size, label: 'the given bytes' });

  it('QNN context binaries: the two header sizes must cover the file; trailing bytes are left to the library', () => {
    expect(checkBinaryStructure(head(qnnLike(816, 12984)))).toBe('qnn-context-binary');
    expect(checkBinaryStructure(head(qnnLike(816, 12984, 13900)))).toBe('qnn-context-binary');
    expect(() => checkBinaryStructure(head(qnnLike(816, 12984, 13799)))).toThrow(/declares 13800 bytes \(816 \+ 12984\) but it has 13799/);
    const huge = qnnLike(816, 100);
    new DataView(huge.buffer).setBigUint64(32, 0xffffffffffffffffn, true);
    expect(() => checkBinaryStructure(head(huge))).toThrow(QnnNodeError);
    expect(() => checkBinaryStructure(head(qnnLike(816, 12984).subarray(0, 30)))).toThrow(/shorter than its 40-byte header/);
  });

  it('reference binaries: the declared fileSize must fit', () => {
    const bytes = encodeReferenceBinary(ADD);
    expect(checkBinaryStructure(head(bytes))).toBe('qnn-node-reference');
    expect(() => checkBinaryStructure(head(bytes.subarray(0, bytes.length - 1)))).toThrow(/header declares \d+ bytes but it has/);
    expect(() => checkBinaryStructure(head(bytes.subarray(0, 100)))).toThrow(/shorter than its 128-byte header/);
  });

  it('unknown layouts pass unjudged (the library decides)', () => {
    expect(checkBinaryStructure(head(new Uint8Array([1, 2, 3])))).toBe('unknown');
    expect(checkBinaryStructure(head(new Uint8Array(64).fill(7)))).toBe('unknown');
  });

  it('errors are BINARY_INVALID with the sizes in details', () => {
    try {
      checkBinaryStructure(head(qnnLike(816, 12984, 1000)));
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'BINARY_INVALID', details: { size: 1000, declaredSize: '13800', check: 'structure' } });
    }
  });
});

describe.skipIf(!addonAvailable())('structural checks come before any library call', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qnn-node-header-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a truncated binary is refused without loading QnnSystem at all', async () => {
    const file = path.join(dir, 'truncated.bin');
    writeFileSync(file, qnnLike(816, 12984, 5000));
    // the library path does not exist: reaching it would be LIBRARY_LOAD_FAILED
    for (const source of [file, qnnLike(816, 12984, 5000)]) {
      await expect(readContextSignature(source, { system: '/nonexistent/libQnnSystem.so' })).rejects.toMatchObject({ code: 'BINARY_INVALID', details: { check: 'structure' } });
    }
    const fine = path.join(dir, 'fine.bin');
    writeFileSync(fine, qnnLike(816, 4184));
    await expect(readContextSignature(fine, { system: '/nonexistent/libQnnSystem.so' })).rejects.toMatchObject({ code: 'LIBRARY_LOAD_FAILED' });
  });

  it('readBinaryHead: missing → FILE_NOT_FOUND, empty → BINARY_INVALID', async () => {
    await expect(readBinaryHead(path.join(dir, 'nope.bin'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    const empty = path.join(dir, 'empty.bin');
    writeFileSync(empty, new Uint8Array(0));
    await expect(readBinaryHead(empty)).rejects.toMatchObject({ code: 'BINARY_INVALID' });
    await expect(readBinaryHead(dir)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('producer', () => {
  it('finds the first build id in text, or none', () => {
    const bytes = new TextEncoder().encode('\0\0junk v2.33.0.250220031845_105259\0Vrv2.33.0.250220031845_105259.0dd7bb992d');
    expect(producerFrom(bytes, 'text')).toEqual({ buildId: 'v2.33.0.250220031845_105259', sdkVersion: '2.33.0', bestEffort: true, source: 'text' });
    expect(producerFrom('qnn-node reference 0.1.0', 'binary-info')).toBeUndefined();
    expect(producerFrom(null, 'binary-info')).toBeUndefined();
    expect(sdkMinorOfBuildId('v2.25.0.240728104910_97711')).toBe(25);
    expect(sdkMinorOfBuildId('qnn-node reference')).toBeUndefined();
  });

  it('a reader as new as the producer is not blamed', () => {
    const p = producerFrom('v2.25.0.240728104910_97711', 'text');
    const e = new QnnNodeError('BINARY_INVALID', 'failed');
    expect(explainVersionMismatch(e, p, { description: 'x', sdkMinor: 25 })).toBe(false);
    expect(e.message).toBe('failed');
    expect(explainVersionMismatch(e, p, { description: 'backend x', sdkMinor: 20 })).toBe(true);
    expect(e.message).toContain('newer than the backend x, which is from QNN SDK 2.20');
  });
});
