/**
 * The bundled reference DLC: the bundled example's graphs (lib/cli/example.ts: `add`,
 * `embed_head`, `dequantize`) as a reference DLC file (QNNRDLC1, lib/reference/dlc.ts) that
 * the QnnModelDlc stand-in composes, so the CLI's DLC paths work on a clean clone. Committed
 * as examples/reference/example.dlc; `npx tsx examples/reference/generate.ts` rewrites it and
 * test/reference/example-dlc.test.ts checks the committed bytes equal a fresh encoding.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeReferenceDlc } from '../reference/dlc.js';
import { packageRoot } from './bench/paths.js';
import { exampleDescription } from './example.js';

/** The committed DLC's path (in the package: examples/ is in "files"). */
export function committedExampleDlcPath(): string {
  return path.join(packageRoot(), 'examples', 'reference', 'example.dlc');
}

/** The example DLC's bytes, freshly encoded. */
export function encodeExampleDlc(): Uint8Array {
  return writeReferenceDlc(exampleDescription());
}

/** The example DLC: the committed file, or — when it is missing — a fresh encoding in the temp directory. */
export function exampleDlcPath(): string {
  const committed = committedExampleDlcPath();
  if (fs.existsSync(committed)) return committed;
  const bytes = encodeExampleDlc();
  const file = path.join(os.tmpdir(), `qnn-node-example-${bytes.byteLength}-${Buffer.from(bytes.subarray(32, 36)).toString('hex')}.dlc`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  }
  return file;
}
