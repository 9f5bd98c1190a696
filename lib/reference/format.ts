/**
 * Constants of the reference-backend binary format ("QNNREF01"), shared by the writer and
 * the reader. The normative description is docs/reference-backend.md; the C++ backend
 * (native/reference-backend/src/format.h) mirrors these numbers.
 */

export const MAGIC = 'QNNREF01';
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 128;
/** Every STATIC tensor's data, and the data section itself, start at a multiple of this. */
export const DATA_ALIGNMENT = 64;

export const TENSOR_RECORD_SIZE = 64;
export const GRAPH_RECORD_SIZE = 32;
export const NODE_RECORD_SIZE = 32;
export const PARAM_RECORD_SIZE = 16;

/** Byte offsets of the header fields. */
export const H = Object.freeze({
  magic: 0,
  formatVersion: 8,
  headerSize: 12,
  fileSize: 16,
  checksum: 24,
  flags: 28,
  metaSize: 32,
  stringsOffset: 36,
  stringsSize: 40,
  tensorsOffset: 44,
  tensorCount: 48,
  graphsOffset: 52,
  graphCount: 56,
  nodesOffset: 60,
  nodeCount: 64,
  paramsOffset: 68,
  paramCount: 72,
  wordsOffset: 76,
  wordCount: 80,
  reserved0: 84,
  dataOffset: 88,
  dataSize: 96,
  descriptionStr: 104,
  /** String ref of the QNN SDK build id the binary claims as its producer (0 = none). */
  producerStr: 108,
  /** Word ref and count of the ids of updatable STATIC tensors (binary sections); 0/0 = none. */
  updatableWord: 112,
  updatableCount: 116,
  /** u64: the spill-fill buffer the graphs need (0 = none declared). */
  spillFillBytes: 120,
  // 120..127 reserved, zero
});

/** A QNN SDK build id as context binaries record their producer: `v2.25.0.240728104910_97711`. */
export const PRODUCER_PATTERN = /^v\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,20}_\d{1,12}$/;

/** Byte offsets inside a tensor record. */
export const T = Object.freeze({
  id: 0,
  nameStr: 4,
  type: 8,
  dataType: 12,
  rank: 16,
  dimsWord: 20,
  quantEncoding: 24,
  scale: 28,
  offset: 32,
  axis: 36,
  numScaleOffsets: 40,
  scaleOffsetsWord: 44,
  dataOffset: 48,
  dataSize: 56,
});

/** Byte offsets inside a graph record. */
export const G = Object.freeze({
  nameStr: 0,
  numInputs: 4,
  inputsWord: 8,
  numOutputs: 12,
  outputsWord: 16,
  firstNode: 20,
  numNodes: 24,
  reserved: 28,
});

/** Byte offsets inside a node record. */
export const N = Object.freeze({
  opStr: 0,
  nameStr: 4,
  numInputs: 8,
  inputsWord: 12,
  numOutputs: 16,
  outputsWord: 20,
  firstParam: 24,
  numParams: 28,
});

/** Byte offsets inside a param record. */
export const P = Object.freeze({
  nameStr: 0,
  kind: 4,
  count: 8,
  value: 12,
});

/** Qnn_TensorType_t values used in the format. */
export const TENSOR_TYPE = Object.freeze({
  APP_WRITE: 0,
  APP_READ: 1,
  NATIVE: 3,
  STATIC: 4,
});

/** Qnn_QuantizationEncoding_t values used in the format. */
export const QUANT_ENCODING = Object.freeze({
  SCALE_OFFSET: 0,
  AXIS_SCALE_OFFSET: 1,
  NONE: 0x7fffffff,
});

export const PARAM_KIND = Object.freeze({
  INT32: 1,
  FLOAT32: 2,
  BOOL: 3,
  INT32_ARRAY: 4,
  FLOAT32_ARRAY: 5,
});

/** Op type names (as QNN names them) the reference backend executes. */
export const REFERENCE_OPS = Object.freeze([
  'ElementWiseAdd',
  'ElementWiseSubtract',
  'ElementWiseMultiply',
  'ElementWiseDivide',
  'MatMul',
  'Gather',
  'Softmax',
  'Relu',
  'Gelu',
  'Concat',
  'Reshape',
  'Transpose',
  'Cast',
  'Quantize',
  'Dequantize',
  'Sigmoid',
  'Tanh',
  'StridedSlice',
  'ElementWiseRsqrt',
  'ElementWiseSquareRoot',
  'ElementWiseExp',
  'ElementWiseNeg',
  'ElementWiseSin',
  'ElementWiseCos',
  'ReduceMean',
  'RmsNorm',
] as const);

export type ReferenceOp = (typeof REFERENCE_OPS)[number];

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib's crc32. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The checksum of a metadata region: CRC-32 of it with the checksum field taken as zero. */
export function metadataChecksum(meta: Uint8Array): number {
  const copy = meta.slice();
  copy.fill(0, H.checksum, H.checksum + 4);
  return crc32(copy);
}
