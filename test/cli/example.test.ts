import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { committedExamplePath, encodeExample, exampleBinaryPath, exampleDescription } from '../../lib/cli/example.js';

describe('bundled reference example', () => {
  it('is committed, small, and byte-identical to its description (npx tsx examples/reference/generate.ts)', () => {
    const committed = fs.readFileSync(committedExamplePath());
    expect(committed.byteLength).toBeLessThan(100 * 1024);
    expect(Buffer.compare(committed, Buffer.from(encodeExample()))).toBe(0);
    expect(exampleBinaryPath()).toBe(committedExamplePath());
  });

  it('has the graphs the CLI and the benches rely on', () => {
    const desc = exampleDescription();
    expect(desc.graphs.map((g) => g.name)).toEqual(['add', 'embed_head', 'dequantize']);
    const add = desc.graphs[0];
    expect(add.inputs.map((t) => [t.name, t.dtype, t.dims])).toEqual([
      ['x', 'float32', [1, 4]],
      ['y', 'float32', [1, 4]],
    ]);
  });
});
