import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DTYPES } from '../../lib/tensor/dtypes.js';
import {
  DATA_ALIGNMENT,
  G,
  GRAPH_RECORD_SIZE,
  H,
  HEADER_SIZE,
  N,
  NODE_RECORD_SIZE,
  P,
  PARAM_KIND,
  PARAM_RECORD_SIZE,
  QUANT_ENCODING,
  T,
  TENSOR_RECORD_SIZE,
  TENSOR_TYPE,
  crc32,
} from '../../lib/reference/format.js';
import {
  encodeReferenceBinary,
  planReferenceBinary,
  writeReferenceBinary,
  type ReferenceBinaryDesc,
} from '../../lib/reference/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'qnnref-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A minimal reader written from docs/reference-backend.md, independent of the writer. */
function parse(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => Number(dv.getBigUint64(o, true));
  const stringsOffset = u32(H.stringsOffset);
  const str = (ref: number) => {
    let end = stringsOffset + ref;
    while (bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(stringsOffset + ref, end));
  };
  const wordsOffset = u32(H.wordsOffset);
  const words = (w: number, n: number) => Array.from({ length: n }, (_, i) => u32(wordsOffset + 4 * (w + i)));
  const header = {
    magic: new TextDecoder().decode(bytes.subarray(0, 8)),
    formatVersion: u32(H.formatVersion),
    headerSize: u32(H.headerSize),
    fileSize: u64(H.fileSize),
    checksum: u32(H.checksum),
    flags: u32(H.flags),
    metaSize: u32(H.metaSize),
    dataOffset: u64(H.dataOffset),
    dataSize: u64(H.dataSize),
    description: str(u32(H.descriptionStr)),
  };
  const tensors = Array.from({ length: u32(H.tensorCount) }, (_, i) => {
    const o = u32(H.tensorsOffset) + i * TENSOR_RECORD_SIZE;
    const rank = u32(o + T.rank);
    return {
      id: u32(o + T.id),
      name: str(u32(o + T.nameStr)),
      type: u32(o + T.type),
      dataType: u32(o + T.dataType),
      dims: words(u32(o + T.dimsWord), rank),
      quantEncoding: u32(o + T.quantEncoding),
      scale: dv.getFloat32(o + T.scale, true),
      offset: dv.getInt32(o + T.offset, true),
      axis: dv.getInt32(o + T.axis, true),
      scaleOffsets: Array.from({ length: u32(o + T.numScaleOffsets) }, (_, k) => {
        const w = wordsOffset + 4 * (u32(o + T.scaleOffsetsWord) + 2 * k);
        return [dv.getFloat32(w, true), dv.getInt32(w + 4, true)];
      }),
      dataOffset: u64(o + T.dataOffset),
      dataSize: u64(o + T.dataSize),
    };
  });
  const nodes = Array.from({ length: u32(H.nodeCount) }, (_, i) => {
    const o = u32(H.nodesOffset) + i * NODE_RECORD_SIZE;
    return {
      op: str(u32(o + N.opStr)),
      name: str(u32(o + N.nameStr)),
      inputs: words(u32(o + N.inputsWord), u32(o + N.numInputs)),
      outputs: words(u32(o + N.outputsWord), u32(o + N.numOutputs)),
      params: Array.from({ length: u32(o + N.numParams) }, (_, k) => {
        const p = u32(H.paramsOffset) + (u32(o + N.firstParam) + k) * PARAM_RECORD_SIZE;
        return { name: str(u32(p + P.nameStr)), kind: u32(p + P.kind), count: u32(p + P.count), value: u32(p + P.value) };
      }),
    };
  });
  const graphs = Array.from({ length: u32(H.graphCount) }, (_, i) => {
    const o = u32(H.graphsOffset) + i * GRAPH_RECORD_SIZE;
    return {
      name: str(u32(o + G.nameStr)),
      inputs: words(u32(o + G.inputsWord), u32(o + G.numInputs)),
      outputs: words(u32(o + G.outputsWord), u32(o + G.numOutputs)),
      firstNode: u32(o + G.firstNode),
      numNodes: u32(o + G.numNodes),
    };
  });
  return { header, tensors, nodes, graphs, u32 };
}

const f32bits = (x: number) => {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x, true);
  return dv.getUint32(0, true);
};

const sample: ReferenceBinaryDesc = {
  description: 'writer test',
  statics: [
    { name: 'w', dtype: 'float32', dims: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    {
      name: 'q',
      dtype: 'sfixed8',
      dims: [2, 5],
      fill: -3,
      quant: { encoding: 'axis-scale-offset', axis: 0, scales: [0.5, 0.25], offsets: [0, -1] },
    },
  ],
  graphs: [
    {
      name: 'g0',
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 3] }],
      outputs: [{ name: 'y', dtype: 'ufixed8', dims: [1, 2], quant: { encoding: 'scale-offset', scale: 0.1, offset: -128 } }],
      tensors: [{ name: 'h', dtype: 'float32', dims: [1, 2] }],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'], params: { transpose_in0: false, transpose_in1: false } },
        { op: 'Quantize', name: 'quant', inputs: ['h'], outputs: ['y'], params: { beta: 1.5, perm: [1, 0], f: { float: 2 }, fa: [0.5, 1] } },
      ],
    },
    {
      name: 'g1',
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [2, 2] }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    },
  ],
};

describe('reference binary writer', () => {
  it('computes zlib-compatible CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it('writes the header as specified', () => {
    const bytes = encodeReferenceBinary(sample);
    const { header } = parse(bytes);
    expect(header.magic).toBe('QNNREF01');
    expect(header.formatVersion).toBe(1);
    expect(header.headerSize).toBe(HEADER_SIZE);
    expect(header.fileSize).toBe(bytes.length);
    expect(header.flags).toBe(0);
    expect(header.description).toBe('writer test');
    expect(header.dataOffset % DATA_ALIGNMENT).toBe(0);
    expect(header.dataOffset).toBeGreaterThanOrEqual(header.metaSize);
    expect(header.dataOffset + header.dataSize).toBe(header.fileSize);
    // reserved bytes are zero
    expect([...bytes.subarray(108, 128)].every((b) => b === 0)).toBe(true);
    const meta = bytes.slice(0, header.metaSize);
    meta.fill(0, H.checksum, H.checksum + 4);
    expect(crc32(meta)).toBe(header.checksum);
  });

  it('assigns unique, non-sequential tensor ids starting at 1000', () => {
    const bytes = encodeReferenceBinary(sample);
    const { tensors } = parse(bytes);
    const ids = tensors.map((t) => t.id);
    expect(ids[0]).toBe(1000);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.some((id, i) => i > 0 && id - ids[i - 1] > 2)).toBe(true);
    expect(ids).not.toContain(0);
    const layout = planReferenceBinary(sample);
    expect(layout.statics.w.id).toBe(1000);
    expect(layout.graphs.g0.x).toBe(tensors.find((t) => t.name === 'x' && t.type === TENSOR_TYPE.APP_WRITE)!.id);
    expect(layout.graphs.g0.x).not.toBe(layout.graphs.g1.x);
  });

  it('writes tensor records: role, dtype code, dims, quant, static data', () => {
    const bytes = encodeReferenceBinary(sample);
    const { tensors, header } = parse(bytes);
    const w = tensors.find((t) => t.name === 'w')!;
    expect(w).toMatchObject({ type: TENSOR_TYPE.STATIC, dataType: DTYPES.float32.qnnCode, dims: [3, 2], quantEncoding: QUANT_ENCODING.NONE, dataSize: 24 });
    expect(w.dataOffset % DATA_ALIGNMENT).toBe(0);
    const wData = new Float32Array(bytes.slice(header.dataOffset + w.dataOffset, header.dataOffset + w.dataOffset + 24).buffer);
    expect([...wData]).toEqual([1, 2, 3, 4, 5, 6]);

    const q = tensors.find((t) => t.name === 'q')!;
    expect(q).toMatchObject({ type: TENSOR_TYPE.STATIC, dataType: 0x0308, dims: [2, 5], quantEncoding: QUANT_ENCODING.AXIS_SCALE_OFFSET, axis: 0, dataSize: 10 });
    expect(q.scaleOffsets).toEqual([
      [0.5, 0],
      [0.25, -1],
    ]);
    expect(q.dataOffset % DATA_ALIGNMENT).toBe(0);
    const qData = new Int8Array(bytes.slice(header.dataOffset + q.dataOffset, header.dataOffset + q.dataOffset + 10).buffer);
    expect([...qData]).toEqual(new Array(10).fill(-3));

    const y = tensors.find((t) => t.name === 'y' && t.dataType === 0x0408)!;
    expect(y).toMatchObject({ type: TENSOR_TYPE.APP_READ, quantEncoding: QUANT_ENCODING.SCALE_OFFSET, offset: -128, dataOffset: 0, dataSize: 0 });
    expect(y.scale).toBeCloseTo(0.1, 6);
    const h = tensors.find((t) => t.name === 'h')!;
    expect(h.type).toBe(TENSOR_TYPE.NATIVE);
  });

  it('writes graphs, nodes and params', () => {
    const bytes = encodeReferenceBinary(sample);
    const { graphs, nodes, tensors } = parse(bytes);
    const id = (graphIndex: number, name: string) => planReferenceBinary(sample).graphs[graphs[graphIndex].name][name];
    expect(graphs.map((g) => g.name)).toEqual(['g0', 'g1']);
    expect(graphs[0]).toMatchObject({ inputs: [id(0, 'x')], outputs: [id(0, 'y')], firstNode: 0, numNodes: 2 });
    expect(graphs[1]).toMatchObject({ inputs: [id(1, 'x')], outputs: [id(1, 'y')], firstNode: 2, numNodes: 1 });
    const wId = tensors.find((t) => t.name === 'w')!.id;
    expect(nodes[0]).toMatchObject({ op: 'MatMul', name: 'MatMul_0', inputs: [id(0, 'x'), wId], outputs: [id(0, 'h')] });
    expect(nodes[0].params).toEqual([
      { name: 'transpose_in0', kind: PARAM_KIND.BOOL, count: 1, value: 0 },
      { name: 'transpose_in1', kind: PARAM_KIND.BOOL, count: 1, value: 0 },
    ]);
    expect(nodes[1].name).toBe('quant');
    const params = Object.fromEntries(nodes[1].params.map((p) => [p.name, p]));
    expect(params.beta).toEqual({ name: 'beta', kind: PARAM_KIND.FLOAT32, count: 1, value: f32bits(1.5) });
    expect(params.perm).toMatchObject({ kind: PARAM_KIND.INT32_ARRAY, count: 2 });
    expect(params.f).toEqual({ name: 'f', kind: PARAM_KIND.FLOAT32, count: 1, value: f32bits(2) });
    expect(params.fa).toMatchObject({ kind: PARAM_KIND.FLOAT32_ARRAY, count: 2 });
    expect(nodes[2]).toMatchObject({ op: 'MatMul', inputs: [id(1, 'x'), wId] });
  });

  it('writes the same bytes to a file, streaming fill / chunks / async chunks', async () => {
    const desc: ReferenceBinaryDesc = {
      ...sample,
      statics: [
        ...sample.statics!,
        { name: 'h16', dtype: 'float16', dims: [7], fill: 1.5 },
        { name: 'c', dtype: 'uint8', dims: [100], chunks: function* () { yield new Uint8Array(60).fill(7); yield new Uint8Array(40).fill(9); } },
        { name: 'i64', dtype: 'int64', dims: [3], fill: -2n },
        { name: 'u4', dtype: 'ufixed4', dims: [5], fill: 3, quant: { encoding: 'scale-offset', scale: 1, offset: 0 } },
      ],
    };
    const bytes = encodeReferenceBinary(desc);
    const path = join(dir, 'a.bin');
    const layout = await writeReferenceBinary(path, desc);
    expect(layout.fileSize).toBe(bytes.length);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    const at = (name: string) => layout.dataOffset + layout.statics[name].offset;
    expect([...bytes.subarray(at('h16'), at('h16') + 4)]).toEqual([0x00, 0x3e, 0x00, 0x3e]); // 1.5 = 0x3E00
    expect(bytes[at('c') + 59]).toBe(7);
    expect(bytes[at('c') + 60]).toBe(9);
    expect(new DataView(bytes.buffer).getBigInt64(at('i64') + 16, true)).toBe(-2n);
    expect([...bytes.subarray(at('u4'), at('u4') + 3)]).toEqual([0x33, 0x33, 0x03]);

    const asyncDesc: ReferenceBinaryDesc = {
      graphs: sample.graphs,
      statics: [
        sample.statics![0],
        sample.statics![1],
        { name: 'a', dtype: 'uint8', dims: [10], chunks: async function* () { yield new Uint8Array(10).fill(1); } },
      ],
    };
    const path2 = join(dir, 'b.bin');
    const l2 = await writeReferenceBinary(path2, asyncDesc);
    expect(readFileSync(path2)[l2.dataOffset + l2.statics.a.offset]).toBe(1);
    expect(() => encodeReferenceBinary(asyncDesc)).toThrow(/synchronous iterable/);
  });

  it('streams a large static without building it in memory', async () => {
    const size = 64 * 1024 * 1024;
    const path = join(dir, 'big.bin');
    const before = process.memoryUsage().arrayBuffers;
    const layout = await writeReferenceBinary(path, {
      statics: [{ name: 'big', dtype: 'float32', dims: [size / 4], fill: 0.25 }],
      graphs: [
        {
          name: 'g',
          inputs: [{ name: 'i', dtype: 'int32', dims: [1] }],
          outputs: [{ name: 'o', dtype: 'float32', dims: [1] }],
          nodes: [{ op: 'Gather', inputs: ['big', 'i'], outputs: ['o'] }],
        },
      ],
    });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(size / 4);
    expect(statSync(path).size).toBe(layout.fileSize);
    expect(layout.dataSize).toBe(size);
  });

  it('rejects bad descriptions with coded errors', () => {
    const g = sample.graphs[1];
    const bad = (desc: unknown) => () => encodeReferenceBinary(desc as ReferenceBinaryDesc);
    expect(bad({ graphs: [] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(bad({ graphs: [{ ...g, nodes: [{ op: 'MatMul', inputs: ['x', 'nope'], outputs: ['y'] }] }] })).toThrow(/nope/);
    expect(bad({ graphs: [g], statics: [{ name: 'w', dtype: 'float32', dims: [3, 2], data: new Float32Array(5) }] })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(bad({ graphs: [g], statics: [{ name: 'w', dtype: 'sfixed8', dims: [3, 2], fill: 0 }] })).toThrow(/quant/);
    expect(bad({ graphs: [g], statics: [{ name: 'w', dtype: 'float32', dims: [3, 2], fill: 0, data: new Float32Array(6) }] })).toThrow(/exactly one/);
    expect(bad({ graphs: [g, g], statics: [sample.statics![0]] })).toThrow(/unique graph names/);
    expect(bad({ graphs: [{ ...g, inputs: [{ name: 'x', dtype: 'float32', dims: [0] }] }] })).toThrow(/positive integer/);
    expect(bad({ graphs: [g], statics: [{ name: 'w', dtype: 'uint8', dims: [6], chunks: () => [new Uint8Array(5)] }] })).toThrow(/6 bytes/);
    expect(bad({ graphs: [g], statics: [{ name: 'w', dtype: 'int8', dims: [6], fill: 300 }] })).toThrow(/\[-128, 127\]/);
  });
});

describe('reference binary reader', () => {
  it('reads back what the writer wrote', async () => {
    const { parseReferenceBinary, readReferenceBinaryInfo, isReferenceBinary } = await import('../../lib/reference/reader.js');
    const bytes = encodeReferenceBinary(sample);
    expect(isReferenceBinary(bytes)).toBe(true);
    const info = parseReferenceBinary(bytes);
    const layout = planReferenceBinary(sample);
    expect(info.description).toBe('writer test');
    expect(info.graphs.map((g) => g.name)).toEqual(['g0', 'g1']);
    expect(info.graphs[0].inputs).toEqual([{ name: 'x', id: layout.graphs.g0.x, dtype: 'float32', dims: [1, 3], role: 'APP_WRITE' }]);
    expect(info.graphs[0].outputs[0]).toMatchObject({ name: 'y', dtype: 'ufixed8', role: 'APP_READ', quant: { encoding: 'scale-offset', offset: -128 } });
    expect(info.graphs[0].nodes[1]).toMatchObject({ op: 'Quantize', name: 'quant', params: { beta: 1.5, perm: [1, 0], f: 2, fa: [0.5, 1] } });
    expect(info.graphs[0].nodes[0].params).toEqual({ transpose_in0: false, transpose_in1: false });
    const q = info.statics.find((s) => s.name === 'q')!;
    expect(q.quant).toEqual({ encoding: 'axis-scale-offset', axis: 0, scales: [0.5, 0.25], offsets: [0, -1] });
    expect(new Int8Array(bytes.buffer, q.byteOffset, q.byteLength)[0]).toBe(-3);

    const path = join(dir, 'r.bin');
    await writeReferenceBinary(path, sample);
    expect(await readReferenceBinaryInfo(path)).toEqual(info);

    const corrupt = bytes.slice();
    corrupt[200] ^= 1;
    expect(() => parseReferenceBinary(corrupt)).toThrow(expect.objectContaining({ code: 'BINARY_INVALID' }));
    expect(() => parseReferenceBinary(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
  });
});
