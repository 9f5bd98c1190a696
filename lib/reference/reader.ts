/**
 * Reads the metadata of reference-backend binaries ("QNNREF01", docs/reference-backend.md)
 * in TypeScript: graph signatures with the binary's tensor ids, statics and nodes. Lets
 * tools (inspect, the mock backend, tests) describe a reference binary without the native
 * addon. Every offset is bounds-checked; a malformed binary throws BINARY_INVALID.
 */

import { open } from 'node:fs/promises';
import { QnnNodeError } from '../errors.js';
import type { GraphSignature, TensorRole, TensorSpec } from '../backend/types.js';
import { dtypeFromQnnCode, type QuantParams } from '../tensor/dtypes.js';
import {
  FORMAT_VERSION,
  G,
  GRAPH_RECORD_SIZE,
  H,
  HEADER_SIZE,
  MAGIC,
  N,
  NODE_RECORD_SIZE,
  P,
  PARAM_KIND,
  PARAM_RECORD_SIZE,
  QUANT_ENCODING,
  T,
  TENSOR_RECORD_SIZE,
  TENSOR_TYPE,
  metadataChecksum,
} from './format.js';

export interface ReferenceStaticInfo extends TensorSpec {
  readonly id: number;
  /** Offset of the data from the start of the binary. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface ReferenceNodeInfo {
  readonly op: string;
  readonly name: string;
  /** Tensor ids. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly params: Readonly<Record<string, number | boolean | readonly number[]>>;
}

export interface ReferenceGraphInfo extends GraphSignature {
  readonly nodes: readonly ReferenceNodeInfo[];
}

export interface ReferenceBinaryInfo {
  readonly formatVersion: number;
  readonly description: string;
  /** The QNN SDK build id stored as the binary's producer, if any. */
  readonly producer?: string;
  /** The spill-fill buffer the binary declares (header +120; 0 = none). */
  readonly spillFillBytes: number;
  readonly fileSize: number;
  readonly metaSize: number;
  readonly dataOffset: number;
  readonly dataSize: number;
  readonly statics: readonly ReferenceStaticInfo[];
  readonly graphs: readonly ReferenceGraphInfo[];
}

const ROLES: Record<number, TensorRole> = {
  [TENSOR_TYPE.APP_WRITE]: 'APP_WRITE',
  [TENSOR_TYPE.APP_READ]: 'APP_READ',
  [TENSOR_TYPE.NATIVE]: 'NATIVE',
  [TENSOR_TYPE.STATIC]: 'STATIC',
};

function invalid(message: string, details: Record<string, unknown> = {}): QnnNodeError {
  return new QnnNodeError('BINARY_INVALID', `Invalid reference binary: ${message}`, { details });
}

/**
 * Parses a reference binary's metadata. `bytes` may be the whole binary or only its first
 * `metaSize` bytes (then pass the real `fileSize`, e.g. from `stat`).
 */
export function parseReferenceBinary(bytes: Uint8Array, fileSize: number = bytes.length): ReferenceBinaryInfo {
  if (bytes.length < HEADER_SIZE) throw invalid(`${bytes.length} bytes is smaller than the ${HEADER_SIZE}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => {
    const v = dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`64-bit field at ${o} is too large`);
    return Number(v);
  };
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw invalid('bad magic (not a QNNREF01 binary)');
  const formatVersion = u32(H.formatVersion);
  if (formatVersion !== FORMAT_VERSION) throw invalid(`unsupported format version ${formatVersion}`, { formatVersion });
  if (u32(H.headerSize) !== HEADER_SIZE) throw invalid('bad header size');
  const declaredSize = u64(H.fileSize);
  if (declaredSize > fileSize) throw invalid(`truncated: header says ${declaredSize} bytes, have ${fileSize}`, { declaredSize, fileSize });
  const metaSize = u32(H.metaSize);
  if (metaSize < HEADER_SIZE || metaSize > declaredSize || metaSize > bytes.length) throw invalid(`metaSize ${metaSize} out of range`);
  const stored = u32(H.checksum);
  const computed = metadataChecksum(bytes.subarray(0, metaSize));
  if (stored !== computed) throw invalid(`checksum mismatch (stored ${stored.toString(16)}, computed ${computed.toString(16)})`);
  const dataOffset = u64(H.dataOffset);
  const dataSize = u64(H.dataSize);
  if (dataOffset % 64 !== 0 || dataOffset < metaSize || dataOffset + dataSize > declaredSize) throw invalid('data section out of range');

  const table = (offField: number, countField: number, recSize: number, name: string) => {
    const off = u32(offField);
    const count = u32(countField);
    if (count > 0 && (off < HEADER_SIZE || off + count * recSize > metaSize)) throw invalid(`${name} table out of range`);
    return { off, count };
  };
  const strings = table(H.stringsOffset, H.stringsSize, 1, 'string');
  const tensors = table(H.tensorsOffset, H.tensorCount, TENSOR_RECORD_SIZE, 'tensor');
  const graphs = table(H.graphsOffset, H.graphCount, GRAPH_RECORD_SIZE, 'graph');
  const nodes = table(H.nodesOffset, H.nodeCount, NODE_RECORD_SIZE, 'node');
  const params = table(H.paramsOffset, H.paramCount, PARAM_RECORD_SIZE, 'param');
  const words = table(H.wordsOffset, H.wordCount, 4, 'word');
  const decoder = new TextDecoder();
  const str = (ref: number): string => {
    if (ref >= strings.count) throw invalid(`string ref ${ref} out of range`);
    const start = strings.off + ref;
    const end = bytes.indexOf(0, start);
    if (end < 0 || end >= strings.off + strings.count) throw invalid(`string at ${ref} is not terminated`);
    return decoder.decode(bytes.subarray(start, end));
  };
  const wordList = (w: number, n: number): number[] => {
    if (w + n > words.count) throw invalid(`words [${w}, +${n}) out of range`);
    return Array.from({ length: n }, (_, i) => u32(words.off + 4 * (w + i)));
  };
  const f32 = (bits: number) => {
    const s = new DataView(new ArrayBuffer(4));
    s.setUint32(0, bits, true);
    return s.getFloat32(0, true);
  };

  interface Rec extends ReferenceStaticInfo {
    readonly type: number;
  }
  const byId = new Map<number, Rec>();
  const statics: ReferenceStaticInfo[] = [];
  for (let i = 0; i < tensors.count; i++) {
    const o = tensors.off + i * TENSOR_RECORD_SIZE;
    const id = u32(o + T.id);
    const name = str(u32(o + T.nameStr));
    const type = u32(o + T.type);
    const code = u32(o + T.dataType);
    const dtype = dtypeFromQnnCode(code);
    if (dtype === undefined) throw invalid(`tensor '${name}' has unsupported data type 0x${code.toString(16)}`);
    const rank = u32(o + T.rank);
    if (rank > 8) throw invalid(`tensor '${name}' has rank ${rank}`);
    const dims = Object.freeze(wordList(u32(o + T.dimsWord), rank));
    const enc = u32(o + T.quantEncoding);
    let quant: QuantParams | undefined;
    if (enc === QUANT_ENCODING.SCALE_OFFSET) {
      quant = { encoding: 'scale-offset', scale: dv.getFloat32(o + T.scale, true), offset: dv.getInt32(o + T.offset, true) };
    } else if (enc === QUANT_ENCODING.AXIS_SCALE_OFFSET) {
      const num = u32(o + T.numScaleOffsets);
      const so = wordList(u32(o + T.scaleOffsetsWord), num * 2);
      quant = {
        encoding: 'axis-scale-offset',
        axis: dv.getInt32(o + T.axis, true),
        scales: so.filter((_, k) => k % 2 === 0).map(f32),
        offsets: so.filter((_, k) => k % 2 === 1).map((x) => x | 0),
      };
    }
    const rec: Rec = {
      name,
      id,
      dtype,
      dims,
      ...(quant ? { quant } : {}),
      role: ROLES[type] ?? 'UNDEFINED',
      type,
      byteOffset: dataOffset + u64(o + T.dataOffset),
      byteLength: u64(o + T.dataSize),
    };
    if (byId.has(id)) throw invalid(`duplicate tensor id ${id}`);
    byId.set(id, rec);
    if (type === TENSOR_TYPE.STATIC) {
      const { type: _type, ...info } = rec;
      statics.push(Object.freeze(info));
    }
  }
  const spec = (id: number): TensorSpec => {
    const t = byId.get(id);
    if (!t) throw invalid(`unknown tensor id ${id}`);
    return Object.freeze({ name: t.name, id: t.id, dtype: t.dtype, dims: t.dims, ...(t.quant ? { quant: t.quant } : {}), role: t.role });
  };

  const graphList: ReferenceGraphInfo[] = [];
  for (let i = 0; i < graphs.count; i++) {
    const o = graphs.off + i * GRAPH_RECORD_SIZE;
    const firstNode = u32(o + G.firstNode);
    const numNodes = u32(o + G.numNodes);
    if (firstNode + numNodes > nodes.count) throw invalid('graph nodes out of range');
    const nodeList: ReferenceNodeInfo[] = [];
    for (let k = 0; k < numNodes; k++) {
      const no = nodes.off + (firstNode + k) * NODE_RECORD_SIZE;
      const firstParam = u32(no + N.firstParam);
      const numParams = u32(no + N.numParams);
      if (firstParam + numParams > params.count) throw invalid('node params out of range');
      const ps = Object.create(null) as Record<string, number | boolean | readonly number[]>; // names come from the file
      for (let p = 0; p < numParams; p++) {
        const po = params.off + (firstParam + p) * PARAM_RECORD_SIZE;
        const kind = u32(po + P.kind);
        const count = u32(po + P.count);
        const value = u32(po + P.value);
        const pname = str(u32(po + P.nameStr));
        if (kind === PARAM_KIND.INT32) ps[pname] = value | 0;
        else if (kind === PARAM_KIND.FLOAT32) ps[pname] = f32(value);
        else if (kind === PARAM_KIND.BOOL) ps[pname] = value !== 0;
        else if (kind === PARAM_KIND.INT32_ARRAY) ps[pname] = wordList(value, count).map((x) => x | 0);
        else if (kind === PARAM_KIND.FLOAT32_ARRAY) ps[pname] = wordList(value, count).map(f32);
        else throw invalid(`param '${pname}' has unknown kind ${kind}`);
      }
      nodeList.push(
        Object.freeze({
          op: str(u32(no + N.opStr)),
          name: str(u32(no + N.nameStr)),
          inputs: wordList(u32(no + N.inputsWord), u32(no + N.numInputs)),
          outputs: wordList(u32(no + N.outputsWord), u32(no + N.numOutputs)),
          params: ps,
        }),
      );
    }
    graphList.push(
      Object.freeze({
        name: str(u32(o + G.nameStr)),
        inputs: wordList(u32(o + G.inputsWord), u32(o + G.numInputs)).map(spec),
        outputs: wordList(u32(o + G.outputsWord), u32(o + G.numOutputs)).map(spec),
        nodes: nodeList,
      }),
    );
  }
  return Object.freeze({
    formatVersion,
    description: str(u32(H.descriptionStr)),
    ...(u32(H.producerStr) !== 0 ? { producer: str(u32(H.producerStr)) } : {}),
    spillFillBytes: u64(H.spillFillBytes),
    fileSize: declaredSize,
    metaSize,
    dataOffset,
    dataSize,
    statics,
    graphs: graphList,
  });
}

/** True if the bytes start like a reference binary (magic only). */
export function isReferenceBinary(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && new TextDecoder().decode(bytes.subarray(0, 8)) === MAGIC;
}

/** Reads only the metadata of a reference binary file (never its data section). */
export async function readReferenceBinaryInfo(path: string): Promise<ReferenceBinaryInfo> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const header = new Uint8Array(HEADER_SIZE);
    await fh.read(header, 0, Math.min(HEADER_SIZE, size), 0);
    if (size < HEADER_SIZE) return parseReferenceBinary(header.subarray(0, size), size);
    const metaSize = new DataView(header.buffer).getUint32(H.metaSize, true);
    if (metaSize < HEADER_SIZE || metaSize > size) return parseReferenceBinary(header, size);
    const meta = new Uint8Array(metaSize);
    await fh.read(meta, 0, metaSize, 0);
    return parseReferenceBinary(meta, size);
  } finally {
    await fh.close();
  }
}
