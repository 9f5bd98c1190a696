/**
 * Writer of reference-backend context binaries ("QNNREF01", docs/reference-backend.md).
 *
 * The reference backend (native/reference-backend, libQnnReference) is the project's test
 * double for the QNN C API: it loads these binaries through contextCreateFromBinary and
 * runs their graphs on the CPU. It is not a Qualcomm backend and is not numerically
 * representative of HTP.
 *
 * ```ts
 * const desc: ReferenceBinaryDesc = {
 *   statics: [{ name: 'w', dtype: 'float32', dims: [4, 4], data: new Float32Array(16) }],
 *   graphs: [{
 *     name: 'mm',
 *     inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
 *     outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
 *     nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
 *   }],
 * };
 * const bytes = encodeReferenceBinary(desc);          // small binaries, in memory
 * const layout = await writeReferenceBinary(path, desc); // any size, streamed
 * ```
 */

import { open } from 'node:fs/promises';
import { invalidArg } from '../errors.js';
import { plan } from './writer-plan.js';
import { fillChunks, sizeError, viewBytes } from './writer-static.js';
import type { ReferenceBinaryDesc, ReferenceLayout } from './writer-types.js';

export type { RefGraphDesc, RefNodeDesc, RefParamValue, RefStaticDesc, RefTensorDesc, ReferenceBinaryDesc, ReferenceLayout } from './writer-types.js';

/** Validates a description and computes ids and the byte layout without producing data. */
export function planReferenceBinary(desc: ReferenceBinaryDesc): ReferenceLayout {
  return plan(desc).layout;
}

/**
 * Encodes a binary in memory. Static `chunks` must be synchronous iterables here; use
 * writeReferenceBinary for large binaries.
 */
export function encodeReferenceBinary(desc: ReferenceBinaryDesc): Uint8Array {
  const p = plan(desc);
  const out = new Uint8Array(p.layout.fileSize);
  out.set(p.meta, 0);
  for (const t of p.statics) {
    const base = p.layout.dataOffset + t.dataOffset;
    const s = t.source!;
    if (s.data !== undefined) {
      out.set(viewBytes(s.data), base);
      continue;
    }
    const iterable = s.fill !== undefined ? fillChunks(t) : s.chunks!();
    if (!(Symbol.iterator in Object(iterable))) {
      throw invalidArg('a synchronous iterable (use writeReferenceBinary for async chunks)', `static '${t.desc.name}'.chunks`, iterable);
    }
    let at = 0;
    for (const chunk of iterable as Iterable<Uint8Array>) {
      if (!(chunk instanceof Uint8Array)) throw invalidArg('Uint8Array chunks', `static '${t.desc.name}'.chunks`, chunk);
      if (at + chunk.length > t.byteLength) throw sizeError(t, at + chunk.length);
      out.set(chunk, base + at);
      at += chunk.length;
    }
    if (at !== t.byteLength) throw sizeError(t, at);
  }
  return out;
}

/**
 * Writes a binary to `path`, streaming static data (fill / chunks / data) so that memory
 * use stays around one chunk whatever the file size. Returns the layout (tensor ids).
 */
export async function writeReferenceBinary(path: string, desc: ReferenceBinaryDesc): Promise<ReferenceLayout> {
  const p = plan(desc);
  const fh = await open(path, 'w');
  try {
    let pos = 0;
    const write = async (bytes: Uint8Array): Promise<void> => {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, pos);
        done += bytesWritten;
        pos += bytesWritten;
      }
    };
    const padTo = async (target: number): Promise<void> => {
      if (target > pos) await write(new Uint8Array(target - pos));
    };
    await write(p.meta);
    for (const t of p.statics) {
      await padTo(p.layout.dataOffset + t.dataOffset);
      const s = t.source!;
      if (s.data !== undefined) {
        await write(viewBytes(s.data));
        continue;
      }
      const iterable = s.fill !== undefined ? fillChunks(t) : s.chunks!();
      let at = 0;
      for await (const chunk of iterable as AsyncIterable<Uint8Array>) {
        if (!(chunk instanceof Uint8Array)) throw invalidArg('Uint8Array chunks', `static '${t.desc.name}'.chunks`, chunk);
        if (at + chunk.length > t.byteLength) throw sizeError(t, at + chunk.length);
        await write(chunk);
        at += chunk.length;
      }
      if (at !== t.byteLength) throw sizeError(t, at);
    }
    await padTo(p.layout.fileSize);
  } finally {
    await fh.close();
  }
  return p.layout;
}
