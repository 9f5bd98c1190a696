/**
 * Load-time type check: a host op's output that cannot fit the graph input it feeds is
 * reported by Pipeline.load (before anything runs), never by the first run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor, type HostOpDefinition } from '../../lib/index.js';
import { pngBytes, tempDir, writeEmbeddingTable } from './fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  writeFileSync(join(dir, 'm.bin'), 'placeholder');
  writeFileSync(join(dir, 'img.png'), pngBytes(8, 8, (x, y) => [x * 30, y * 30, 7]));
});
afterEach(() => cleanup());

type Spec = { name: string; dtype: string; dims: number[] };
function graph(name: string, inputs: Spec[], outputs: Spec[] = [{ name: 'y', dtype: 'float32', dims: [1] }]) {
  return { name, inputs, outputs };
}
function manifest(graphs: unknown[], steps: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { format: 'qnn-node-pipeline', version: 1, contexts: { m: { binary: 'm.bin', signature: graphs } }, steps, ...extra };
}
async function loadError(m: Record<string, unknown>, backend = new MockBackend(), hostOps?: Record<string, HostOpDefinition>) {
  return Pipeline.load(m, { backend, baseDir: dir, ...(hostOps ? { hostOps } : {}) }).then(
    () => expect.fail('loaded'),
    (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> },
  );
}
const IMAGE = { op: 'image', inputs: { image: 'img' }, output: 'pixels', width: 4, height: 4, dtype: 'float32' };
const IMG_INPUT = { inputs: { img: { type: 'image', default: 'img.png' } } };

describe('host op output -> graph input, at load', () => {
  it('a dtype mismatch is DTYPE_MISMATCH naming the step, the value, the graph input and both types', async () => {
    const backend = new MockBackend();
    const m = manifest([graph('enc', [{ name: 'pixel_values', dtype: 'float16', dims: [1, 3, 4, 4] }])], [IMAGE, { graph: 'enc', inputs: { pixel_values: 'pixels' } }], IMG_INPUT);
    const e = await loadError(m, backend);
    expect(e.code).toBe('DTYPE_MISMATCH');
    expect(e.details).toMatchObject({
      step: '/steps/1',
      pointer: '/steps/1/inputs/pixel_values',
      value: 'pixels',
      input: 'pixel_values',
      expected: { dtype: 'float16', dims: [1, 3, 4, 4] },
      received: { dtype: 'float32', dims: [1, 3, 4, 4] },
      from: '/steps/0 (image)',
    });
    expect(e.message).toContain('Expected float16 [1, 3, 4, 4] for graph input "pixel_values" of m/enc (/steps/1/inputs/pixel_values)');
    expect(e.message).toContain('but value "pixels" is float32 [1, 3, 4, 4], made by /steps/0 (image)');
    expect(backend.callCounts()).toEqual({});
  });

  it('a size mismatch is SHAPE_MISMATCH; equal sizes in other dims pass (QNN accepts them)', async () => {
    const wrong = manifest([graph('enc', [{ name: 'pixel_values', dtype: 'float32', dims: [1, 3, 8, 8] }])], [IMAGE, { graph: 'enc', inputs: { pixel_values: 'pixels' } }], IMG_INPUT);
    const e = await loadError(wrong);
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details).toMatchObject({ received: { dims: [1, 3, 4, 4] }, expected: { dims: [1, 3, 8, 8] } });
    const reordered = manifest([graph('enc', [{ name: 'pixel_values', dtype: 'float32', dims: [1, 4, 4, 3] }])], [IMAGE, { graph: 'enc', inputs: { pixel_values: 'pixels' } }], IMG_INPUT);
    await (await Pipeline.load(reordered, { backend: new MockBackend({ strictShapes: false }), baseDir: dir })).dispose();
  });

  it('follows types through ops: embed (table dtype + hidden), concat, pad, cast, quantize', async () => {
    writeEmbeddingTable(join(dir, 'emb.bin'), 16, 6, 'float16', [1, 2], () => 0.5);
    const assets = { assets: { emb: { type: 'embedding', path: 'emb.bin', dtype: 'float16', shape: [16, 6] } } };
    const steps = [
      { op: 'position_ids', output: 'ids', length: 3 },
      { op: 'embed', inputs: { ids: 'ids' }, output: 'e', table: 'emb' },
      { op: 'concat', inputs: ['e', 'e'], output: 'ee', axis: 1 },
      { op: 'pad', inputs: { input: 'ee' }, output: 'padded', axis: 1, size: 8 },
      { op: 'cast', inputs: { input: 'padded' }, output: 'f32', dtype: 'float32' },
      { op: 'quantize', inputs: { input: 'f32' }, output: 'q', dtype: 'ufixed8', scale: 0.01, offset: 0 },
      { graph: 'llm', inputs: { a: 'padded', b: 'f32', c: 'q' } },
    ];
    const ok = [
      { name: 'a', dtype: 'float16', dims: [1, 8, 6] },
      { name: 'b', dtype: 'float32', dims: [1, 8, 6] },
      { name: 'c', dtype: 'ufixed8', dims: [1, 8, 6] },
    ];
    await (await Pipeline.load(manifest([graph('llm', ok)], steps, assets), { backend: new MockBackend(), baseDir: dir })).dispose();
    const wrongHidden = ok.map((s) => (s.name === 'a' ? { ...s, dims: [1, 8, 8] } : s));
    expect(await loadError(manifest([graph('llm', wrongHidden)], steps, assets))).toMatchObject({ code: 'SHAPE_MISMATCH', details: { input: 'a', received: { dtype: 'float16', dims: [1, 8, 6] } } });
    const wrongQuant = ok.map((s) => (s.name === 'c' ? { ...s, dtype: 'sfixed8' } : s));
    const e = await loadError(manifest([graph('llm', wrongQuant)], steps, assets));
    expect(e).toMatchObject({ code: 'DTYPE_MISMATCH', details: { input: 'c', from: '/steps/5 (quantize)' } });
    // Every mismatch is listed, the first in the message.
    const both = await loadError(manifest([graph('llm', wrongHidden.map((s) => (s.name === 'c' ? { ...s, dtype: 'sfixed8' } : s)))], steps, assets));
    expect((both.details.issues as unknown[]).length).toBe(2);
  });

  it('checks through the name table (names both)', async () => {
    const m = manifest([graph('graph_0', [{ name: 'input_0', dtype: 'int64', dims: [1, 4] }])], [{ op: 'position_ids', output: 'pos', length: 4 }, { graph: 'enc', inputs: { position_ids: 'pos' } }]);
    (m.contexts as { m: Record<string, unknown> }).m.names = { enc: 'graph_0', position_ids: 'input_0' };
    const e = await loadError(m);
    expect(e.code).toBe('DTYPE_MISMATCH');
    expect(e.message).toContain('graph input "position_ids" (binary name "input_0")');
  });

  it('a "$param" is the manifest\'s default at load: a wrong default fails the load', async () => {
    const m = manifest([graph('g', [{ name: 'x', dtype: 'float32', dims: [1, 4] }])], [{ op: 'position_ids', output: 'x', length: '$n', dtype: 'float32' }, { graph: 'g', inputs: { x: 'x' } }], { params: { n: 2 } });
    expect(await loadError(m)).toMatchObject({ code: 'SHAPE_MISMATCH', details: { pointer: '/steps/1/inputs/x', received: { dims: [1, 2] } } });
  });

  it('a run overriding a param a type depends on is checked again before any step; other overrides are not', async () => {
    const backend = new MockBackend();
    const m = manifest([graph('g', [{ name: 'x', dtype: 'float32', dims: [1, 4] }])], [{ op: 'position_ids', output: 'p', length: '$n' }, { op: 'cast', inputs: { input: 'p' }, output: 'x', dtype: '$dt' }, { graph: 'g', inputs: { x: 'x' } }], { params: { n: 4, dt: 'float32', unused: 1 } });
    await using p = await Pipeline.load(m, { backend, baseDir: dir });
    await expect(p.run({}, { params: { n: 4, unused: 7 } })).resolves.toBeDefined();
    const e = await p.run({}, { params: { n: 2 } }).then(
      () => expect.fail('ran'),
      (err: unknown) => err as { code: string; message: string; details: Record<string, unknown> },
    );
    expect(e).toMatchObject({ code: 'SHAPE_MISMATCH', details: { params: ['n'], pointer: '/steps/2/inputs/x', received: { dims: [1, 2] } } });
    expect(e.message).toContain('with options.params.n = 2');
    await expect(p.run({}, { params: { dt: 'int32' } })).rejects.toMatchObject({ code: 'DTYPE_MISMATCH', message: expect.stringContaining('options.params.dt = "int32"') });
    expect(backend.callCounts()).toEqual({ g: 1 });
  });
});

describe('ops that make numbers, rope tables and positions', () => {
  const G4 = graph('g', [{ name: 'x', dtype: 'float32', dims: [1, 4] }]);
  it('add on numbers with min / max: the clamped value sizes what it feeds', async () => {
    const steps = (max: number) => [{ op: 'set', value: 9, output: 'n' }, { op: 'add', inputs: { a: 'n', b: 1 }, max, output: 'len' }, { op: 'position_ids', inputs: { length: 'len' }, output: 'x', dtype: 'float32' }, { graph: 'g', inputs: { x: 'x' } }];
    expect(await loadError(manifest([G4], steps(3)))).toMatchObject({ code: 'SHAPE_MISMATCH', details: { from: '/steps/2 (position_ids)', received: { dims: [1, 3] } } });
    await using p = await Pipeline.load(manifest([G4], steps(4)), { backend: new MockBackend(), baseDir: dir });
    expect(p.staticGraphInputs()[0]).toMatchObject({ status: 'checked', type: { dtype: 'float32', dims: [1, 4] } });
  });

  it('a sampled token (a number known only at run time) embeds as one row', async () => {
    const g = graph('g', [{ name: 'x', dtype: 'float16', dims: [1, 1, 8] }], [{ name: 'logits', dtype: 'float32', dims: [1, 16] }]);
    writeEmbeddingTable(join(dir, 'emb.bin'), 16, 8, 'float32', [], () => 0);
    const m = manifest(
      [g],
      [{ op: 'fill', output: 'logits', value: 0, dtype: 'float32', dims: [1, 16] }, { op: 'sample', inputs: { logits: 'logits' }, output: 'tok' }, { op: 'embed', inputs: { ids: 'tok' }, output: 'x', table: 'emb' }, { graph: 'g', inputs: { x: 'x' } }],
      { assets: { emb: { type: 'embedding', path: 'emb.bin', dtype: 'float32', shape: [16, 8] } } },
    );
    expect(await loadError(m)).toMatchObject({ code: 'DTYPE_MISMATCH', details: { received: { dtype: 'float32', dims: [1, 1, 8] } } });
  });

  it('rope_table: [1, n, headDim/2] (or headDim with duplicate) of its dtype, n from the positions', async () => {
    const rope = graph('r', [{ name: 'cos', dtype: 'float16', dims: [1, 6, 8] }]);
    const steps = (extra: Record<string, unknown>) => [{ op: 'rope_table', inputs: { positions: 2 }, length: 6, headDim: 16, dtype: 'float16', outputs: { cos: 'c', sin: 's' }, ...extra }, { graph: 'r', inputs: { cos: 'c' } }];
    await using ok = await Pipeline.load(manifest([rope], steps({})), { backend: new MockBackend(), baseDir: dir });
    expect(ok.staticGraphInputs()[0].status).toBe('checked');
    expect(await loadError(manifest([rope], steps({ duplicate: true })))).toMatchObject({ code: 'SHAPE_MISMATCH', details: { received: { dims: [1, 6, 16] } } });
    expect(await loadError(manifest([rope], steps({ dtype: 'float32' })))).toMatchObject({ code: 'DTYPE_MISMATCH', details: { from: '/steps/0 (rope_table)' } });
  });

  it('mrope_positions: [3, 1, size] positions; with counts known, next / length / delta are known numbers', async () => {
    const pos = graph('p', [{ name: 'pos', dtype: 'int32', dims: [3, 1, 12] }]);
    const layout = { op: 'mrope_positions', inputs: { prefix: 2, suffix: 3 }, gridHeight: 2, gridWidth: 2, outputs: { positions: 'pos', next: 'next' } };
    // 2 + 4 + 3 = 9 tokens: without size the table is [3, 1, 9].
    expect(await loadError(manifest([pos], [layout, { graph: 'p', inputs: { pos: 'pos' } }]))).toMatchObject({ code: 'SHAPE_MISMATCH', details: { received: { dims: [3, 1, 9] } } });
    // next = 2 + max(0, 1, 1) + 1 + 3 = 7 sizes a position_ids step.
    const ids = graph('p', [{ name: 'pos', dtype: 'int32', dims: [3, 1, 12] }, { name: 'ids', dtype: 'int32', dims: [1, 7] }]);
    await using p = await Pipeline.load(manifest([ids], [{ ...layout, size: 12 }, { op: 'position_ids', inputs: { length: 'next' }, output: 'ids' }, { graph: 'p', inputs: { pos: 'pos', ids: 'ids' } }]), { backend: new MockBackend(), baseDir: dir });
    expect(p.staticGraphInputs().map((g) => g.status)).toEqual(['checked', 'checked']);
  });

  it('quantize with "like": the graph input\'s quantized dtype, checked against the input it feeds', async () => {
    const q = (dtype: string) => ({ name: 'q', dtype, dims: [1, 4], quant: { encoding: 'scale-offset', scale: 0.1, offset: 0 } });
    const m = manifest(
      [graph('a', [q('ufixed16')]), graph('b', [q('ufixed8')])],
      [{ op: 'fill', output: 'f', value: 1, dtype: 'float32', dims: [1, 4] }, { op: 'quantize', inputs: { input: 'f' }, output: 'x', like: { graph: 'a', input: 'q' } }, { graph: 'b', inputs: { q: 'x' } }],
    );
    expect(await loadError(m)).toMatchObject({ code: 'DTYPE_MISMATCH', details: { expected: { dtype: 'ufixed8' }, received: { dtype: 'ufixed16' } } });
  });
});

describe('loops', () => {
  const G = graph('g', [{ name: 'x', dtype: 'float32', dims: [1, 4] }]);
  it('a value rebound in a loop with another type is unknown where iterations meet (no false error)', async () => {
    // The loop runs once: x is [1, 4] when g reads it, then [1, 8] (never read by g).
    const steps = [
      { op: 'fill', output: 'x', dtype: 'float32', dims: [1, 4] },
      { op: 'set', value: 0, output: 'done' },
      { loop: { max: 3, until: { value: 'done', in: [1] } }, steps: [{ graph: 'g', inputs: { x: 'x' } }, { op: 'fill', output: 'x', dtype: 'float32', dims: [1, 8] }, { op: 'set', value: 1, output: 'done' }] },
    ];
    await using p = await Pipeline.load(manifest([G], steps), { backend: new MockBackend(), baseDir: dir });
    await p.run();
  });

  it('a value bound inside the body before its use is checked exactly', async () => {
    const steps = [{ loop: { count: 2 }, steps: [{ op: 'fill', output: 'x', dtype: 'float32', dims: [1, 8] }, { graph: 'g', inputs: { x: 'x' } }] }];
    expect(await loadError(manifest([G], steps))).toMatchObject({ code: 'SHAPE_MISMATCH', details: { step: '/steps/0/steps/1' } });
  });

  it('after a loop, a value is what the entry and every exit share', async () => {
    // max 0 iterations are possible: after the loop x may still be [1, 4].
    const steps = [
      { op: 'fill', output: 'x', dtype: 'float32', dims: [1, 4] },
      { op: 'set', value: 1, output: 'done' },
      { loop: { max: 2, until: { value: 'done', in: [1] } }, steps: [{ op: 'fill', output: 'x', dtype: 'float32', dims: [1, 8] }] },
      { graph: 'g', inputs: { x: 'x' } },
    ];
    await using p = await Pipeline.load(manifest([G], steps), { backend: new MockBackend(), baseDir: dir });
    await p.run();
  });
});

describe('the infer hook of user host ops', () => {
  const G = graph('g', [{ name: 'x', dtype: 'float32', dims: [1, 4] }]);
  const run: HostOpDefinition['run'] = (ctx) => ctx.outputTensor('int32', [1, ctx.params.n as number]);
  it('is used to check what the op feeds', async () => {
    const hostOps = { ids: { run, infer: (params: Readonly<Record<string, unknown>>) => ({ dtype: 'int32' as const, dims: [1, params.n as number] }) } };
    const e = await loadError(manifest([G], [{ op: 'ids', output: 'x', n: 4 }, { graph: 'g', inputs: { x: 'x' } }]), new MockBackend(), hostOps);
    expect(e).toMatchObject({ code: 'DTYPE_MISMATCH', details: { from: '/steps/0 (ids)', received: { dtype: 'int32', dims: [1, 4] } } });
  });

  it('gets the input types and may state several outputs by role', async () => {
    const seen: unknown[] = [];
    const hostOps = {
      split: {
        run: (ctx: Parameters<HostOpDefinition['run']>[0]) => ({ lo: ctx.inputs.t as Tensor, hi: ctx.inputs.t as Tensor }),
        infer: (_p: unknown, inputs: Readonly<Record<string, unknown>>) => {
          seen.push(inputs.t);
          return { outputs: { lo: { dtype: 'float32' as const, dims: [1, 4] }, hi: { dtype: 'float16' as const, dims: [1, 4] } } };
        },
      },
    };
    const steps = [{ op: 'fill', output: 'src', dtype: 'float32', dims: [1, 4] }, { op: 'split', inputs: { t: 'src' }, outputs: { lo: 'a', hi: 'b' } }, { graph: 'g', inputs: { x: 'a' } }, { graph: 'g', inputs: { x: 'b' } }];
    const e = await loadError(manifest([G], steps), new MockBackend(), hostOps);
    expect(seen[0]).toEqual({ dtype: 'float32', dims: [1, 4] });
    expect(e).toMatchObject({ code: 'DTYPE_MISMATCH', details: { step: '/steps/3', value: 'b' } });
  });

  it('without a hook, the op output and the values it reads are unknown (not checked)', async () => {
    const steps = [{ op: 'ids', output: 'x', n: 4 }, { graph: 'g', inputs: { x: 'x' } }];
    const backend = new MockBackend();
    await using p = await Pipeline.load(manifest([G], steps), { backend, baseDir: dir, hostOps: { ids: run } });
    await expect(p.run()).rejects.toMatchObject({ code: 'DTYPE_MISMATCH' }); // the run still catches it
  });

  it('a user op that rebinds a value named by a param (not an input) leaves that value unknown, with or without infer', async () => {
    const G16 = graph('g', [{ name: 'x', dtype: 'float16', dims: [1, 4] }]);
    const toHalf: HostOpDefinition['run'] = (ctx) => ctx.rebind(ctx.params.target as string, Tensor.fromFloat32('float16', [1, 2, 3, 4], [1, 4]));
    const steps = [{ op: 'fill', output: 'buf', dtype: 'float32', dims: [1, 4] }, { op: 'to_half', target: 'buf' }, { graph: 'g', inputs: { x: 'buf' } }];
    for (const def of [{ run: toHalf }, { run: toHalf, infer: () => undefined }]) {
      await using p = await Pipeline.load(manifest([G16], steps), { backend: new MockBackend(), baseDir: dir, hostOps: { to_half: def } });
      await expect(p.run()).resolves.toBeDefined();
    }
  });

  it('a hook that is not a function is ERR_INVALID_ARG', async () => {
    await expect(Pipeline.load(manifest([G], []), { backend: new MockBackend(), baseDir: dir, hostOps: { ids: { run, infer: 3 } as unknown as HostOpDefinition } })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: expect.stringContaining('options.hostOps.ids.infer'),
    });
  });
});
