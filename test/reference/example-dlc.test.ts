/**
 * The bundled reference DLC (examples/reference/example.dlc) is reproducible from the example
 * description, and the QnnModelDlc stand-in composes all of its graphs (model probe,
 * recording table).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { committedExampleDlcPath, encodeExampleDlc, exampleDlcPath } from '../../lib/cli/example-dlc.js';
import { exampleDescription } from '../../lib/cli/example.js';
import { referenceBackendPaths } from '../../lib/native/binding.js';
import { modelProbe, runProbe } from './model-probe.js';

describe('the bundled reference DLC', () => {
  it('the committed file equals a fresh encoding (npx tsx examples/reference/generate.ts)', () => {
    expect(new Uint8Array(fs.readFileSync(committedExampleDlcPath()))).toEqual(encodeExampleDlc());
    expect(exampleDlcPath()).toBe(committedExampleDlcPath());
  });

  it.skipIf(!modelProbe)('composes every graph of the example through the stand-in', () => {
    const r = runProbe(['--dlc-lib', referenceBackendPaths().modelDlc, '--dlc', committedExampleDlcPath(), '--fake']);
    expect(r.status, r.stderr).toBe(0);
    const c = r.compose();
    expect(c.rc).toBe(0);
    const desc = exampleDescription();
    expect(c.graphs.map((g) => [g.name, g.inputs.map((t) => t.name), g.outputs.map((t) => t.name)])).toEqual(
      desc.graphs.map((g) => [g.name, g.inputs.map((t) => t.name), g.outputs.map((t) => t.name)]),
    );
    expect(r.of('graphAddNode').map((e) => e.op.type)).toEqual(desc.graphs.flatMap((g) => g.nodes.map((n) => n.op)));
  });
});
