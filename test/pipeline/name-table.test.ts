/**
 * contexts.<ctx>.names: the steps use their own names for a context's graphs and tensors;
 * the table maps them to the binary's names (qnn-node inspect), checked at load.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor } from '../../lib/index.js';
import { tempDir } from './fixtures.js';

/** A binary's graph as an export names it: an opaque graph name and ONNX-style tensor names. */
const GRAPH = {
  name: 'graph_0_part_1',
  inputs: [{ name: '/embed_tokens/Gather_output_0', dtype: 'float32', dims: [1, 2] }],
  outputs: [{ name: 'output_0', dtype: 'float32', dims: [1, 2] }],
};

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  writeFileSync(join(dir, 'm.bin'), 'placeholder');
});
afterEach(() => cleanup());

function manifest(names: Record<string, string> | undefined, step: Record<string, unknown>, graphs?: string[]): Record<string, unknown> {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    contexts: { llm: { binary: 'm.bin', signature: [GRAPH], ...(graphs ? { graphs } : {}), ...(names ? { names } : {}) } },
    inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 2] } },
    steps: [step],
    outputs: { y: 'y' },
  };
}

const NAMES = { backbone: 'graph_0_part_1', lang_embeddings: '/embed_tokens/Gather_output_0', hidden: 'output_0' };
const STEP = { graph: 'llm/backbone', inputs: { lang_embeddings: 'x' }, outputs: { hidden: 'y' } };

function doubler(): MockBackend {
  return new MockBackend({
    graphs: {
      graph_0_part_1: (inputs, outputs) => {
        const x = inputs['/embed_tokens/Gather_output_0'].data as Float32Array;
        (outputs.output_0.data as Float32Array).set(x.map((v) => v * 2));
      },
    },
  });
}

describe('contexts.<ctx>.names', () => {
  it('runs steps written with the table names against the binary names', async () => {
    const backend = doubler();
    await using p = await Pipeline.load(manifest(NAMES, STEP, ['backbone']), { backend, baseDir: dir });
    const { outputs } = await p.run({ x: new Tensor('float32', new Float32Array([1.5, -2]), [1, 2]) });
    expect([...((outputs.y as Tensor).data as Float32Array)]).toEqual([3, -4]);
    expect(backend.callCounts().graph_0_part_1).toBe(1);
  });

  it('binary names still work for names the table does not map', async () => {
    const step = { graph: 'llm/graph_0_part_1', inputs: { lang_embeddings: 'x' }, outputs: { output_0: 'y' } };
    await using p = await Pipeline.load(manifest({ lang_embeddings: '/embed_tokens/Gather_output_0' }, step), { backend: doubler(), baseDir: dir });
    const { outputs } = await p.run({ x: new Tensor('float32', new Float32Array([1, 2]), [1, 2]) });
    expect([...((outputs.y as Tensor).data as Float32Array)]).toEqual([2, 4]);
  });

  it('without the table, the logical names are unknown (the table is what makes them work)', async () => {
    await expect(Pipeline.load(manifest(undefined, STEP), { backend: doubler(), baseDir: dir })).rejects.toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/steps/0/graph' } });
  });

  it('a mapped name the binary does not have is MANIFEST_INVALID naming both names', async () => {
    const err = await Pipeline.load(manifest({ ...NAMES, lang_embeddings: '/embed_tokens/Gather_output_1' }, STEP), { backend: doubler(), baseDir: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/contexts/llm/names/lang_embeddings', received: '"/embed_tokens/Gather_output_1"' } });
    expect((err as Error).message).toContain('"lang_embeddings"');
    expect((err as Error).message).toContain('"/embed_tokens/Gather_output_0"');
  });

  it('two names mapping to one binary name are MANIFEST_INVALID', async () => {
    const err = await Pipeline.load(manifest({ ...NAMES, embeddings: '/embed_tokens/Gather_output_0' }, STEP), { backend: doubler(), baseDir: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/contexts/llm/names/embeddings' } });
    expect((err as Error).message).toContain('"lang_embeddings" already maps to "/embed_tokens/Gather_output_0"');
  });

  it('a name that is also a different binary name is MANIFEST_INVALID (it would hide that name)', async () => {
    const err = await Pipeline.load(manifest({ ...NAMES, output_0: '/embed_tokens/Gather_output_0' }, STEP), { backend: doubler(), baseDir: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID' });
    const paths = (err as { details: { issues: { path: string }[] } }).details.issues.map((i) => i.path);
    expect(paths).toContain('/contexts/llm/names/output_0');
    expect((err as Error).message).toMatch(/hide|already maps/);
  });

  it('an unbound or unknown tensor is reported with both names', async () => {
    const err = await Pipeline.load(manifest(NAMES, { ...STEP, inputs: { lang_embedding: 'x' } }), { backend: doubler(), baseDir: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/steps/0/inputs/lang_embedding' } });
    expect((err as Error).message).toContain('"lang_embeddings" (binary name "/embed_tokens/Gather_output_0")');
  });

  it('the graphs list uses the table names', async () => {
    const err = await Pipeline.load(manifest(NAMES, STEP, ['backbone', 'head']), { backend: doubler(), baseDir: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/contexts/llm/graphs/1', received: '"head"' } });
    expect((err as Error).message).toContain('"backbone" (binary name "graph_0_part_1")');
  });

  it('the schema rejects a non-string binary name', async () => {
    await expect(Pipeline.load(manifest({ backbone: 3 } as unknown as Record<string, string>, STEP), { backend: doubler(), baseDir: dir })).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
      details: { path: '/contexts/llm/names/backbone' },
    });
  });
});
