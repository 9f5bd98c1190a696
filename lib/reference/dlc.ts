/**
 * Writer and reader of reference DLC files ("QNNRDLC1"): the project's own DLC-like format,
 * read by the reference QnnModelDlc stand-in (modeldlc/libQnnModelDlc.so, native/
 * reference-backend/models/model_dlc.cc) so that the DLC path (QnnModel_composeGraphsFromDlc)
 * is tested end to end without Qualcomm's converter. Real `.dlc` files are read only by
 * Qualcomm's libQnnModelDlc. Layout (docs/reference-backend.md, "Reference DLC files"):
 *
 *   0   magic 'QNNRDLC1'          24  u64 body size (file size - 64)
 *   8   u32 container version 1   32  u32 CRC-32 of the body
 *   12  u32 header size 64        36  u32 number of graphs in the body
 *   16  u64 body offset 64        40  24 reserved bytes, zero
 *   64  body: a reference model (QNNREF01, from the same description writeReferenceBinary
 *       takes), whose STATIC tensors are the weights the graphs are composed with.
 *
 * ```ts
 * const bytes = writeReferenceDlc({ graphs: [...], statics: [...] });
 * fs.writeFileSync('model.dlc', bytes);
 * ```
 */
import { invalidArg } from '../errors.js';
import { crc32 } from './format.js';
import { encodeReferenceBinary } from './writer.js';
import type { ReferenceBinaryDesc } from './writer-types.js';

export const DLC_MAGIC = 'QNNRDLC1';
export const DLC_CONTAINER_VERSION = 1;
export const DLC_HEADER_SIZE = 64;

/** Byte offsets of the header fields. */
export const DLC_HEADER = Object.freeze({
  magic: 0,
  version: 8,
  headerSize: 12,
  bodyOffset: 16,
  bodySize: 24,
  bodyCrc: 32,
  graphCount: 36,
});

/** Encodes a reference DLC in memory from a reference model description. */
export function writeReferenceDlc(model: ReferenceBinaryDesc): Uint8Array {
  const body = encodeReferenceBinary(model);
  const out = new Uint8Array(DLC_HEADER_SIZE + body.byteLength);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(DLC_MAGIC), DLC_HEADER.magic);
  view.setUint32(DLC_HEADER.version, DLC_CONTAINER_VERSION, true);
  view.setUint32(DLC_HEADER.headerSize, DLC_HEADER_SIZE, true);
  view.setBigUint64(DLC_HEADER.bodyOffset, BigInt(DLC_HEADER_SIZE), true);
  view.setBigUint64(DLC_HEADER.bodySize, BigInt(body.byteLength), true);
  view.setUint32(DLC_HEADER.bodyCrc, crc32(body), true);
  view.setUint32(DLC_HEADER.graphCount, model.graphs.length, true);
  out.set(body, DLC_HEADER_SIZE);
  return out;
}

/** True when `bytes` start like a reference DLC (the magic). */
export function isReferenceDlc(bytes: Uint8Array): boolean {
  if (bytes.byteLength < DLC_MAGIC.length) return false;
  for (let i = 0; i < DLC_MAGIC.length; i++) if (bytes[i] !== DLC_MAGIC.charCodeAt(i)) return false;
  return true;
}

/**
 * The reference model inside a reference DLC (a view, not a copy), after checking the
 * container header. Throws ERR_INVALID_ARG naming the field that is wrong.
 */
export function referenceDlcBody(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw invalidArg('a Uint8Array', 'dlc', bytes);
  if (bytes.byteLength < DLC_HEADER_SIZE) throw invalidArg(`at least ${DLC_HEADER_SIZE} bytes`, 'dlc (length)', bytes.byteLength);
  if (!isReferenceDlc(bytes)) throw invalidArg(`the magic '${DLC_MAGIC}'`, 'dlc (bytes 0..7)', new TextDecoder().decode(bytes.subarray(0, 8)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(DLC_HEADER.version, true);
  if (version !== DLC_CONTAINER_VERSION) throw invalidArg(`container version ${DLC_CONTAINER_VERSION}`, 'dlc (version)', version);
  const bodyOffset = Number(view.getBigUint64(DLC_HEADER.bodyOffset, true));
  if (bodyOffset !== DLC_HEADER_SIZE) throw invalidArg(`body offset ${DLC_HEADER_SIZE}`, 'dlc (body offset)', bodyOffset);
  const bodySize = Number(view.getBigUint64(DLC_HEADER.bodySize, true));
  if (bodySize !== bytes.byteLength - DLC_HEADER_SIZE) throw invalidArg(`body size ${bytes.byteLength - DLC_HEADER_SIZE} (the bytes after the header)`, 'dlc (body size)', bodySize);
  const body = bytes.subarray(DLC_HEADER_SIZE);
  const crc = view.getUint32(DLC_HEADER.bodyCrc, true);
  if (crc32(body) !== crc) throw invalidArg(`body CRC-32 0x${crc32(body).toString(16)}`, 'dlc (body CRC)', `0x${crc.toString(16)}`);
  return body;
}
