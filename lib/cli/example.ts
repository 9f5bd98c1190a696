/**
 * The bundled reference example: a small context binary for the reference backend that
 * `qnn-node inspect`, `run` and `bench` use when no file is given, so they work on a clean
 * clone. Its description lives here; the binary is committed as
 * examples/reference/example.bin (a few KB) and is reproducible:
 * `npx tsx examples/reference/generate.ts` rewrites it, and test/cli/example.test.ts
 * checks the committed bytes equal a fresh encoding.
 *
 * Graphs (chosen to show what inspect and run print, and to give the benches a trivial graph):
 * - `add`: x + y, float32 [1, 4] — the trivial graph of the binding-overhead benchmark.
 * - `embed_head`: token ids → fp16 embedding gather → matmul → softmax (a tiny LM head).
 * - `dequantize`: ufixed8 input with scale/offset → float32 (quantization in inspect).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { numberToHalf } from '../tensor/fp16.js';
import { encodeReferenceBinary, type ReferenceBinaryDesc } from '../reference/writer.js';
import { packageRoot } from './bench/paths.js';

const VOCAB = 64;
const HIDDEN = 16;
const CLASSES = 8;

export function exampleDescription(): ReferenceBinaryDesc {
  const table = new Uint16Array(VOCAB * HIDDEN);
  for (let i = 0; i < table.length; i++) table[i] = numberToHalf(Math.cos(i * 0.11) * 0.5);
  const w = new Float32Array(HIDDEN * CLASSES);
  for (let i = 0; i < w.length; i++) w[i] = Math.fround(Math.sin(i * 0.37) * 0.5);
  return {
    description: 'qnn-node bundled reference example (lib/cli/example.ts)',
    statics: [
      { name: 'embed_table', dtype: 'float16', dims: [VOCAB, HIDDEN], data: table },
      { name: 'head_weight', dtype: 'float32', dims: [HIDDEN, CLASSES], data: w },
    ],
    graphs: [
      {
        name: 'add',
        inputs: [
          { name: 'x', dtype: 'float32', dims: [1, 4] },
          { name: 'y', dtype: 'float32', dims: [1, 4] },
        ],
        outputs: [{ name: 'z', dtype: 'float32', dims: [1, 4] }],
        nodes: [{ op: 'ElementWiseAdd', inputs: ['x', 'y'], outputs: ['z'] }],
      },
      {
        name: 'embed_head',
        inputs: [{ name: 'input_ids', dtype: 'int32', dims: [1, 4] }],
        outputs: [{ name: 'probs', dtype: 'float16', dims: [1, 4, CLASSES] }],
        tensors: [
          { name: 'hidden', dtype: 'float16', dims: [1, 4, HIDDEN] },
          { name: 'logits', dtype: 'float32', dims: [1, 4, CLASSES] },
        ],
        nodes: [
          { op: 'Gather', inputs: ['embed_table', 'input_ids'], outputs: ['hidden'], params: { axis: 0 } },
          { op: 'MatMul', inputs: ['hidden', 'head_weight'], outputs: ['logits'] },
          { op: 'Softmax', inputs: ['logits'], outputs: ['probs'] },
        ],
      },
      {
        name: 'dequantize',
        inputs: [{ name: 'q', dtype: 'ufixed8', dims: [1, 16], quant: { encoding: 'scale-offset', scale: 0.0078125, offset: -128 } }],
        outputs: [{ name: 'r', dtype: 'float32', dims: [1, 16] }],
        nodes: [{ op: 'Dequantize', inputs: ['q'], outputs: ['r'] }],
      },
    ],
  };
}

/** The committed binary's path (in the package: examples/ is in "files"). */
export function committedExamplePath(): string {
  return path.join(packageRoot(), 'examples', 'reference', 'example.bin');
}

/** The example's bytes, freshly encoded. */
export function encodeExample(): Uint8Array {
  return encodeReferenceBinary(exampleDescription());
}

/**
 * The example binary: the committed file, or — when it is missing (e.g. a trimmed
 * install) — a fresh encoding written once to the temp directory.
 */
export function exampleBinaryPath(): string {
  const committed = committedExamplePath();
  if (fs.existsSync(committed)) return committed;
  const bytes = encodeExample();
  const file = path.join(os.tmpdir(), `qnn-node-example-${bytes.byteLength}-${Buffer.from(bytes.subarray(24, 28)).toString('hex')}.bin`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  }
  return file;
}
