/**
 * Mutated reference binaries: seeds from lib/reference/writer.ts (the smoke fixtures and
 * the bundled example), changed at the description level (then encoded, so the result is
 * well-formed but semantically hostile) or at the byte level with the metadata checksum
 * recomputed (so the mutation gets past the checksum into the parser).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { H, REFERENCE_OPS, metadataChecksum } from '../../../lib/reference/format.js';
import { encodeReferenceBinary, planReferenceBinary, type RefNodeDesc, type RefParamValue, type ReferenceBinaryDesc, type RefTensorDesc } from '../../../lib/reference/writer.js';
import type { Prng } from '../../../lib/random.js';
import { DTYPES, type DType } from '../../../lib/tensor/dtypes.js';
import { basic, ops, shared } from '../../../test/reference/fixtures.js';
import { INTERESTING_U32, interestingU32, mutateBytes, pick, randInt } from '../mutate.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Seeds as descriptions (for description-level mutations). */
export const SEED_DESCS: readonly ReferenceBinaryDesc[] = [basic, ops, shared];

/** Seeds as bytes: the encoded descriptions plus the committed example binary. */
export const SEED_BYTES: readonly Uint8Array[] = [
  ...SEED_DESCS.map((d) => encodeReferenceBinary(d)),
  new Uint8Array(readFileSync(path.join(repoRoot, 'examples', 'reference', 'example.bin'))),
];

/** Generated binaries above this size are not worth the time (the seeds are a few KB). */
const MAX_BINARY_BYTES = 4 << 20;

const DIMS: readonly number[] = [0, 1, 2, 3, 5, 7, 64, 1000, 65536, 0x7fffffff, 0xffffffff, 2 ** 20];
const DTYPE_NAMES = Object.keys(DTYPES) as DType[];

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

function tensorsOf(desc: ReferenceBinaryDesc): RefTensorDesc[] {
  return desc.graphs.flatMap((g) => [...g.inputs, ...g.outputs, ...(g.tensors ?? [])]);
}

function paramValue(rng: Prng): RefParamValue {
  switch (randInt(rng, 6)) {
    case 0:
      return pick(rng, [-1, 0, 1, 2, 3, 7, 2 ** 31 - 1, -(2 ** 31)]);
    case 1:
      return pick(rng, [true, false]);
    case 2:
      return Array.from({ length: randInt(rng, 9) }, () => pick(rng, [-1, 0, 1, 2, 3, 100, 2 ** 31 - 1]));
    case 3:
      return { float: pick(rng, [0, -1, 1e-30, 1e30, 3.5]) };
    case 4:
      return { float: Array.from({ length: randInt(rng, 5) }, () => pick(rng, [0, 0.5, -2, 1e20])) };
    default:
      return 2.5;
  }
}

/** One description-level change; returns a note. */
function mutateDesc(rng: Prng, desc: Mutable<ReferenceBinaryDesc>): string {
  const graph = pick(rng, desc.graphs) as Mutable<ReferenceBinaryDesc['graphs'][number]>;
  const tensors = tensorsOf(desc) as Mutable<RefTensorDesc>[];
  switch (randInt(rng, 8)) {
    case 0: {
      const t = pick(rng, tensors);
      const dims = [...t.dims];
      if (dims.length === 0 || randInt(rng, 4) === 0) dims.push(pick(rng, DIMS));
      else dims[randInt(rng, dims.length)] = pick(rng, DIMS);
      t.dims = dims;
      return `dims of ${t.name} → [${dims}]`;
    }
    case 1: {
      const t = pick(rng, tensors);
      t.dtype = pick(rng, DTYPE_NAMES);
      if (DTYPES[t.dtype].quantized) t.quant = { encoding: 'scale-offset', scale: pick(rng, [0.5, 1e-30, 1e30]), offset: pick(rng, [0, -128, 2 ** 31 - 1]) };
      else delete t.quant;
      return `dtype of ${t.name} → ${t.dtype}`;
    }
    case 2: {
      const node = pick(rng, graph.nodes) as Mutable<RefNodeDesc>;
      node.op = pick(rng, REFERENCE_OPS);
      return `op of a node in ${graph.name} → ${node.op}`;
    }
    case 3: {
      const node = pick(rng, graph.nodes) as Mutable<RefNodeDesc>;
      const names = [...tensorsOf({ graphs: [graph] }).map((t) => t.name), ...(desc.statics ?? []).map((s) => s.name)];
      const inputs = [...node.inputs];
      if (inputs.length === 0 || randInt(rng, 3) === 0) inputs.push(pick(rng, names));
      else if (randInt(rng, 3) === 0) inputs.splice(randInt(rng, inputs.length), 1);
      else inputs[randInt(rng, inputs.length)] = pick(rng, names);
      node.inputs = inputs;
      return `inputs of ${node.op} in ${graph.name} → [${inputs}]`;
    }
    case 4: {
      const node = pick(rng, graph.nodes) as Mutable<RefNodeDesc>;
      const params: Record<string, unknown> = { ...(node.params ?? {}) };
      const key = Object.keys(params).length > 0 && randInt(rng, 2) === 0 ? pick(rng, Object.keys(params)) : pick(rng, ['axis', 'perm', 'ranges', 'beta', 'transpose_in0', 'transpose_in1', 'keep_dims', 'shape', 'axes', 'epsilon']);
      params[key] = paramValue(rng);
      node.params = params as RefNodeDesc['params'];
      return `param ${key} of ${node.op} → ${JSON.stringify(params[key])}`;
    }
    case 5: {
      const node = pick(rng, graph.nodes) as Mutable<RefNodeDesc>;
      const names = tensorsOf({ graphs: [graph] }).map((t) => t.name);
      node.outputs = [pick(rng, names)];
      return `output of ${node.op} in ${graph.name} → ${node.outputs[0]}`;
    }
    case 6: {
      const statics = [...(desc.statics ?? [])];
      if (statics.length === 0) return 'no statics';
      const k = randInt(rng, statics.length);
      const s = statics[k];
      const dims = s.dims.map((d) => (randInt(rng, 2) === 0 ? pick(rng, [1, 2, 3, 17, 1000]) : d));
      statics[k] = { name: s.name, dtype: s.dtype, dims, ...(s.quant ? { quant: s.quant } : {}), fill: pick(rng, [0, 1, -1, 1e30, 65504]) };
      desc.statics = statics;
      return `static ${s.name} → [${dims}] filled`;
    }
    default: {
      const node = pick(rng, graph.nodes);
      graph.nodes = [...graph.nodes, { ...node, name: undefined }];
      return `node ${node.op} repeated in ${graph.name}`;
    }
  }
}

function cloneDesc(desc: ReferenceBinaryDesc): Mutable<ReferenceBinaryDesc> {
  return {
    ...desc,
    graphs: desc.graphs.map((g) => ({
      ...g,
      inputs: g.inputs.map((t) => ({ ...t, dims: [...t.dims] })),
      outputs: g.outputs.map((t) => ({ ...t, dims: [...t.dims] })),
      tensors: (g.tensors ?? []).map((t) => ({ ...t, dims: [...t.dims] })),
      nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], ...(n.params ? { params: { ...n.params } } : {}) })),
    })),
    statics: (desc.statics ?? []).map((s) => ({ ...s })),
  } as Mutable<ReferenceBinaryDesc>;
}

function readMetaSize(bytes: Uint8Array): number {
  if (bytes.length < H.metaSize + 4) return 0;
  const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(H.metaSize, true);
  return Math.min(size, bytes.length);
}

/** Recomputes the metadata checksum so that a mutation reaches the parser. */
export function fixChecksum(bytes: Uint8Array): void {
  const meta = readMetaSize(bytes);
  if (meta < H.checksum + 4) return;
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(H.checksum, metadataChecksum(bytes.subarray(0, meta)), true);
}

/** A u32 at a 4-aligned offset of the metadata (header and tables): sizes, offsets, counts, ids, words. */
function mutateMetaField(rng: Prng, bytes: Uint8Array): string {
  const meta = readMetaSize(bytes);
  if (meta < 8) return 'no metadata';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = randInt(rng, meta >> 2) << 2;
  const before = view.getUint32(at, true);
  const value = randInt(rng, 4) === 0 ? view.getUint32(randInt(rng, meta >> 2) << 2, true) : interestingU32(rng, before);
  view.setUint32(at, value, true);
  return `u32 @${at}: ${before} → ${value}`;
}

function mutateHeaderField(rng: Prng, bytes: Uint8Array): string {
  const fields = Object.entries(H).filter(([k]) => k !== 'magic' && k !== 'checksum');
  const [name, at] = pick(rng, fields);
  if (at + 4 > bytes.length) return 'short header';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const before = view.getUint32(at, true);
  const value = randInt(rng, 3) === 0 ? (before + pick(rng, [-64, -1, 1, 64, 128])) >>> 0 : pick(rng, INTERESTING_U32);
  view.setUint32(at, value, true);
  return `header.${name}: ${before} → ${value}`;
}

/** The bytes of a mutated binary and a note of what changed. */
export function mutateBinary(rng: Prng): { bytes: Uint8Array; note: string } {
  const mode = randInt(rng, 20);
  if (mode < 5) {
    const desc = cloneDesc(pick(rng, SEED_DESCS));
    const notes: string[] = [];
    for (let k = 1 + randInt(rng, 3); k > 0; k--) notes.push(mutateDesc(rng, desc));
    try {
      if (planReferenceBinary(desc).fileSize <= MAX_BINARY_BYTES) return { bytes: encodeReferenceBinary(desc), note: `desc: ${notes.join('; ')}` };
    } catch {
      /* the writer refused the description: mutate bytes instead */
    }
  }
  let bytes: Uint8Array = new Uint8Array(pick(rng, SEED_BYTES));
  const notes: string[] = [];
  const fix = mode < 18;
  for (let k = 1 + randInt(rng, 4); k > 0; k--) {
    const kind = randInt(rng, 10);
    if (kind < 5) notes.push(mutateMetaField(rng, bytes));
    else if (kind < 7) notes.push(mutateHeaderField(rng, bytes));
    else if (kind < 9) {
      const meta = readMetaSize(bytes);
      bytes = mutateBytes(rng, bytes, kind === 7 && meta > 0 ? [0, meta] : [0, bytes.length]);
      notes.push('bytes');
    } else {
      const len = randInt(rng, 2) === 0 ? randInt(rng, bytes.length) : bytes.length + 1 + randInt(rng, 256);
      const out = new Uint8Array(len);
      out.set(bytes.subarray(0, Math.min(len, bytes.length)));
      bytes = out;
      notes.push(`length → ${len}`);
    }
  }
  if (fix) fixChecksum(bytes);
  return { bytes, note: `${fix ? 'bytes+checksum' : 'bytes'}: ${notes.join('; ')}` };
}
