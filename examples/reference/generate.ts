/**
 * Rewrites examples/reference/example.bin from its description in lib/cli/example.ts:
 *   npx tsx examples/reference/generate.ts
 * test/cli/example.test.ts fails when the committed binary and the description disagree.
 */
import fs from 'node:fs';
import { committedExamplePath, encodeExample } from '../../lib/cli/example.js';

const bytes = encodeExample();
fs.writeFileSync(committedExamplePath(), bytes);
process.stdout.write(`wrote ${committedExamplePath()} (${bytes.byteLength} bytes)\n`);
