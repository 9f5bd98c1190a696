/**
 * Rewrites examples/reference/example.bin (the context binary) and example.dlc (the same
 * graphs as a reference DLC) from the description in lib/cli/example.ts:
 *   npx tsx examples/reference/generate.ts
 * test/cli/example.test.ts and test/reference/example-dlc.test.ts fail when the committed
 * files and the description disagree.
 */
import fs from 'node:fs';
import { committedExamplePath, encodeExample } from '../../lib/cli/example.js';
import { committedExampleDlcPath, encodeExampleDlc } from '../../lib/cli/example-dlc.js';

for (const [file, bytes] of [
  [committedExamplePath(), encodeExample()],
  [committedExampleDlcPath(), encodeExampleDlc()],
] as const) {
  fs.writeFileSync(file, bytes);
  process.stdout.write(`wrote ${file} (${bytes.byteLength} bytes)\n`);
}
