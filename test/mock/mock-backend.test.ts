import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MockBackend, createBackend, type GraphSignature, Tensor, type ContextSignature } from '../../lib/index.js';
import { Recorder } from '../../lib/pipeline/recorder.js';
import { tempDir } from '../pipeline/fixtures.js';

const ADD: GraphSignature = {
  name: 'add',
  inputs: [
    { name: 'a', dtype: 'float32', dims: [2, 3] },
    { name: 'b', dtype: 'float32', dims: [2, 3] },
  ],
  outputs: [{ name: 'sum', dtype: 'float32', dims: [2, 3] }],
};
const IDS: GraphSignature = {
  name: 'ids',
  inputs: [{ name: 'ids', dtype: 'int32', dims: [1, 4] }],
  outputs: [
    { name: 'logits', dtype: 'float16', dims: [1, 8] },
    { name: 'count', dtype: 'int64', dims: [1] },
  ],
};

const f32 = (values: number[], dims = [2, 3]): Tensor => new Tensor('float32', Float32Array.from(values), dims);

function addImpl(inputs: Record<string, Tensor>, outputs: Record<string, Tensor>): void {
  const a = inputs.a.data as Float32Array;
  const b = inputs.b.data as Float32Array;
  const o = outputs.sum.data as Float32Array;
  for (let i = 0; i < o.length; i++) o[i] = a[i] + b[i];
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<void> {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${code}`).toBeDefined();
  expect((error as { code?: string }).code).toBe(code);
  if (message) expect((error as Error).message).toMatch(message);
}

describe('MockBackend', () => {
  it('computes graphs with user functions, async and sync', async () => {
    const backend = new MockBackend({ graphs: { add: addImpl } });
    const ctx = await backend.loadContext('add.bin', { graphs: [ADD] });
    expect(ctx.graphs.map((g) => g.name)).toEqual(['add']);
    const g = ctx.graph('add');
    const a = f32([1, 2, 3, 4, 5, 6]);
    const b = f32([10, 20, 30, 40, 50, 60]);
    const out = await g.run({ a, b });
    expect([...(out.sum.data as Float32Array)]).toEqual([11, 22, 33, 44, 55, 66]);
    const sync = g.runSync({ a, b });
    expect([...(sync.sum.data as Float32Array)]).toEqual([11, 22, 33, 44, 55, 66]);
    // Inputs are untouched.
    expect([...(a.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
    await backend.dispose();
  });

  it('writes into caller output tensors (zero copy) and copies returned tensors into them', async () => {
    const backend = new MockBackend({
      graphs: {
        add: addImpl,
        ids: (inputs) => ({ logits: Tensor.fromFloat32('float16', [1, 2, 3, 4, 5, 6, 7, Number(inputs.ids.data[0])], [1, 8]), count: new Tensor('int64', [4n], [1]) }),
      },
    });
    const ctx = await backend.loadContext('x.bin', { graphs: [ADD, IDS] });
    const target = Tensor.zeros('float32', [2, 3]);
    const out = await ctx.graph('add').run({ a: f32([1, 1, 1, 1, 1, 1]), b: f32([2, 2, 2, 2, 2, 2]) }, { outputs: { sum: target } });
    expect(out.sum).toBe(target);
    expect([...(target.data as Float32Array)]).toEqual([3, 3, 3, 3, 3, 3]);
    const logits = Tensor.zeros('float16', [1, 8]);
    const r = ctx.graph('ids').runSync({ ids: new Tensor('int32', [9, 0, 0, 0], [1, 4]) }, { outputs: { logits } });
    expect(r.logits).toBe(logits);
    expect([...logits.toFloat32()]).toEqual([1, 2, 3, 4, 5, 6, 7, 9]);
    expect(r.count.data[0]).toBe(4n);
    await backend.dispose();
  });

  it('validates inputs and outputs with the QNN backend error codes', async () => {
    const backend = new MockBackend({ graphs: { add: addImpl } });
    const g = (await backend.loadContext('add.bin', { graphs: [ADD] })).graph('add');
    const a = f32([1, 2, 3, 4, 5, 6]);
    await expectCode(g.run({ a, b: a, c: a }), 'UNKNOWN_INPUT', /"c"/);
    await expectCode(g.run({ a }), 'MISSING_INPUT', /"b"/);
    await expectCode(g.run({ a, b: new Tensor('float16', new Uint16Array(6), [2, 3]) }), 'DTYPE_MISMATCH', /float32.*float16/);
    await expectCode(g.run({ a, b: f32([1, 2, 3], [3]) }), 'SIZE_MISMATCH', /6 elements/);
    await expectCode(g.run({ a, b: f32([1, 2, 3, 4, 5, 6], [3, 2]) }), 'SHAPE_MISMATCH', /\[2, 3\].*\[3, 2\]/);
    await expectCode(g.run({ a, b: a }, { outputs: { total: Tensor.zeros('float32', [2, 3]) } }), 'UNKNOWN_OUTPUT', /"total"/);
    await expectCode(g.run({ a, b: a }, { outputs: { sum: Tensor.zeros('float32', [6]) } }), 'SHAPE_MISMATCH');
    await expectCode(g.run({ a, b: [1, 2] as unknown as Tensor }), 'ERR_INVALID_ARG', /Tensor/);
    await expectCode(async () => (await backend.loadContext('x.bin', { graphs: [ADD] })).graph('mul'), 'UNKNOWN_GRAPH', /"add"/);
    // Shapes with the same element count pass when strictShapes is off (like the QNN backend).
    const loose = new MockBackend({ graphs: { add: addImpl }, strictShapes: false });
    const lg = (await loose.loadContext('add.bin', { graphs: [ADD] })).graph('add');
    await expect(lg.run({ a, b: f32([1, 2, 3, 4, 5, 6], [6]) })).resolves.toBeDefined();
    await backend.dispose();
    await loose.dispose();
  });

  it('rejects implementations that return the wrong outputs', async () => {
    const backend = new MockBackend({
      graphs: { add: () => ({ sum: Tensor.zeros('float16', [2, 3]) }), ids: () => ({ nope: Tensor.zeros('float16', [1, 8]) }) },
    });
    const ctx = await backend.loadContext('x.bin', { graphs: [ADD, IDS] });
    const a = f32([1, 2, 3, 4, 5, 6]);
    await expectCode(ctx.graph('add').run({ a, b: a }), 'DTYPE_MISMATCH');
    await expectCode(ctx.graph('ids').run({ ids: new Tensor('int32', [1, 2, 3, 4], [1, 4]) }), 'UNKNOWN_OUTPUT', /"nope"/);
    const asyncImpl = new MockBackend({ graphs: { add: async (i, o) => addImpl(i, o) } });
    const g = (await asyncImpl.loadContext('x.bin', { graphs: [ADD] })).graph('add');
    await expect(g.run({ a, b: a })).resolves.toBeDefined();
    await expectCode(() => g.runSync({ a, b: a }), 'ERR_INVALID_ARG', /promise/);
  });

  it('produces deterministic seeded outputs by default', async () => {
    const run = async (seed: number): Promise<number[][]> => {
      const backend = new MockBackend({ seed });
      const g = (await backend.loadContext('x.bin', { graphs: [IDS] })).graph('ids');
      const ids = new Tensor('int32', [1, 2, 3, 4], [1, 4]);
      const first = await g.run({ ids });
      const second = await g.run({ ids });
      await backend.dispose();
      return [[...first.logits.toFloat32()], [...second.logits.toFloat32()]];
    };
    const [a1, a2] = await run(7);
    const [b1] = await run(7);
    const [c1] = await run(8);
    expect(a1).toEqual(b1);
    expect(a1).not.toEqual(a2); // the call index is part of the seed
    expect(a1).not.toEqual(c1);
    for (const v of a1) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  });

  it('reads graphs from a signature JSON and from the backend default signatures', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const sig: ContextSignature = { format: 'qnn-node-signature', version: 1, graphs: [ADD] };
    writeFileSync(join(dir, 'add.signature.json'), JSON.stringify(sig));
    const backend = new MockBackend({ graphs: { add: addImpl } });
    const ctx = await backend.loadContext(join(dir, 'add.signature.json'));
    expect(ctx.graph('add').inputs.map((s) => s.name)).toEqual(['a', 'b']);
    const withDefaults = new MockBackend({ signatures: sig });
    expect((await withDefaults.loadContext('whatever.bin')).graphs).toHaveLength(1);
    await expectCode(backend.loadContext('model.bin'), 'ERR_INVALID_ARG', /signatures/);
    writeFileSync(join(dir, 'bad.json'), '{"format": "other"}');
    await expectCode(backend.loadContext(join(dir, 'bad.json')), 'BINARY_INVALID');
    await expectCode(backend.loadContext(join(dir, 'missing.json')), 'FILE_NOT_FOUND');
  });

  it('is registered as "mock" in the backend registry', async () => {
    const backend = await createBackend('mock', { seed: 3 });
    expect(backend).toBeInstanceOf(MockBackend);
    expect(backend.kind).toBe('mock');
    await backend.dispose();
  });

  it('disposes: waits for in-flight runs, then every call throws DISPOSED', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let finished = false;
    const backend = new MockBackend({
      graphs: {
        add: async (i, o) => {
          await gate;
          addImpl(i, o);
          finished = true;
        },
      },
    });
    const ctx = await backend.loadContext('x.bin', { graphs: [ADD] });
    const g = ctx.graph('add');
    const a = f32([1, 2, 3, 4, 5, 6]);
    const running = g.run({ a, b: a });
    const disposing = backend.dispose();
    let disposed = false;
    void disposing.then(() => (disposed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(disposed).toBe(false);
    release();
    await running;
    await disposing;
    expect(finished).toBe(true);
    await expectCode(g.run({ a, b: a }), 'DISPOSED');
    await expectCode(() => g.runSync({ a, b: a }), 'DISPOSED');
    await expectCode(() => ctx.graph('add'), 'DISPOSED');
    await expectCode(backend.loadContext('x.bin', { graphs: [ADD] }), 'DISPOSED');
    await backend.dispose(); // idempotent
    await ctx.dispose();
  });

  it('honours an AbortSignal with simulated latency', async () => {
    const backend = new MockBackend({ graphs: { add: addImpl }, latencyMs: { add: 200 } });
    const g = (await backend.loadContext('x.bin', { graphs: [ADD] })).graph('add');
    const a = f32([1, 2, 3, 4, 5, 6]);
    const controller = new AbortController();
    const p = g.run({ a, b: a }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expectCode(p, 'ABORTED');
    await backend.dispose();
  });

  it('replays a recording and reports RECORDING_MISMATCH naming the tensor and the error', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const rec = new Recorder(dir);
    const a = f32([1, 2, 3, 4, 5, 6]);
    const b = f32([1, 1, 1, 1, 1, 1]);
    rec.record({ context: 'c', graph: 'add', step: '/steps/0', iteration: [], inputs: { a, b }, outputs: { sum: f32([7, 7, 7, 7, 7, 7]) }, ms: 1 });
    rec.flush();
    const backend = new MockBackend({ recording: dir, tolerance: { atol: 0.01, rtol: 0 } });
    const g = (await backend.loadContext('x.bin', { graphs: [ADD] })).graph('add');
    const out = await g.run({ a, b: f32([1, 1, 1, 1.005, 1, 1]) });
    expect([...(out.sum.data as Float32Array)]).toEqual([7, 7, 7, 7, 7, 7]);
    await expectCode(g.run({ a, b }), 'RECORDING_MISMATCH', /called 2 times.*1 calls/);

    const strict = new MockBackend({ recording: dir, tolerance: { atol: 0.01, rtol: 0 } });
    const g2 = (await strict.loadContext('x.bin', { graphs: [ADD] })).graph('add');
    let error: { code?: string; message: string; details: Record<string, unknown> } | undefined;
    try {
      await g2.run({ a, b: f32([1, 1, 1.5, 1, 1, 1]) });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).toBe('RECORDING_MISMATCH');
    expect(error?.message).toMatch(/input "b" of graph "add"/);
    expect(error?.details.index).toBe(2);
    expect(error?.details.maxAbsError).toBeCloseTo(0.5);
  });
});

describe('MockBackend outputs behave like a real backend', () => {
  const ECHO: GraphSignature = {
    name: 'echo',
    inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
  };

  it('copies a returned tensor into the output memory instead of aliasing an input', async () => {
    const backend = new MockBackend({ graphs: { echo: (inputs) => ({ y: inputs.x }) } });
    const ctx = await backend.loadContext('echo.bin', { graphs: [ECHO] });
    const x = new Tensor('float32', Float32Array.of(1, 2, 3, 4), [1, 4]);
    const { y } = ctx.graph('echo').runSync({ x });
    expect(y).not.toBe(x);
    expect(y.data.buffer).not.toBe(x.data.buffer);
    expect(Array.from(y.data as Float32Array)).toEqual([1, 2, 3, 4]);
    (y.data as Float32Array)[0] = 99; // writing the output leaves the input alone
    expect((x.data as Float32Array)[0]).toBe(1);
    const given = Tensor.zeros('float32', [1, 4]);
    const out = ctx.graph('echo').runSync({ x }, { outputs: { y: given } });
    expect(out.y).toBe(given);
    expect(Array.from(given.data as Float32Array)).toEqual([1, 2, 3, 4]);
    await backend.dispose();
  });

  it('strictShapes: false accepts caller outputs of the same element count, as QNN does', async () => {
    const backend = new MockBackend({ strictShapes: false, graphs: { echo: (inputs, outputs) => void outputs.y.bytes.set(inputs.x.bytes) } });
    const ctx = await backend.loadContext('echo.bin', { graphs: [ECHO] });
    const y = Tensor.zeros('float32', [4]);
    const out = ctx.graph('echo').runSync({ x: new Tensor('float32', Float32Array.of(5, 6, 7, 8), [4]) }, { outputs: { y } });
    expect(out.y).toBe(y);
    expect(Array.from(y.data as Float32Array)).toEqual([5, 6, 7, 8]);
    await backend.dispose();
  });
});
