/**
 * Writer and reader of reference-backend binary sections ("QNNRSEC1",
 * docs/reference-backend.md): what `contextApplyBinarySection` takes on the reference
 * backend — new data for named updatable STATIC tensors of one binary (the role LoRA
 * adapter binary sections play on HTP).
 *
 * ```ts
 * const layout = await writeReferenceBinary(path, desc);  // statics marked `updatable: true`
 * const adapter = encodeReferenceSection({ binary: layout, tensors: { lora_b: { dtype: 'float32', data: weights } } });
 * await ctx.applyBinarySection(adapter);
 * ```
 */
import { invalidArg, outOfRange, QnnNodeError } from '../errors.js';
import { DTYPES, dtypeFromQnnCode, isDType, type DType } from '../tensor/dtypes.js';
import { crc32 } from './format.js';

export const SECTION_MAGIC = 'QNNRSEC1';
export const SECTION_VERSION = 1;
export const SECTION_HEADER_SIZE = 64;
export const SECTION_ENTRY_SIZE = 32;
export const SECTION_DATA_ALIGNMENT = 64;
/** QNN_CONTEXT_SECTION_UPDATABLE. */
export const SECTION_TYPE_UPDATABLE = 1;

/** Byte offsets of the section header fields. */
export const SH = Object.freeze({
  magic: 0,
  version: 8,
  headerSize: 12,
  totalSize: 16,
  checksum: 24,
  binaryChecksum: 28,
  sectionType: 32,
  entryCount: 36,
  entriesOffset: 40,
  stringsOffset: 44,
  stringsSize: 48,
  graphStr: 52,
  // 56..63 reserved, zero
});

export interface RefSectionTensor {
  readonly dtype: DType;
  /** Exactly the tensor's bytes (any typed array / DataView). */
  readonly data: ArrayBufferView;
}

export interface ReferenceSectionDesc {
  /** The binary the section is for: its layout (writeReferenceBinary's result) or its header checksum. */
  readonly binary: { readonly checksum: number };
  /** One graph's section (applied with that graph); omitted: the whole context. */
  readonly graph?: string;
  /** Updatable static tensor name → new data. At least one. */
  readonly tensors: Readonly<Record<string, RefSectionTensor>>;
}

export interface ReferenceSection {
  readonly binaryChecksum: number;
  readonly sectionType: number;
  readonly graph?: string;
  readonly tensors: Readonly<Record<string, { readonly dtype: DType | undefined; readonly dataType: number; readonly data: Uint8Array }>>;
}

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

/** The checksum a section stores at SH.checksum: CRC-32 of the whole section with that field taken as zero. */
export function sectionChecksum(bytes: Uint8Array): number {
  const zero = new Uint8Array(4);
  let crc = crc32(bytes.subarray(0, SH.checksum));
  crc = crc32(zero, crc);
  return crc32(bytes.subarray(SH.checksum + 4), crc);
}

/** Encodes a section in memory. */
export function encodeReferenceSection(desc: ReferenceSectionDesc): Uint8Array {
  if (typeof desc !== 'object' || desc === null) throw invalidArg('a section description', 'desc', desc);
  const checksum = desc.binary?.checksum;
  if (typeof checksum !== 'number' || !Number.isInteger(checksum) || checksum < 0 || checksum > 0xffffffff) {
    throw invalidArg("a binary's layout or { checksum } (a u32)", 'desc.binary', desc.binary);
  }
  if (desc.graph !== undefined && (typeof desc.graph !== 'string' || desc.graph.length === 0)) throw invalidArg('a graph name', 'desc.graph', desc.graph);
  if (typeof desc.tensors !== 'object' || desc.tensors === null) throw invalidArg('an object of tensors by name', 'desc.tensors', desc.tensors);
  const names = Object.keys(desc.tensors);
  if (names.length === 0) throw invalidArg('at least one tensor', 'desc.tensors', desc.tensors);
  const enc = new TextEncoder();
  const strings: number[] = [0];
  const addString = (s: string): number => {
    const ref = strings.length;
    for (const b of enc.encode(s)) strings.push(b);
    strings.push(0);
    return ref;
  };
  const graphStr = desc.graph === undefined ? 0 : addString(desc.graph);
  const entries = names.map((name) => {
    const t = desc.tensors[name];
    const where = `desc.tensors[${JSON.stringify(name)}]`;
    if (name.length === 0 || name.includes('\0')) throw invalidArg('a tensor name', where, name);
    if (typeof t !== 'object' || t === null) throw invalidArg('{ dtype, data }', where, t);
    if (!isDType(t.dtype)) throw invalidArg('a dtype name', `${where}.dtype`, t.dtype);
    if (!ArrayBuffer.isView(t.data)) throw invalidArg('a typed array or DataView', `${where}.data`, t.data);
    return { nameStr: addString(name), dataType: DTYPES[t.dtype].qnnCode, bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
  });
  const entriesOffset = SECTION_HEADER_SIZE;
  const stringsOffset = entriesOffset + entries.length * SECTION_ENTRY_SIZE;
  let at = stringsOffset + strings.length;
  const offsets = entries.map((e) => {
    at = alignUp(at, SECTION_DATA_ALIGNMENT);
    const o = at;
    at += e.bytes.length;
    return o;
  });
  if (at > Number.MAX_SAFE_INTEGER) throw outOfRange('a smaller section', 'desc.tensors', at);
  const out = new Uint8Array(at);
  const view = new DataView(out.buffer);
  out.set(enc.encode(SECTION_MAGIC), 0);
  view.setUint32(SH.version, SECTION_VERSION, true);
  view.setUint32(SH.headerSize, SECTION_HEADER_SIZE, true);
  view.setBigUint64(SH.totalSize, BigInt(at), true);
  view.setUint32(SH.binaryChecksum, checksum >>> 0, true);
  view.setUint32(SH.sectionType, SECTION_TYPE_UPDATABLE, true);
  view.setUint32(SH.entryCount, entries.length, true);
  view.setUint32(SH.entriesOffset, entriesOffset, true);
  view.setUint32(SH.stringsOffset, stringsOffset, true);
  view.setUint32(SH.stringsSize, strings.length, true);
  view.setUint32(SH.graphStr, graphStr, true);
  entries.forEach((e, k) => {
    const o = entriesOffset + k * SECTION_ENTRY_SIZE;
    view.setUint32(o, e.nameStr, true);
    view.setUint32(o + 4, e.dataType, true);
    view.setBigUint64(o + 8, BigInt(offsets[k]), true);
    view.setBigUint64(o + 16, BigInt(e.bytes.length), true);
    out.set(e.bytes, offsets[k]);
  });
  out.set(strings, stringsOffset);
  view.setUint32(SH.checksum, sectionChecksum(out), true);
  return out;
}

function malformed(message: string): QnnNodeError {
  return new QnnNodeError('BINARY_INVALID', `Invalid reference binary section: ${message}`, { details: { check: 'section' } });
}

/** Decodes a section (bounds and checksum checked); tensors' data are views into `bytes`. */
export function decodeReferenceSection(bytes: Uint8Array): ReferenceSection {
  if (!(bytes instanceof Uint8Array)) throw invalidArg('a Uint8Array', 'bytes', bytes);
  if (bytes.length < SECTION_HEADER_SIZE) throw malformed(`${bytes.length} bytes, smaller than the 64-byte header`);
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== SECTION_MAGIC) throw malformed('the magic is not "QNNRSEC1"');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number): number => view.getUint32(o, true);
  const u64 = (o: number): number => Number(view.getBigUint64(o, true));
  if (u32(SH.version) !== SECTION_VERSION) throw malformed(`version ${u32(SH.version)}`);
  if (u64(SH.totalSize) !== bytes.length) throw malformed(`its header says ${u64(SH.totalSize)} bytes, the buffer has ${bytes.length}`);
  if (u32(SH.checksum) !== sectionChecksum(bytes)) throw malformed('checksum mismatch');
  const stringsOffset = u32(SH.stringsOffset);
  const stringsSize = u32(SH.stringsSize);
  if (stringsSize === 0 || stringsOffset + stringsSize > bytes.length) throw malformed('the string table is outside the section');
  const str = (ref: number): string => {
    if (ref >= stringsSize) throw malformed(`string ref ${ref} outside the string table`);
    const start = stringsOffset + ref;
    const end = bytes.indexOf(0, start);
    if (end < 0 || end >= stringsOffset + stringsSize) throw malformed('a string is not NUL-terminated');
    return new TextDecoder().decode(bytes.subarray(start, end));
  };
  const count = u32(SH.entryCount);
  const entriesOffset = u32(SH.entriesOffset);
  if (entriesOffset + count * SECTION_ENTRY_SIZE > bytes.length) throw malformed('the entry table is outside the section');
  const tensors: Record<string, { dtype: DType | undefined; dataType: number; data: Uint8Array }> = Object.create(null);
  for (let k = 0; k < count; k++) {
    const o = entriesOffset + k * SECTION_ENTRY_SIZE;
    const name = str(u32(o));
    const dataType = u32(o + 4);
    const offset = u64(o + 8);
    const size = u64(o + 16);
    if (offset > bytes.length || size > bytes.length - offset) throw malformed(`tensor '${name}' data runs past the end`);
    tensors[name] = { dtype: dtypeFromQnnCode(dataType), dataType, data: bytes.subarray(offset, offset + size) };
  }
  const graphStr = u32(SH.graphStr);
  return {
    binaryChecksum: u32(SH.binaryChecksum),
    sectionType: u32(SH.sectionType),
    ...(graphStr !== 0 ? { graph: str(graphStr) } : {}),
    tensors,
  };
}
