// Shared memory in pipelines (lib/pipeline/shared-alloc.ts): which values the runner
// allocates through backend.allocTensor, the manifest switch and run option, the per-run
// report, and that a decode loop keeps one KV cache in place across steps. Runs on the
// mock with a test double that reports shared memory available.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor, type Backend, type GraphSignature, type MockGraphFn } from '../../lib/index.js';
import type { DType } from '../../lib/tensor/dtypes.js';
import { SharedAllocator, type AllocTensorOptions } from '../../lib/tensor/shared.js';
import { tempDir } from './fixtures.js';

const { dir, cleanup } = tempDir('shared-memory-');
afterAll(cleanup);
writeFileSync(join(dir, 'm.bin'), '');

const MAX = 8;
const f32 = (name: string, dims: number[]) => ({ name, dtype: 'float32' as const, dims });
const SIGS: GraphSignature[] = [
  { name: 'stage1', inputs: [f32('x', [1, 4])], outputs: [f32('h', [1, 4])] },
  { name: 'decode', inputs: [f32('h', [1, 4]), f32('kv', [2, MAX, 4])], outputs: [f32('y', [1, 4]), f32('new_kv', [2, 1, 4])] },
  { name: 'head', inputs: [f32('y', [1, 4])], outputs: [f32('logits', [1, 4])] },
];

/**
 * A mock with shared memory: allocTensor carves "rpcmem" blocks from a test block source
 * (ordinary ArrayBuffers with made-up fds, so tensorSharedInfo reports them as shared) and
 * remembers what it handed out and what was freed.
 */
class SharedMock extends MockBackend {
  readonly allocated: { dtype: DType; dims: readonly number[] }[] = [];
  readonly buffers = new Set<ArrayBufferLike>();
  readonly freed = new Set<ArrayBufferLike>();
  readonly #blocks = new SharedAllocator({
    info: { available: true, reason: null, library: 'test blocks', descriptor: 'shared-buffer' },
    alloc: (bytes) => ({ buffer: new ArrayBuffer(bytes), fd: 100 + this.allocated.length }),
    free: (buffer) => (this.freed.add(buffer), true),
    unavailable: () => new Error('unreachable'),
  });
  override get sharedMemory() {
    return this.#blocks.info;
  }
  override allocTensor<T extends DType>(dtype: T, dims: readonly number[], options?: AllocTensorOptions): Tensor<T> {
    const t = this.#blocks.allocTensor(dtype, dims, options);
    this.allocated.push({ dtype, dims: [...dims] });
    this.buffers.add(t.data.buffer);
    return t;
  }
  freeTensor(t: Tensor): boolean {
    return this.#blocks.freeTensor(t);
  }
}

/** Graph implementations that also log which of their tensors were the backend's shared allocations. */
function graphs(backend: { buffers?: Set<ArrayBufferLike> }, log: string[], kvBuffers: Set<ArrayBufferLike>) {
  const tag = (t: Tensor) => (backend.buffers?.has(t.data.buffer) ? 'shared' : 'plain');
  const impl: Record<string, MockGraphFn> = {
    stage1: (i, o) => {
      log.push(`stage1 x:${tag(i.x)} h:${tag(o.h)}`);
      (o.h.data as Float32Array).set((i.x.data as Float32Array).map((v) => v + 1));
    },
    decode: (i, o) => {
      log.push(`decode h:${tag(i.h)} kv:${tag(i.kv)} y:${tag(o.y)}`);
      kvBuffers.add(i.kv.data.buffer);
      const kv = i.kv.data as Float32Array;
      const sum = kv.reduce((a, b) => a + b, 0);
      (o.y.data as Float32Array).set((i.h.data as Float32Array).map((v, k) => v + sum + k));
      (o.new_kv.data as Float32Array).set([...(i.h.data as Float32Array), ...(i.h.data as Float32Array)]);
    },
    head: (i, o) => {
      (o.logits.data as Float32Array).set((i.y.data as Float32Array).map((v) => v * 2));
    },
  };
  return impl;
}

function manifest(extra: Record<string, unknown> = {}, decodeExtra: Record<string, unknown> = {}) {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    contexts: { m: { binary: 'm.bin', signature: SIGS } },
    steps: [
      { op: 'fill', output: 'x', value: 1, dtype: 'float32', dims: [1, 4] },
      { op: 'fill', output: 'kv', value: 0, dtype: 'float32', dims: [2, MAX, 4] },
      { graph: 'stage1', inputs: { x: 'x' }, outputs: { h: 'h' } },
      {
        loop: { count: 5, index: 'i' },
        steps: [
          { graph: 'decode', inputs: { h: 'h', kv: 'kv' }, outputs: { y: 'y', new_kv: 'step_kv' }, ...decodeExtra },
          { op: 'kv_write', inputs: { cache: 'kv', source: 'step_kv', position: 'i' }, axis: 1 },
          { graph: 'head', inputs: { y: 'y' }, outputs: { logits: 'logits' } },
        ],
      },
    ],
    outputs: { kv: 'kv', logits: 'logits' },
    ...extra,
  };
}

async function runWith(backend: MockBackend & { buffers?: Set<ArrayBufferLike> }, m = manifest(), options: Record<string, unknown> = {}) {
  const log: string[] = [];
  const kvBuffers = new Set<ArrayBufferLike>();
  for (const [name, fn] of Object.entries(graphs(backend, log, kvBuffers))) backend.setGraph(name, fn);
  await using p = await Pipeline.load(m, { backend, baseDir: dir });
  const result = await p.run({}, options);
  return { result, log, kvBuffers };
}

const values = (t: unknown) => Array.from((t as Tensor).toFloat64());

describe('shared memory in pipelines', () => {
  it('allocates the KV cache, host-made graph inputs and graph-to-graph outputs through allocTensor, once per run', async () => {
    const backend = new SharedMock();
    const { result, log, kvBuffers } = await runWith(backend);
    // x (fill -> stage1), kv (fill -> decode), h (stage1 -> decode), y (decode -> head); not step_kv or logits (no graph reads them).
    expect(backend.allocated.map((a) => `${a.dtype}[${a.dims.join(',')}]`)).toEqual(['float32[1,4]', 'float32[2,8,4]', 'float32[1,4]', 'float32[1,4]']);
    expect(result.sharedMemory).toEqual({ mode: 'auto', enabled: true, reason: null, tensors: 4, bytes: (4 + 64 + 4 + 4) * 4, plainFallbacks: 0 });
    expect(log[0]).toBe('stage1 x:shared h:shared');
    expect(log.slice(1)).toEqual(Array(5).fill('decode h:shared kv:shared y:shared'));
    // One cache for the whole loop: kv_write wrote each step's row into it, nothing replaced it.
    expect(kvBuffers.size).toBe(1);
    expect(backend.buffers.has((result.outputs.kv as Tensor).data.buffer)).toBe(true);
  });

  it('gives the same results with sharedMemory off (manifest or run option) and on a backend without shared memory', async () => {
    const shared = await runWith(new SharedMock());
    const offBackend = new SharedMock();
    const off = await runWith(offBackend, manifest({ sharedMemory: 'off' }));
    expect(offBackend.allocated).toEqual([]);
    expect(off.result.sharedMemory).toEqual({ mode: 'off', enabled: false, reason: 'off in the manifest', tensors: 0, bytes: 0, plainFallbacks: 0 });
    expect(off.log[0]).toBe('stage1 x:plain h:plain');
    const runOff = await runWith(new SharedMock(), manifest({ sharedMemory: 'auto' }), { sharedMemory: 'off' });
    expect(runOff.result.sharedMemory).toMatchObject({ mode: 'off', enabled: false, reason: 'off for this run', tensors: 0 });
    const plain = await runWith(new MockBackend());
    expect(plain.result.sharedMemory).toEqual({ mode: 'auto', enabled: false, reason: 'mock backend', tensors: 0, bytes: 0, plainFallbacks: 0 });
    for (const other of [off, runOff, plain]) {
      expect(values(other.result.outputs.kv)).toEqual(values(shared.result.outputs.kv));
      expect(values(other.result.outputs.logits)).toEqual(values(shared.result.outputs.logits));
    }
    // The KV rows the loop wrote: h = x + 1 = 2 in slots 0..4 of both halves.
    expect(values(shared.result.outputs.kv).filter((v) => v === 2)).toHaveLength(2 * 5 * 4);
  });

  it('a run option turns sharing on over a manifest that says off', async () => {
    const backend = new SharedMock();
    const { result } = await runWith(backend, manifest({ sharedMemory: 'off' }), { sharedMemory: 'auto' });
    expect(result.sharedMemory).toMatchObject({ mode: 'auto', enabled: true, tensors: 4 });
  });

  it('reports why not for a backend without allocTensor', async () => {
    const mock = new MockBackend();
    const bare: Backend = { kind: 'bare', loadContext: (s, o) => mock.loadContext(s, o), dispose: () => mock.dispose(), [Symbol.asyncDispose]: () => mock.dispose() };
    for (const [name, fn] of Object.entries(graphs({}, [], new Set()))) mock.setGraph(name, fn);
    await using p = await Pipeline.load(manifest(), { backend: bare, baseDir: dir });
    expect((await p.run()).sharedMemory).toEqual({ mode: 'auto', enabled: false, reason: 'the bare backend has no allocTensor', tensors: 0, bytes: 0, plainFallbacks: 0 });
  });

  it('frees the shared tensors the caller does not get back when the run ends, and all of them when it fails', async () => {
    const backend = new SharedMock();
    const { result } = await runWith(backend);
    const kv = (result.outputs.kv as Tensor).data.buffer;
    // x, h and y are freed at once; kv is an output, the caller's until it is collected.
    expect(backend.freed.size).toBe(3);
    expect(backend.freed.has(kv)).toBe(false);
    expect([...backend.buffers].filter((b) => !backend.freed.has(b))).toEqual([kv]);

    const failing = new SharedMock();
    for (const [name, fn] of Object.entries(graphs(failing, [], new Set()))) failing.setGraph(name, fn);
    failing.setGraph('head', () => {
      throw new Error('head failed');
    });
    await using p = await Pipeline.load(manifest(), { backend: failing, baseDir: dir });
    await expect(p.run()).rejects.toThrow(/head failed/);
    expect(failing.freed.size).toBe(4);
  });

  it('keeps both buffers of a ping-pong KV cache (graph writes the other, swap trades names) in shared memory', async () => {
    const backend = new SharedMock();
    const seen: string[] = [];
    const tag = (t: Tensor) => (backend.buffers.has(t.data.buffer) ? 'shared' : 'plain');
    backend.setGraph('pp', (i, o) => {
      seen.push(`kv:${tag(i.kv)} out:${tag(o.kv_out)}`);
      (o.kv_out.data as Float32Array).set((i.kv.data as Float32Array).map((v) => v + 1));
    });
    const sig: GraphSignature = { name: 'pp', inputs: [f32('kv', [2, 4])], outputs: [f32('kv_out', [2, 4])] };
    await using p = await Pipeline.load(
      {
        format: 'qnn-node-pipeline',
        version: 1,
        contexts: { m: { binary: 'm.bin', signature: [sig] } },
        steps: [
          { op: 'fill', output: 'kv_a', value: 0, dtype: 'float32', dims: [2, 4] },
          { loop: { count: 4 }, steps: [{ graph: 'pp', inputs: { kv: 'kv_a' }, outputs: { kv_out: 'kv_b' } }, { op: 'swap', inputs: { a: 'kv_a', b: 'kv_b' } }] },
        ],
        outputs: { kv: 'kv_a' },
      },
      { backend, baseDir: dir },
    );
    const result = await p.run();
    expect(seen).toEqual(Array(4).fill('kv:shared out:shared'));
    expect(result.sharedMemory.tensors).toBe(2);
    expect(values(result.outputs.kv)).toEqual(Array(8).fill(4));
  });

  it('keeps reuseOutputs: false steps on fresh backend outputs', async () => {
    const backend = new SharedMock();
    const { result, log } = await runWith(backend, manifest({}, { reuseOutputs: false }));
    expect(log.slice(1)).toEqual(Array(5).fill('decode h:shared kv:shared y:plain'));
    expect(result.sharedMemory.tensors).toBe(3);
  });

  it('refuses bad modes with typed errors', async () => {
    const backend = new SharedMock();
    const load = Pipeline.load(manifest({ sharedMemory: 'on' }), { backend, baseDir: dir });
    await expect(load).rejects.toMatchObject({ code: 'MANIFEST_INVALID', message: expect.stringMatching(/\/sharedMemory/) });
    await using p = await Pipeline.load(manifest(), { backend, baseDir: dir });
    await expect(p.run({}, { sharedMemory: 'yes' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: 'Expected one of "auto", "off" for options.sharedMemory but received "yes"',
    });
  });
});
