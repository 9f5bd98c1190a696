/**
 * Mutated binary sections ("QNNRSEC1") through contextApplyBinarySection on the reference
 * backend — applied to a whole zero-copy context and to one graph of a copying context —,
 * then a run of the graph and readBinarySection. Seeds are valid sections of one binary
 * with updatable weights; mutations change the description (names, dtypes, sizes, graph,
 * target binary) or bytes, usually with the section checksum recomputed so that the
 * mutation reaches the parser.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Qnn, type QnnContext } from '../../../lib/backend/qnn/index.js';
import type { Prng } from '../../../lib/random.js';
import { SH, decodeReferenceSection, encodeReferenceSection, sectionChecksum, type ReferenceSectionDesc } from '../../../lib/reference/section.js';
import { encodeReferenceBinary, planReferenceBinary, type ReferenceBinaryDesc } from '../../../lib/reference/writer.js';
import { Tensor } from '../../../lib/tensor/Tensor.js';
import { judgeError, worse, type CaseResult } from '../outcome.js';
import { INTERESTING_U32, casePrng, interestingU32, mutateBytes, pick, randInt } from '../mutate.js';
import type { CaseRunner, FuzzInput, FuzzTarget, RunnerOptions } from './types.js';

/** decode: y = x·w + x·delta (delta and gain updatable); scale: y = x * gain. */
export const SECTION_BINARY: ReferenceBinaryDesc = {
  description: 'sections fuzz seed',
  statics: [
    { name: 'w', dtype: 'float32', dims: [4, 4], fill: 0.5 },
    { name: 'delta', dtype: 'float32', dims: [4, 4], fill: 0, updatable: true },
    { name: 'gain', dtype: 'float16', dims: [1, 4], fill: 1, updatable: true },
  ],
  graphs: [
    {
      name: 'decode',
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
      tensors: [
        { name: 'a', dtype: 'float32', dims: [1, 4] },
        { name: 'b', dtype: 'float32', dims: [1, 4] },
      ],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['a'] },
        { op: 'MatMul', inputs: ['x', 'delta'], outputs: ['b'] },
        { op: 'ElementWiseAdd', inputs: ['a', 'b'], outputs: ['y'] },
      ],
    },
    {
      name: 'scale',
      inputs: [{ name: 'x', dtype: 'float16', dims: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float16', dims: [1, 4] }],
      nodes: [{ op: 'ElementWiseMultiply', inputs: ['x', 'gain'], outputs: ['y'] }],
    },
  ],
};
const LAYOUT = planReferenceBinary(SECTION_BINARY);
const BINARY = encodeReferenceBinary(SECTION_BINARY);

function seedDesc(rng: Prng): { desc: ReferenceSectionDesc; graph?: string } {
  const delta = { dtype: 'float32' as const, data: Float32Array.from({ length: 16 }, () => rng.next() * 2 - 1) };
  const gain = { dtype: 'float16' as const, data: new Uint16Array(4).fill(0x3c00) };
  switch (randInt(rng, 3)) {
    case 0:
      return { desc: { binary: LAYOUT, tensors: { delta, gain } } };
    case 1:
      return { desc: { binary: LAYOUT, graph: 'decode', tensors: { delta } }, graph: 'decode' };
    default:
      return { desc: { binary: LAYOUT, graph: 'scale', tensors: { gain } }, graph: 'scale' };
  }
}

function mutateDesc(rng: Prng, d: { -readonly [K in keyof ReferenceSectionDesc]: ReferenceSectionDesc[K] }): string {
  const tensors = { ...d.tensors } as Record<string, { dtype: 'float32' | 'float16' | 'int32' | 'uint8'; data: ArrayBufferView }>;
  const names = Object.keys(tensors);
  const name = pick(rng, names);
  let note: string;
  switch (randInt(rng, 7)) {
    case 0:
      tensors[pick(rng, ['w', 'a', 'x', 'y', 'nope', '', 'delta\u0000', 'gain'])] = tensors[name];
      note = 'tensor renamed/added';
      break;
    case 1:
      tensors[name] = { ...tensors[name], dtype: pick(rng, ['float32', 'float16', 'int32', 'uint8'] as const) };
      note = `dtype of ${name}`;
      break;
    case 2:
      tensors[name] = { ...tensors[name], data: new Uint8Array(randInt(rng, 200)) };
      note = `size of ${name}`;
      break;
    case 3:
      d.graph = pick(rng, [undefined, 'decode', 'scale', 'other', 'x']);
      note = `graph ${d.graph}`;
      break;
    case 4:
      d.binary = { checksum: interestingU32(rng, LAYOUT.checksum) >>> 0 };
      note = 'another binary';
      break;
    case 5:
      delete tensors[name];
      tensors.delta = { dtype: 'float32', data: Float32Array.from({ length: 16 }, () => pick(rng, [NaN, Infinity, -Infinity, 1e38, 0])) };
      note = 'hostile values';
      break;
    default:
      for (let k = randInt(rng, 40); k > 0; k--) tensors[`extra${k}`] = { dtype: 'uint8', data: new Uint8Array(k) };
      note = 'many entries';
  }
  d.tensors = tensors;
  return note;
}

function fixSectionChecksum(bytes: Uint8Array): void {
  if (bytes.length < SH.checksum + 4) return;
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(SH.checksum, sectionChecksum(bytes), true);
}

export function mutateSection(rng: Prng): { bytes: Uint8Array; note: string } {
  const seed = seedDesc(rng);
  const mode = randInt(rng, 20);
  const desc = { ...seed.desc };
  const notes: string[] = [seed.graph ? `graph section ${seed.graph}` : 'context section'];
  if (mode < 6) {
    notes.push(mutateDesc(rng, desc));
    try {
      return { bytes: encodeReferenceSection(desc), note: `desc: ${notes.join('; ')}` };
    } catch {
      notes.push('writer refused');
    }
  }
  let bytes: Uint8Array = encodeReferenceSection(seed.desc);
  const fix = mode < 18;
  for (let k = 1 + randInt(rng, 3); k > 0; k--) {
    const kind = randInt(rng, 10);
    if (kind < 5) {
      const fields = Object.entries(SH).filter(([n]) => n !== 'magic' && n !== 'checksum');
      const [field, at] = pick(rng, fields);
      if (at + 4 > bytes.length) {
        notes.push('short header');
        continue;
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const before = view.getUint32(at, true);
      const value = randInt(rng, 3) === 0 ? (before + pick(rng, [-64, -32, -1, 1, 32, 64])) >>> 0 : pick(rng, INTERESTING_U32);
      view.setUint32(at, value, true);
      notes.push(`header.${field}: ${before} → ${value}`);
    } else if (kind < 8) {
      bytes = mutateBytes(rng, bytes, randInt(rng, 2) === 0 ? [0, Math.min(bytes.length, 256)] : [0, bytes.length]);
      notes.push('bytes');
    } else {
      const len = randInt(rng, 2) === 0 ? randInt(rng, bytes.length) : bytes.length + 1 + randInt(rng, 128);
      const out = new Uint8Array(len);
      out.set(bytes.subarray(0, Math.min(len, bytes.length)));
      if (len > bytes.length && len >= SH.totalSize + 8) new DataView(out.buffer).setBigUint64(SH.totalSize, BigInt(len), true);
      bytes = out;
      notes.push(`length → ${len}`);
    }
  }
  if (fix) fixSectionChecksum(bytes);
  return { bytes, note: `${fix ? 'bytes+checksum' : 'bytes'}: ${notes.join('; ')}` };
}

/** { graph } when the bytes decode as a section for a graph of the seed binary, else {}. */
function graphOf(bytes: Uint8Array): { graph?: string } {
  try {
    const g = decodeReferenceSection(bytes).graph;
    return g === 'decode' || g === 'scale' ? { graph: g } : {};
  } catch {
    return {};
  }
}

async function attempt(entry: string, fn: () => Promise<unknown> | unknown): Promise<CaseResult> {
  try {
    await fn();
    return { outcome: 'ok', entry };
  } catch (error) {
    return judgeError(entry, error);
  }
}

class SectionRunner implements CaseRunner {
  constructor(
    readonly qnn: Qnn,
    readonly zeroCopy: QnnContext,
    readonly copying: QnnContext,
  ) {}

  async run(input: FuzzInput): Promise<CaseResult> {
    const bytes = input.bytes;
    const results: CaseResult[] = [];
    for (const [label, ctx] of [
      ['zero-copy', this.zeroCopy],
      ['copying', this.copying],
    ] as const) {
      // Applied the way the section says (its graph, or the whole context), so a valid one
      // is accepted; the zero-copy context may keep pointers into it: a copy it owns.
      results.push(await attempt(`applyBinarySection ${label}`, () => ctx.applyBinarySection(new Uint8Array(bytes), graphOf(bytes))));
      results.push(await attempt(`run decode ${label}`, () => ctx.graph('decode').run({ x: new Tensor('float32', [1, 2, 3, 4], [1, 4]) })));
      results.push(await attempt(`run scale ${label}`, () => ctx.graph('scale').run({ x: Tensor.fromFloat32('float16', Float32Array.from([1, 2, 3, 4]), [1, 4]) })));
      results.push(await attempt(`readBinarySection ${label}`, () => ctx.readBinarySection()));
    }
    return results.reduce(worse, { outcome: 'ok' });
  }

  async close(): Promise<void> {
    await this.qnn.dispose();
  }
}

export const sectionsTarget: FuzzTarget = {
  name: 'sections',
  ext: 'sec',
  generate(seed, index) {
    return mutateSection(casePrng('sections', seed, index));
  },
  async open(options: RunnerOptions) {
    const qnn = await Qnn.load({ backend: 'reference' });
    const file = path.join(options.workDir, 'sections-seed.bin');
    writeFileSync(file, BINARY);
    const zeroCopy = await qnn.loadContext(file);
    const copying = await qnn.loadContext(BINARY);
    return new SectionRunner(qnn, zeroCopy, copying);
  },
};
