/** Writes the smoke-test fixtures: `npx tsx test/reference/make-fixtures.ts <dir>`. */
import { writeFixtures } from './fixtures.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: tsx test/reference/make-fixtures.ts <dir>');
  process.exit(2);
}
await writeFixtures(dir);
console.log(`reference fixtures written to ${dir}`);
