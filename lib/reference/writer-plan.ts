/**
 * Validates a binary description and lays it out: tensor ids, the metadata tables
 * (header, tensors, graphs, nodes, params, words, strings) and where static data goes.
 */
import { invalidArg, outOfRange } from '../errors.js';
import { DTYPES, byteLengthOf, isDType, type QuantParams } from '../tensor/dtypes.js';
import {
  DATA_ALIGNMENT,
  FORMAT_VERSION,
  GRAPH_RECORD_SIZE,
  H,
  HEADER_SIZE,
  MAGIC,
  NODE_RECORD_SIZE,
  PARAM_KIND,
  PARAM_RECORD_SIZE,
  PRODUCER_PATTERN,
  QUANT_ENCODING,
  TENSOR_RECORD_SIZE,
  TENSOR_TYPE,
  metadataChecksum,
} from './format.js';
import type { RefNodeDesc, RefParamValue, RefStaticDesc, RefTensorDesc, ReferenceBinaryDesc, ReferenceLayout } from './writer-types.js';

export interface PlannedTensor {
  id: number;
  desc: RefTensorDesc;
  type: number;
  byteLength: number;
  /** STATIC only: offset inside the data section. */
  dataOffset: number;
  source?: RefStaticDesc;
}

export interface Plan {
  meta: Uint8Array;
  layout: ReferenceLayout;
  statics: PlannedTensor[];
}

const MAX_RANK = 8;
const U32_MAX = 0xffffffff;

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw invalidArg('a non-empty string without NUL characters', what, value);
  }
  return value;
}

function elementCount(dims: readonly number[], what: string): number {
  if (!Array.isArray(dims) || dims.length > MAX_RANK) throw invalidArg(`an array of at most ${MAX_RANK} dimensions`, what, dims);
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1 || d > U32_MAX) throw outOfRange('positive integer dimensions', what, dims);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw outOfRange('an element count below 2^53', what, dims);
  return n;
}

function checkTensor(desc: RefTensorDesc, what: string): number {
  if (typeof desc !== 'object' || desc === null) throw invalidArg('a tensor description object', what, desc);
  checkName(desc.name, `${what}.name`);
  if (!isDType(desc.dtype)) throw invalidArg('a dtype name', `${what}.dtype`, desc.dtype);
  const n = elementCount(desc.dims, `${what}.dims`);
  const info = DTYPES[desc.dtype];
  if (info.quantized && desc.quant === undefined) throw invalidArg(`quant params for quantized dtype ${desc.dtype}`, `${what}.quant`, desc.quant);
  if (!info.quantized && desc.quant !== undefined) throw invalidArg(`no quant params for dtype ${desc.dtype}`, `${what}.quant`, desc.quant);
  if (desc.quant !== undefined) checkQuant(desc.quant, desc.dims, `${what}.quant`);
  return byteLengthOf(desc.dtype, n);
}

function checkQuant(q: QuantParams, dims: readonly number[], what: string): void {
  if (q.encoding === 'scale-offset') {
    if (!Number.isFinite(q.scale) || q.scale <= 0) throw outOfRange('a finite scale > 0', `${what}.scale`, q.scale);
    if (!Number.isInteger(q.offset) || Math.abs(q.offset) > 2 ** 31) throw outOfRange('an int32 offset', `${what}.offset`, q.offset);
  } else if (q.encoding === 'axis-scale-offset') {
    if (!Number.isInteger(q.axis) || q.axis < 0 || q.axis >= dims.length) throw outOfRange(`an axis in [0, ${dims.length})`, `${what}.axis`, q.axis);
    const n = dims[q.axis];
    if (q.scales.length !== n || q.offsets.length !== n) {
      throw outOfRange(`${n} scales and offsets (dims[${q.axis}])`, `${what}.scales`, q.scales);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(q.scales[i]) || q.scales[i] <= 0) throw outOfRange('finite scales > 0', `${what}.scales`, q.scales);
      if (!Number.isInteger(q.offsets[i])) throw outOfRange('int32 offsets', `${what}.offsets`, q.offsets);
    }
  } else {
    throw invalidArg("'scale-offset' or 'axis-scale-offset'", `${what}.encoding`, (q as { encoding?: unknown }).encoding);
  }
}

class ByteSink {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, v | 0, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  pad(to: number): void {
    this.ensure(to - this.length);
    this.buf.fill(0, this.length, to);
    this.length = to;
  }
  take(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

class StringTable {
  private readonly sink = new ByteSink();
  private readonly index = new Map<string, number>();
  private readonly encoder = new TextEncoder();
  constructor() {
    this.sink.bytes(new Uint8Array([0])); // offset 0: the empty string
    this.index.set('', 0);
  }
  ref(s: string): number {
    const known = this.index.get(s);
    if (known !== undefined) return known;
    const off = this.sink.length;
    this.sink.bytes(this.encoder.encode(s));
    this.sink.bytes(new Uint8Array([0]));
    this.index.set(s, off);
    return off;
  }
  take(): Uint8Array {
    return this.sink.take();
  }
}

function encodeParam(
  name: string,
  value: RefParamValue,
  words: number[],
  wordsView: { f32: (v: number) => number },
  what: string,
): { kind: number; count: number; value: number } {
  const floatArray = (arr: readonly number[]) => {
    const start = words.length;
    for (const v of arr) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArg('finite numbers', what, arr);
      words.push(wordsView.f32(v));
    }
    return { kind: PARAM_KIND.FLOAT32_ARRAY, count: arr.length, value: start };
  };
  if (typeof value === 'boolean') return { kind: PARAM_KIND.BOOL, count: 1, value: value ? 1 : 0 };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidArg('a finite number', what, value);
    if (Number.isInteger(value)) {
      if (value < -(2 ** 31) || value > 2 ** 31 - 1) throw outOfRange('an int32', what, value);
      return { kind: PARAM_KIND.INT32, count: 1, value: value | 0 };
    }
    return { kind: PARAM_KIND.FLOAT32, count: 1, value: wordsView.f32(value) };
  }
  if (Array.isArray(value)) {
    if (value.every((v) => Number.isInteger(v))) {
      const start = words.length;
      for (const v of value as number[]) {
        if (v < -(2 ** 31) || v > 2 ** 31 - 1) throw outOfRange('int32 values', what, value);
        words.push(v | 0);
      }
      return { kind: PARAM_KIND.INT32_ARRAY, count: value.length, value: start };
    }
    return floatArray(value as number[]);
  }
  if (typeof value === 'object' && value !== null && 'float' in value) {
    const f = value.float;
    if (typeof f === 'number') {
      if (!Number.isFinite(f)) throw invalidArg('a finite number', what, f);
      return { kind: PARAM_KIND.FLOAT32, count: 1, value: wordsView.f32(f) };
    }
    if (Array.isArray(f)) return floatArray(f);
  }
  throw invalidArg(`a number, boolean, number array or { float } for param '${name}'`, what, value);
}

export function plan(desc: ReferenceBinaryDesc): Plan {
  if (typeof desc !== 'object' || desc === null) throw invalidArg('a reference binary description', 'desc', desc);
  if (!Array.isArray(desc.graphs) || desc.graphs.length === 0) throw invalidArg('a non-empty array', 'desc.graphs', desc.graphs);
  const statics = desc.statics ?? [];
  if (!Array.isArray(statics)) throw invalidArg('an array', 'desc.statics', statics);

  if (desc.producer !== undefined && (typeof desc.producer !== 'string' || !PRODUCER_PATTERN.test(desc.producer))) {
    throw invalidArg('a QNN SDK build id such as "v2.33.0.250220031845_105259"', 'desc.producer', desc.producer);
  }
  const spillFillBytes = desc.spillFillBytes ?? 0;
  if (!Number.isSafeInteger(spillFillBytes) || spillFillBytes < 0) throw outOfRange('a non-negative safe integer', 'desc.spillFillBytes', desc.spillFillBytes);
  let nextId = desc.firstTensorId ?? 1000;
  if (!Number.isInteger(nextId) || nextId < 1 || nextId > 0xf0000000) throw outOfRange('an integer in [1, 0xF0000000]', 'desc.firstTensorId', nextId);
  let allocated = 0;
  const newId = (): number => {
    const id = nextId;
    // Gaps of 2..4 so that ids are never a dense 0..n range (as in real context binaries).
    nextId += 2 + (allocated++ % 3);
    if (nextId > U32_MAX) throw outOfRange('fewer tensors (ids exceed 32 bits)', 'desc', allocated);
    return id;
  };

  const tensors: PlannedTensor[] = [];
  const staticByName = new Map<string, PlannedTensor>();
  let dataCursor = 0;
  statics.forEach((s, i) => {
    const what = `desc.statics[${i}]`;
    const byteLength = checkTensor(s, what);
    if (staticByName.has(s.name)) throw invalidArg('unique static names', `${what}.name`, s.name);
    const sources = [s.data !== undefined, s.fill !== undefined, s.chunks !== undefined].filter(Boolean).length;
    if (sources !== 1) throw invalidArg('exactly one of data, fill, chunks', what, s);
    if (s.data !== undefined) {
      if (!ArrayBuffer.isView(s.data)) throw invalidArg('a typed array or DataView', `${what}.data`, s.data);
      if (s.data.byteLength !== byteLength) throw outOfRange(`${byteLength} bytes of data`, `${what}.data`, s.data);
    }
    if (s.chunks !== undefined && typeof s.chunks !== 'function') throw invalidArg('a function', `${what}.chunks`, s.chunks);
    if (s.updatable !== undefined && typeof s.updatable !== 'boolean') throw invalidArg('a boolean', `${what}.updatable`, s.updatable);
    const t: PlannedTensor = { id: newId(), desc: s, type: TENSOR_TYPE.STATIC, byteLength, dataOffset: dataCursor, source: s };
    dataCursor = alignUp(dataCursor + byteLength, DATA_ALIGNMENT);
    tensors.push(t);
    staticByName.set(s.name, t);
  });
  const dataSize = dataCursor;

  const strings = new StringTable();
  const words: number[] = [];
  const f32Scratch = new DataView(new ArrayBuffer(4));
  const wordsView = {
    f32: (v: number) => {
      f32Scratch.setFloat32(0, v, true);
      return f32Scratch.getUint32(0, true);
    },
  };

  const graphRecords = new ByteSink();
  const nodeRecords = new ByteSink();
  const paramRecords = new ByteSink();
  let nodeCount = 0;
  let paramCount = 0;
  const graphNames = new Set<string>();
  const layoutGraphs = Object.create(null) as Record<string, Record<string, number>>; // names may be '__proto__'

  desc.graphs.forEach((g, gi) => {
    const gw = `desc.graphs[${gi}]`;
    if (typeof g !== 'object' || g === null) throw invalidArg('a graph description', gw, g);
    checkName(g.name, `${gw}.name`);
    if (graphNames.has(g.name)) throw invalidArg('unique graph names', `${gw}.name`, g.name);
    graphNames.add(g.name);
    if (!Array.isArray(g.inputs)) throw invalidArg('an array', `${gw}.inputs`, g.inputs);
    if (!Array.isArray(g.outputs) || g.outputs.length === 0) throw invalidArg('a non-empty array', `${gw}.outputs`, g.outputs);
    if (!Array.isArray(g.nodes) || g.nodes.length === 0) throw invalidArg('a non-empty array', `${gw}.nodes`, g.nodes);
    const local = new Map<string, PlannedTensor>();
    const ids = Object.create(null) as Record<string, number>;
    const addLocal = (list: readonly RefTensorDesc[] | undefined, type: number, key: string): PlannedTensor[] =>
      (list ?? []).map((t, i) => {
        const what = `${gw}.${key}[${i}]`;
        const byteLength = checkTensor(t, what);
        if (local.has(t.name)) throw invalidArg('names unique within the graph', `${what}.name`, t.name);
        const p: PlannedTensor = { id: newId(), desc: t, type, byteLength, dataOffset: 0 };
        local.set(t.name, p);
        ids[t.name] = p.id;
        tensors.push(p);
        return p;
      });
    const ins = addLocal(g.inputs, TENSOR_TYPE.APP_WRITE, 'inputs');
    const outs = addLocal(g.outputs, TENSOR_TYPE.APP_READ, 'outputs');
    if (g.tensors !== undefined && !Array.isArray(g.tensors)) throw invalidArg('an array', `${gw}.tensors`, g.tensors);
    addLocal(g.tensors, TENSOR_TYPE.NATIVE, 'tensors');
    layoutGraphs[g.name] = ids;

    const resolve = (name: unknown, what: string): number => {
      if (typeof name !== 'string') throw invalidArg('a tensor name', what, name);
      const t = local.get(name) ?? staticByName.get(name);
      if (t === undefined) throw invalidArg(`a tensor of graph '${g.name}' or a static`, what, name);
      return t.id;
    };
    const idList = (names: readonly string[], what: string): number => {
      if (!Array.isArray(names)) throw invalidArg('an array of tensor names', what, names);
      const start = words.length;
      names.forEach((n, i) => words.push(resolve(n, `${what}[${i}]`)));
      return start;
    };

    const firstNode = nodeCount;
    const nodeList: readonly RefNodeDesc[] = g.nodes;
    nodeList.forEach((node, ni) => {
      const nw = `${gw}.nodes[${ni}]`;
      if (typeof node !== 'object' || node === null) throw invalidArg('a node description', nw, node);
      checkName(node.op, `${nw}.op`);
      const name = node.name === undefined ? `${node.op}_${ni}` : checkName(node.name, `${nw}.name`);
      const inputsWord = idList(node.inputs, `${nw}.inputs`);
      const outputsWord = idList(node.outputs, `${nw}.outputs`);
      const firstParam = paramCount;
      const params = node.params ?? {};
      if (typeof params !== 'object' || params === null) throw invalidArg('an object', `${nw}.params`, params);
      const encoded = Object.entries(params as Record<string, RefParamValue>).map(([pname, value]) => {
        checkName(pname, `${nw}.params`);
        return { pname, ...encodeParam(pname, value, words, wordsView, `${nw}.params.${pname}`) };
      });
      for (const e of encoded) {
        paramRecords.u32(strings.ref(e.pname));
        paramRecords.u32(e.kind);
        paramRecords.u32(e.count);
        paramRecords.u32(e.value);
        paramCount++;
      }
      nodeRecords.u32(strings.ref(node.op));
      nodeRecords.u32(strings.ref(name));
      nodeRecords.u32(node.inputs.length);
      nodeRecords.u32(inputsWord);
      nodeRecords.u32(node.outputs.length);
      nodeRecords.u32(outputsWord);
      nodeRecords.u32(firstParam);
      nodeRecords.u32(encoded.length);
      nodeCount++;
    });

    const inputsWord = words.length;
    ins.forEach((t) => words.push(t.id));
    const outputsWord = words.length;
    outs.forEach((t) => words.push(t.id));
    graphRecords.u32(strings.ref(g.name));
    graphRecords.u32(ins.length);
    graphRecords.u32(inputsWord);
    graphRecords.u32(outs.length);
    graphRecords.u32(outputsWord);
    graphRecords.u32(firstNode);
    graphRecords.u32(g.nodes.length);
    graphRecords.u32(0);
  });

  // Tensor records (after all words for ids/params, the dims and quant arrays follow).
  const tensorRecords = new ByteSink();
  for (const t of tensors) {
    const d = t.desc;
    const dimsWord = words.length;
    d.dims.forEach((x) => words.push(x));
    let enc: number = QUANT_ENCODING.NONE;
    let scale = 0;
    let offset = 0;
    let axis = 0;
    let numSO = 0;
    let soWord = 0;
    if (d.quant?.encoding === 'scale-offset') {
      enc = QUANT_ENCODING.SCALE_OFFSET;
      scale = d.quant.scale;
      offset = d.quant.offset;
    } else if (d.quant?.encoding === 'axis-scale-offset') {
      enc = QUANT_ENCODING.AXIS_SCALE_OFFSET;
      axis = d.quant.axis;
      numSO = d.quant.scales.length;
      soWord = words.length;
      for (let i = 0; i < numSO; i++) {
        words.push(wordsView.f32(d.quant.scales[i]));
        words.push(d.quant.offsets[i] | 0);
      }
    }
    tensorRecords.u32(t.id);
    tensorRecords.u32(strings.ref(d.name));
    tensorRecords.u32(t.type);
    tensorRecords.u32(DTYPES[d.dtype].qnnCode);
    tensorRecords.u32(d.dims.length);
    tensorRecords.u32(dimsWord);
    tensorRecords.u32(enc);
    tensorRecords.f32(scale);
    tensorRecords.i32(offset);
    tensorRecords.i32(axis);
    tensorRecords.u32(numSO);
    tensorRecords.u32(soWord);
    tensorRecords.u64(t.type === TENSOR_TYPE.STATIC ? t.dataOffset : 0);
    tensorRecords.u64(t.type === TENSOR_TYPE.STATIC ? t.byteLength : 0);
  }
  // Updatable statics (binary sections may replace their data): a word list of ids.
  const updatableIds = tensors.filter((t) => t.type === TENSOR_TYPE.STATIC && t.source?.updatable === true).map((t) => t.id);
  const updatableWord = updatableIds.length > 0 ? words.length : 0;
  for (const id of updatableIds) words.push(id);
  const descriptionStr = strings.ref(desc.description ?? '');
  const producerStr = desc.producer === undefined ? 0 : strings.ref(desc.producer);
  const stringBytes = strings.take();

  // Assemble: header, tensors, graphs, nodes, params, words, strings.
  const tensorsOffset = HEADER_SIZE;
  const graphsOffset = tensorsOffset + tensors.length * TENSOR_RECORD_SIZE;
  const nodesOffset = graphsOffset + desc.graphs.length * GRAPH_RECORD_SIZE;
  const paramsOffset = nodesOffset + nodeCount * NODE_RECORD_SIZE;
  const wordsOffset = paramsOffset + paramCount * PARAM_RECORD_SIZE;
  const stringsOffset = wordsOffset + words.length * 4;
  const metaSize = stringsOffset + stringBytes.length;
  if (metaSize > U32_MAX) throw outOfRange('metadata below 4 GiB', 'desc', metaSize);
  const dataOffset = alignUp(metaSize, DATA_ALIGNMENT);
  const fileSize = dataOffset + dataSize;

  const meta = new ByteSink();
  meta.bytes(new TextEncoder().encode(MAGIC));
  meta.u32(FORMAT_VERSION);
  meta.u32(HEADER_SIZE);
  meta.u64(fileSize);
  meta.u32(0); // checksum, patched below
  meta.u32(0); // flags
  meta.u32(metaSize);
  meta.u32(stringsOffset);
  meta.u32(stringBytes.length);
  meta.u32(tensorsOffset);
  meta.u32(tensors.length);
  meta.u32(graphsOffset);
  meta.u32(desc.graphs.length);
  meta.u32(nodesOffset);
  meta.u32(nodeCount);
  meta.u32(paramsOffset);
  meta.u32(paramCount);
  meta.u32(wordsOffset);
  meta.u32(words.length);
  meta.u32(0); // reserved0
  meta.u64(dataOffset);
  meta.u64(dataSize);
  meta.u32(descriptionStr);
  meta.u32(producerStr);
  meta.u32(updatableWord);
  meta.u32(updatableIds.length);
  meta.u64(spillFillBytes);
  meta.pad(HEADER_SIZE);
  meta.bytes(tensorRecords.take());
  meta.bytes(graphRecords.take());
  meta.bytes(nodeRecords.take());
  meta.bytes(paramRecords.take());
  for (const w of words) meta.u32(w);
  meta.bytes(stringBytes);
  const metaBytes = meta.take();
  const checksum = metadataChecksum(metaBytes);
  new DataView(metaBytes.buffer).setUint32(H.checksum, checksum, true);

  const staticLayout = Object.create(null) as Record<string, { id: number; offset: number; byteLength: number }>;
  for (const t of tensors) if (t.type === TENSOR_TYPE.STATIC) staticLayout[t.desc.name] = { id: t.id, offset: t.dataOffset, byteLength: t.byteLength };

  return {
    meta: metaBytes,
    statics: tensors.filter((t) => t.type === TENSOR_TYPE.STATIC),
    layout: { fileSize, metaSize, dataOffset, dataSize, checksum, statics: staticLayout, graphs: layoutGraphs },
  };
}
