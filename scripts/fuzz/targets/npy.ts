/**
 * Mutated .npy files through lib/tensor/npy.ts: parseNpy on the bytes and readNpy on a
 * file, then toFloat32() on whatever parsed. Seeds are encodeNpy outputs of every format
 * version; mutations rewrite the header's dict (descr, shape, fortran_order, junk), the
 * magic, version and header-length fields, or bytes anywhere.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Tensor } from '../../../lib/tensor/Tensor.js';
import { encodeNpy, parseNpy, readNpy } from '../../../lib/tensor/npy.js';
import type { Prng } from '../../../lib/random.js';
import { judgeError, worse, type CaseResult } from '../outcome.js';
import { casePrng, mutateBytes, pick, randInt } from '../mutate.js';
import type { CaseRunner, FuzzInput, FuzzTarget, RunnerOptions } from './types.js';

const SEEDS: readonly Uint8Array[] = (() => {
  const tensors = [
    new Tensor('float32', Float32Array.from([1, -2, 3.5, 0, 7, 8]), [2, 3]),
    new Tensor('float16', Uint16Array.from([0x3c00, 0xc000, 0x7c00, 0]), [4]),
    new Tensor('int64', BigInt64Array.from([1n, -1n, 2n ** 40n]), [3, 1]),
    new Tensor('uint8', Uint8Array.from([0, 1, 255, 7]), [2, 2]),
    new Tensor('bool', Uint8Array.from([0, 1, 2, 255]), [4]),
    new Tensor('int32', Int32Array.from([5]), []),
  ];
  return tensors.flatMap((t) => ([1, 2, 3] as const).map((version) => encodeNpy(t, { version })));
})();

const DESCRS = ['<f4', '<f2', '<f8', '<i8', '<u8', '|u1', '|i1', '|b1', '<i4', '>f4', '|f4', '=f4', '<c8', '|O', '<U10', '<V4', 'f4', '<f16', '<i0', '<f4294967296', "<f4'", ''];
const SHAPES = ['()', '(0,)', '(1,)', '(-1,)', '(6,)', '(2, 3)', '(3, 2, 1, 1, 1, 1, 1, 1, 1)', '(4294967296,)', '(65536, 65536)', '(2147483647, 2147483647, 2147483647)', '(9007199254740993,)', '(1.5,)', '(1e400,)', '(True,)', "('a',)", '[2, 3]', '(2, (3,))', '(' + '1, '.repeat(64) + ')'];
const ORDERS = ['False', 'True', '0', 'None', "'x'"];
const JUNK = ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "{'descr': '<f4', 'shape': (2,)}", '{', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,),,}", "{'descr': '\\u00ff', 'fortran_order': False, 'shape': (2,)}", '{' + "'a': [".repeat(200), "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} trailing", "{'descr': b'<f4', 'fortran_order': False, 'shape': (2,)}"];

/** Rebuilds a file around a new header text, keeping version, magic and data. */
function withHeader(seed: Uint8Array, header: string, rng: Prng): Uint8Array {
  // The input may already be truncated or have a mutated version: keep what can be kept.
  if (seed.length < 8) seed = SEEDS[0];
  const major = seed[6];
  const lenBytes = major === 1 ? 2 : 4;
  const view = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
  const oldLen = seed.length < 8 + lenBytes ? 0 : major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const data = seed.subarray(Math.min(seed.length, 8 + lenBytes + oldLen));
  const text = new TextEncoder().encode(`${header}${' '.repeat(randInt(rng, 2) === 0 ? 0 : (64 - ((header.length + 9 + lenBytes) % 64)) % 64)}\n`);
  const out = new Uint8Array(8 + lenBytes + text.length + data.length);
  out.set(seed.subarray(0, 8));
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, Math.min(text.length, 0xffff), true);
  else v.setUint32(8, text.length, true);
  out.set(text, 8 + lenBytes);
  out.set(data, 8 + lenBytes + text.length);
  return out;
}

function mutateNpy(rng: Prng): { bytes: Uint8Array; note: string } {
  let bytes: Uint8Array = new Uint8Array(pick(rng, SEEDS));
  const notes: string[] = [];
  for (let k = 1 + randInt(rng, 3); k > 0; k--) {
    switch (randInt(rng, 8)) {
      case 0:
      case 1:
      case 2: {
        const header = `{'descr': '${pick(rng, DESCRS)}', 'fortran_order': ${pick(rng, ORDERS)}, 'shape': ${pick(rng, SHAPES)}, }`;
        bytes = withHeader(bytes, header, rng);
        notes.push(header);
        break;
      }
      case 3: {
        const header = pick(rng, JUNK);
        bytes = withHeader(bytes, header, rng);
        notes.push(header.slice(0, 80));
        break;
      }
      case 4:
        bytes[6] = pick(rng, [0, 1, 2, 3, 4, 255]);
        bytes[7] = pick(rng, [0, 0, 1]);
        notes.push(`version ${bytes[6]}.${bytes[7]}`);
        break;
      case 5: {
        // An invalid UTF-8 byte in the header (a v3 header must be UTF-8).
        const at = 12 + randInt(rng, 20);
        if (at < bytes.length) bytes[at] = pick(rng, [0xff, 0xc3, 0x80, 0x00]);
        notes.push(`header byte @${at}`);
        break;
      }
      case 6:
        bytes = mutateBytes(rng, bytes, [0, Math.min(bytes.length, 16)]);
        notes.push('prefix bytes');
        break;
      default:
        bytes = randInt(rng, 2) === 0 ? bytes.subarray(0, randInt(rng, bytes.length)) : mutateBytes(rng, bytes);
        notes.push('bytes');
    }
  }
  return { bytes, note: notes.join('; ') };
}

async function attempt(entry: string, fn: () => Promise<Tensor> | Tensor): Promise<CaseResult> {
  try {
    const t = await fn();
    if (t.size <= 1 << 20) t.toFloat32();
    return { outcome: 'ok', entry };
  } catch (error) {
    return judgeError(entry, error);
  }
}

class NpyRunner implements CaseRunner {
  readonly #file: string;
  constructor(workDir: string) {
    this.#file = path.join(workDir, 'case.npy');
  }
  async run(input: FuzzInput): Promise<CaseResult> {
    writeFileSync(this.#file, input.bytes);
    return worse(await attempt('parseNpy', () => parseNpy(input.bytes)), await attempt('readNpy', () => readNpy(this.#file)));
  }
  async close(): Promise<void> {}
}

export const npyTarget: FuzzTarget = {
  name: 'npy',
  ext: 'npy',
  generate(seed, index) {
    return mutateNpy(casePrng('npy', seed, index));
  },
  async open(options: RunnerOptions) {
    return new NpyRunner(options.workDir);
  },
};
