/** The reference section writer / reader ("QNNRSEC1"): layout, round trip, refusals. */
import { describe, expect, it } from 'vitest';
import { SECTION_HEADER_SIZE, SH, decodeReferenceSection, encodeReferenceSection, sectionChecksum } from '../../lib/reference/section.js';
import { encodeReferenceBinary, planReferenceBinary } from '../../lib/reference/writer.js';
import { H } from '../../lib/reference/format.js';

const desc = {
  statics: [
    { name: 'w', dtype: 'float32' as const, dims: [2, 2], data: new Float32Array(4) },
    { name: 'lora', dtype: 'float32' as const, dims: [2, 2], data: new Float32Array(4), updatable: true },
  ],
  graphs: [
    {
      name: 'g',
      inputs: [{ name: 'x', dtype: 'float32' as const, dims: [1, 2] }],
      outputs: [{ name: 'y', dtype: 'float32' as const, dims: [1, 2] }],
      tensors: [{ name: 't', dtype: 'float32' as const, dims: [1, 2] }],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['t'] },
        { op: 'MatMul', inputs: ['t', 'lora'], outputs: ['y'] },
      ],
    },
  ],
};

describe('reference binary sections', () => {
  const layout = planReferenceBinary(desc);

  it('the binary lists its updatable statics in the header (word ref + count); binaries without any keep 0/0', () => {
    const bytes = encodeReferenceBinary(desc);
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(H.updatableCount, true)).toBe(1);
    const word = view.getUint32(H.updatableWord, true);
    const wordsOffset = view.getUint32(H.wordsOffset, true);
    expect(view.getUint32(wordsOffset + 4 * word, true)).toBe(layout.statics.lora.id);
    const plain = encodeReferenceBinary({ ...desc, statics: desc.statics.map((s) => ({ ...s, updatable: false })) });
    expect(new DataView(plain.buffer).getUint32(H.updatableCount, true)).toBe(0);
    expect(new DataView(plain.buffer).getUint32(H.updatableWord, true)).toBe(0);
    expect(() => encodeReferenceBinary({ ...desc, statics: [{ ...desc.statics[0], updatable: 'yes' as never }] })).toThrow(/Expected a boolean for desc\.statics\[0\]\.updatable/);
  });

  it('encodes header, entries, strings and 64-aligned data, and decodes back', () => {
    const data = Float32Array.from([1, 2, 3, 4]);
    const bytes = encodeReferenceSection({ binary: layout, graph: 'g', tensors: { lora: { dtype: 'float32', data } } });
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('QNNRSEC1');
    expect(Number(view.getBigUint64(SH.totalSize, true))).toBe(bytes.length);
    expect(view.getUint32(SH.binaryChecksum, true)).toBe(layout.checksum);
    expect(view.getUint32(SH.entriesOffset, true)).toBe(SECTION_HEADER_SIZE);
    expect(view.getUint32(SH.checksum, true)).toBe(sectionChecksum(bytes));
    const s = decodeReferenceSection(bytes);
    expect(s).toMatchObject({ binaryChecksum: layout.checksum, sectionType: 1, graph: 'g' });
    expect(s.tensors.lora.dtype).toBe('float32');
    expect(s.tensors.lora.data.byteOffset % 64).toBe(0);
    expect(new Float32Array(s.tensors.lora.data.slice().buffer)).toEqual(data);
    expect(decodeReferenceSection(encodeReferenceSection({ binary: layout, tensors: { lora: { dtype: 'float32', data } } })).graph).toBeUndefined();
  });

  it('refuses bad descriptions and bad bytes with typed errors', () => {
    const data = new Float32Array(4);
    expect(() => encodeReferenceSection({ binary: {} as never, tensors: { lora: { dtype: 'float32', data } } })).toThrow(/desc\.binary/);
    expect(() => encodeReferenceSection({ binary: layout, tensors: {} })).toThrow(/at least one tensor/);
    expect(() => encodeReferenceSection({ binary: layout, tensors: { lora: { dtype: 'float33' as never, data } } })).toThrow(/a dtype name/);
    expect(() => encodeReferenceSection({ binary: layout, tensors: { lora: { dtype: 'float32', data: [1] as never } } })).toThrow(/typed array/);
    expect(() => encodeReferenceSection({ binary: layout, graph: '', tensors: { lora: { dtype: 'float32', data } } })).toThrow(/a graph name/);
    const good = encodeReferenceSection({ binary: layout, tensors: { lora: { dtype: 'float32', data } } });
    expect(() => decodeReferenceSection(good.subarray(0, 10))).toThrow(expect.objectContaining({ code: 'BINARY_INVALID' }));
    expect(() => decodeReferenceSection(good.subarray(0, good.length - 1))).toThrow(/header says/);
    const flipped = good.slice();
    flipped[70] ^= 1;
    expect(() => decodeReferenceSection(flipped)).toThrow(/checksum mismatch/);
  });
});
