import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MockBackend,
  Pipeline,
  Tensor,
  registerHostOp,
  runManifest,
  unregisterHostOp,
  type Backend,
  type GraphSignature,
  type MockGraphFn,
  type PipelineEvent,
} from '../../lib/index.js';
import { tempDir, writeEmbeddingTable, writeTokenizer } from './fixtures.js';

/*
 * A toy decoder: vocab 8, hidden 4, KV cache [2, 6, 4] (k/v, max_len 6, dim 4).
 * step(emb, pos, kv) -> new_kv = emb (for k and v), logits[t] = 1 for t = (sum of kv[0, p<pos, 0] + emb[0] + pos) mod 8.
 */
const VOCAB = 8;
const HIDDEN = 4;
const MAX = 6;
const STEP: GraphSignature = {
  name: 'step',
  inputs: [
    { name: 'emb', dtype: 'float32', dims: [1, 1, HIDDEN] },
    { name: 'pos', dtype: 'int32', dims: [1, 1] },
    { name: 'kv', dtype: 'float32', dims: [2, MAX, HIDDEN] },
  ],
  outputs: [
    { name: 'logits', dtype: 'float16', dims: [1, 1, VOCAB] },
    { name: 'new_kv', dtype: 'float32', dims: [2, 1, HIDDEN] },
  ],
};
const embValue = (id: number, d: number): number => id * 2 + d;

function toyNext(history: number[], pos: number, kvFirst: number[], id: number): number {
  let s = embValue(id, 0) + pos;
  for (let p = 0; p < pos; p++) s += kvFirst[p];
  void history;
  return s % VOCAB;
}

const stepImpl: MockGraphFn = (inputs, outputs) => {
  const emb = inputs.emb.data as Float32Array;
  const pos = (inputs.pos.data as Int32Array)[0];
  const kv = inputs.kv.data as Float32Array;
  let s = emb[0] + pos;
  for (let p = 0; p < pos; p++) s += kv[p * HIDDEN];
  const logits = new Float32Array(VOCAB);
  logits[s % VOCAB] = 1;
  outputs.logits.bytes.set(Tensor.fromFloat32('float16', logits, [1, 1, VOCAB]).bytes);
  const nk = outputs.new_kv.data as Float32Array;
  for (let d = 0; d < HIDDEN; d++) {
    nk[d] = emb[d];
    nk[HIDDEN + d] = emb[d];
  }
};

function toyManifest(): Record<string, unknown> {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    params: { max_new_tokens: 5, stop_ids: [7] },
    contexts: { lm: { binary: 'lm.bin', signature: [STEP] } },
    assets: {
      embed: { type: 'embedding', path: 'embed.bin', dtype: 'float32', shape: [VOCAB, HIDDEN] },
      tok: { type: 'tokenizer', path: 'tokenizer.json' },
    },
    inputs: { first: { type: 'number', default: 1 } },
    steps: [
      { op: 'fill', output: 'kv', value: 0, dtype: 'float32', dims: [2, MAX, HIDDEN] },
      { op: 'set', value: [], output: 'generated' },
      { op: 'set', inputs: { value: 'first' }, output: 'next' },
      { op: 'set', value: 0, output: 'pos' },
      {
        loop: { max: '$max_new_tokens', until: { value: 'next', in: '$stop_ids' }, index: 'i' },
        steps: [
          { op: 'emit', inputs: { token: 'next' }, tokenizer: 'tok' },
          { op: 'append', inputs: { list: 'generated', value: 'next' } },
          { op: 'embed', inputs: { ids: 'next' }, output: 'emb', table: 'embed' },
          { op: 'position_ids', inputs: { start: 'pos' }, output: 'pos_ids', length: 1, dtype: 'int32' },
          { graph: 'step', inputs: { emb: 'emb', pos: 'pos_ids', kv: 'kv' }, outputs: { logits: 'logits', new_kv: 'new_kv' } },
          { op: 'kv_write', inputs: { cache: 'kv', source: 'new_kv', position: 'pos' }, axis: 1 },
          { op: 'add', inputs: { a: 'pos', b: 1 }, output: 'pos' },
          { op: 'sample', inputs: { logits: 'logits' }, output: 'next' },
        ],
      },
      { op: 'detokenize', inputs: { tokens: 'generated' }, output: 'text', tokenizer: 'tok' },
    ],
    outputs: { text: 'text', tokens: 'generated', kv: 'kv' },
  };
}

/** The toy pipeline in plain TS: the tokens it must produce. */
function expectedTokens(first: number, max: number, stop: number[]): number[] {
  const out: number[] = [];
  const kvFirst: number[] = [];
  let next = first;
  for (let pos = 0; pos < max && !stop.includes(next); pos++) {
    out.push(next);
    const id = next;
    next = toyNext(out, pos, kvFirst, id);
    kvFirst[pos] = embValue(id, 0);
  }
  return out;
}

const WORDS = ['<unk>', 'one', 'two', 'three', 'four', 'five', 'six', 'seven'];
let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  writeFileSync(join(dir, 'lm.bin'), 'placeholder');
  writeEmbeddingTable(join(dir, 'embed.bin'), VOCAB, HIDDEN, 'float32', Array.from({ length: VOCAB }, (_, i) => i), embValue);
  writeTokenizer(join(dir, 'tokenizer.json'), { words: Object.fromEntries(WORDS.slice(1).map((w, i) => [w, i + 1])), specials: {} });
});
afterEach(() => cleanup());

async function load(backend: Backend = new MockBackend({ graphs: { step: stepImpl } }), manifest = toyManifest()): Promise<Pipeline> {
  return Pipeline.load(manifest, { backend, baseDir: dir });
}

async function codeOf(p: Promise<unknown>): Promise<{ code?: string; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}

describe('Pipeline runner', () => {
  it('runs loops with a KV cache and a position pointer, matching the plain TS computation', async () => {
    const pipeline = await load();
    for (const first of [1, 2, 3, 5]) {
      const result = await pipeline.run({ first });
      const expected = expectedTokens(first, 5, [7]);
      expect(result.tokens).toEqual(expected);
      expect(result.outputs.tokens).toEqual(expected);
      expect(result.outputs.text).toBe(expected.map((t) => WORDS[t]).join(' '));
      // The cache holds the embedding of each consumed token at its position.
      const kv = result.outputs.kv as Tensor;
      expected.forEach((id, p) => expect((kv.data as Float32Array)[p * HIDDEN]).toBe(embValue(id, 0)));
    }
    // params override: fewer tokens
    const short = await pipeline.run({ first: 1 }, { params: { max_new_tokens: 2 } });
    expect(short.tokens).toEqual(expectedTokens(1, 2, [7]));
    await pipeline.dispose();
  });

  it('passes the same cache and output tensors to every decode step (no per-token allocation)', async () => {
    const seen = { kv: new Set<unknown>(), logits: new Set<unknown>(), emb: new Set<unknown>() };
    const backend = new MockBackend({
      graphs: {
        step: (inputs, outputs, call) => {
          seen.kv.add(inputs.kv.data.buffer);
          seen.emb.add(inputs.emb.data.buffer);
          seen.logits.add(outputs.logits.data.buffer);
          return stepImpl(inputs, outputs, call);
        },
      },
    });
    const pipeline = await load(backend);
    const result = await pipeline.run({ first: 1 }, { params: { max_new_tokens: 5, stop_ids: [99] } });
    expect(result.tokens).toHaveLength(5);
    expect(seen.kv.size).toBe(1);
    expect(seen.logits.size).toBe(1);
    expect(seen.emb.size).toBe(1);
    await pipeline.dispose();
  });

  it('streams token and step events, then done, and reports where time went', async () => {
    const pipeline = await load();
    const events: PipelineEvent[] = [];
    for await (const e of pipeline.stream({ first: 1 })) events.push(e);
    const tokens = events.filter((e) => e.type === 'token');
    const expected = expectedTokens(1, 5, [7]);
    expect(tokens.map((e) => (e as { id: number }).id)).toEqual(expected);
    expect(tokens.map((e) => (e as { index: number }).index)).toEqual(expected.map((_, i) => i));
    expect(tokens.map((e) => (e as { text: string }).text).join('')).toBe(expected.map((t) => WORDS[t]).join(' '));
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.filter((e) => e.kind === 'graph')).toHaveLength(expected.length);
    expect(steps.find((e) => e.kind === 'graph')).toMatchObject({ name: 'lm/step', path: '/steps/4/steps/4', iteration: [0] });
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    const { timings } = (done as Extract<PipelineEvent, { type: 'done' }>).result;
    expect(timings.steps.find((s) => s.path === '/steps/4/steps/4')).toMatchObject({ kind: 'graph', calls: expected.length });
    expect(timings.steps.find((s) => s.name === 'sample')?.calls).toBe(expected.length);
    expect(timings.totalMs).toBeGreaterThanOrEqual(timings.graphMs + timings.hostMs - 1e-6);
    await pipeline.dispose();
  });

  it('aborts: ABORTED, and runManifest disposes the contexts', async () => {
    const backend = new MockBackend({ graphs: { step: stepImpl }, latencyMs: 30 });
    // Count context disposals through a thin wrapper backend.
    let disposedContexts = 0;
    const counting: Backend = {
      kind: 'counting',
      loadContext: async (source, options) => {
        const ctx = await backend.loadContext(source, options);
        const dispose = ctx.dispose.bind(ctx);
        return Object.assign(Object.create(ctx) as typeof ctx, { dispose: async () => void (await dispose(), disposedContexts++) });
      },
      dispose: () => backend.dispose(),
      [Symbol.asyncDispose]: () => backend.dispose(),
    };
    const controller = new AbortController();
    // Abort once a graph step has run (a timer could fire before the first one on a loaded machine).
    const onEvent = (e: PipelineEvent): void => void (e.type === 'step' && e.kind === 'graph' && controller.abort());
    const error = await codeOf(
      runManifest(toyManifest(), { backend: counting, baseDir: dir, inputs: { first: 1 }, params: { stop_ids: [99] }, signal: controller.signal, onEvent }),
    );
    expect(error.code).toBe('ABORTED');
    expect(disposedContexts).toBe(1);
    expect(backend.callCounts().step).toBeGreaterThan(0);
    const pipeline = await load(backend);
    const pre = new AbortController();
    pre.abort();
    expect((await codeOf(pipeline.run({ first: 1 }, { signal: pre.signal }))).code).toBe('ABORTED');
    // Leaving a stream early aborts the run.
    const it = pipeline.stream({ first: 1 }, { params: { stop_ids: [99] } });
    const firstEvent = await it.next();
    expect(firstEvent.done).toBe(false);
    await it.return!();
    await pipeline.dispose();
    expect((await codeOf(pipeline.run({ first: 1 }))).code).toBe('DISPOSED');
  });

  it('dispose() during a run aborts it, waits for it and disposes the contexts', async () => {
    const backend = new MockBackend({ graphs: { step: stepImpl }, latencyMs: 20 });
    const pipeline = await load(backend);
    const running = pipeline.run({ first: 1 }, { params: { stop_ids: [99] } });
    await new Promise((r) => setTimeout(r, 30));
    await pipeline.dispose();
    expect((await codeOf(running)).code).toBe('ABORTED');
    expect((await codeOf(Promise.resolve().then(() => pipeline.context('lm')))).code).toBe('DISPOSED');
    // The backend itself stays usable for other pipelines.
    const again = await load(backend);
    expect((await again.run({ first: 1 })).tokens).toEqual(expectedTokens(1, 5, [7]));
    await again.dispose();
  });

  it('records every graph call and replays it on the mock backend', async () => {
    const recordDir = join(dir, 'rec');
    const pipeline = await load();
    const live = await pipeline.run({ first: 2 }, { record: recordDir });
    await pipeline.dispose();
    const index = JSON.parse(readFileSync(join(recordDir, 'index.json'), 'utf8')) as { calls: { graph: string; step: string; iteration: number[]; inputs: Record<string, { file: string }> }[] };
    expect(index.calls).toHaveLength(live.tokens.length);
    expect(index.calls[1]).toMatchObject({ graph: 'step', step: '/steps/4/steps/4', iteration: [1] });
    expect(existsSync(join(recordDir, index.calls[0].inputs.kv.file))).toBe(true);

    const replay = await load(new MockBackend({ recording: recordDir }));
    const replayed = await replay.run({ first: 2 });
    expect(replayed.tokens).toEqual(live.tokens);
    await replay.dispose();
    // Different inputs (another first token) -> the recorded graph inputs no longer match.
    const again = await load(new MockBackend({ recording: recordDir }));
    const mismatch = await codeOf(again.run({ first: 3 }));
    expect(mismatch.code).toBe('RECORDING_MISMATCH');
    expect(mismatch.message).toMatch(/input "emb" of graph "step"/);
    await again.dispose();
  });

  it('never writes into tensors the caller passed in', async () => {
    const sig: GraphSignature = { name: 'double', inputs: [{ name: 'x', dtype: 'float32', dims: [1, 3] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1, 3] }] };
    const manifest = {
      format: 'qnn-node-pipeline',
      version: 1,
      contexts: { c: { binary: 'lm.bin', signature: [sig] } },
      inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 3] }, cache: { type: 'tensor', dtype: 'float32', shape: [1, 3] } },
      steps: [
        { graph: 'double', inputs: { x: 'x' }, outputs: { y: 'x' } },
        { op: 'add', inputs: { a: 'x', b: 'x' }, output: 'x' },
        { op: 'kv_write', inputs: { cache: 'cache', source: 'x', position: 0 }, axis: 1 },
      ],
      outputs: { x: 'x', cache: 'cache' },
    };
    const backend = new MockBackend({ graphs: { double: (i, o) => void (o.y.data as Float32Array).set((i.x.data as Float32Array).map((v) => v * 2)) } });
    const pipeline = await Pipeline.load(manifest, { backend, baseDir: dir });
    const x = new Tensor('float32', [1, 2, 3], [1, 3]);
    const cache = new Tensor('float32', [0, 0, 0], [1, 3]);
    const result = await pipeline.run({ x, cache });
    expect([...(x.data as Float32Array)]).toEqual([1, 2, 3]);
    expect([...(cache.data as Float32Array)]).toEqual([0, 0, 0]);
    expect([...((result.outputs.x as Tensor).data as Float32Array)]).toEqual([4, 8, 12]);
    expect([...((result.outputs.cache as Tensor).data as Float32Array)]).toEqual([4, 8, 12]);
    await pipeline.dispose();
  });

  it('runs user-defined host ops (registerHostOp and per-pipeline), with their own schema', async () => {
    const manifest = toyManifest();
    (manifest.steps as unknown[]).splice(2, 1, { op: 'pick_first', output: 'next', offset: 1 });
    registerHostOp('pick_first', (ctx) => 2 + (ctx.params.offset as number));
    try {
      const pipeline = await load(undefined, manifest);
      expect((await pipeline.run({ first: 1 })).tokens[0]).toBe(3);
      await pipeline.dispose();
      // Per-pipeline ops win over the registry, and their schema is checked at load.
      const local = await Pipeline.load(manifest, {
        backend: new MockBackend({ graphs: { step: stepImpl } }),
        baseDir: dir,
        hostOps: { pick_first: { run: () => 5, schema: { type: 'object', properties: { offset: { type: 'integer' } } } } },
      });
      expect((await local.run({ first: 1 })).tokens[0]).toBe(5);
      await local.dispose();
      (manifest.steps as Record<string, unknown>[])[2].offset = 'x';
      const bad = await codeOf(Pipeline.load(manifest, { backend: new MockBackend(), baseDir: dir, hostOps: { pick_first: { run: () => 5, schema: { type: 'object', properties: { offset: { type: 'integer' } } } } } }));
      expect(bad.code).toBe('MANIFEST_INVALID');
      expect(bad.details.path).toBe('/steps/2/offset');
      // A throwing op is HOST_OP_FAILED naming the step.
      (manifest.steps as Record<string, unknown>[])[2].offset = 1;
      registerHostOp('pick_first', () => {
        throw new Error('boom');
      });
      const failing = await load(undefined, manifest);
      const err = await codeOf(failing.run({ first: 1 }));
      expect(err.code).toBe('HOST_OP_FAILED');
      expect(err.message).toMatch(/\/steps\/2 \(pick_first\): boom/);
      await failing.dispose();
    } finally {
      unregisterHostOp('pick_first');
    }
  });

  it('ping-pongs a KV cache between two buffers with swap (no copies, two buffers in total)', async () => {
    const acc: GraphSignature = {
      name: 'acc',
      inputs: [
        { name: 'kv', dtype: 'float32', dims: [1, 4] },
        { name: 'x', dtype: 'float32', dims: [1, 4] },
      ],
      outputs: [{ name: 'kv_out', dtype: 'float32', dims: [1, 4] }],
    };
    const buffers = new Set<ArrayBufferLike>();
    const backend = new MockBackend({
      graphs: {
        acc: (i, o) => {
          buffers.add(o.kv_out.data.buffer);
          const kv = i.kv.data as Float32Array;
          const x = i.x.data as Float32Array;
          (o.kv_out.data as Float32Array).set(kv.map((v, k) => v + x[k]));
        },
      },
    });
    const manifest = {
      format: 'qnn-node-pipeline',
      version: 1,
      contexts: { c: { binary: 'lm.bin', signature: [acc] } },
      inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 4] } },
      steps: [
        { op: 'fill', output: 'kv_a', value: 0, dtype: 'float32', dims: [1, 4] },
        { op: 'fill', output: 'kv_b', value: 0, dtype: 'float32', dims: [1, 4] },
        { loop: { count: 5 }, steps: [{ graph: 'acc', inputs: { kv: 'kv_a', x: 'x' }, outputs: { kv_out: 'kv_b' } }, { op: 'swap', inputs: { a: 'kv_a', b: 'kv_b' } }] },
      ],
      outputs: { kv: 'kv_a' },
    };
    const pipeline = await Pipeline.load(manifest, { backend, baseDir: dir });
    const result = await pipeline.run({ x: new Tensor('float32', [1, 2, 3, 4], [1, 4]) });
    expect([...((result.outputs.kv as Tensor).data as Float32Array)]).toEqual([5, 10, 15, 20]);
    expect(buffers.size).toBe(2);
    await pipeline.dispose();
  });

  it('converts with cast / quantize / dequantize, reshapes, slices and concatenates, decodes JPEG inputs', async () => {
    const sig: GraphSignature = { name: 'id', inputs: [{ name: 'q', dtype: 'ufixed8', dims: [2, 3], quant: { encoding: 'scale-offset', scale: 0.5, offset: -10 } }], outputs: [{ name: 'y', dtype: 'ufixed8', dims: [2, 3], quant: { encoding: 'scale-offset', scale: 0.5, offset: -10 } }] };
    const backend = new MockBackend({ graphs: { id: (i, o) => void o.y.bytes.set(i.q.bytes) } });
    const manifest = {
      format: 'qnn-node-pipeline',
      version: 1,
      contexts: { c: { binary: 'lm.bin', signature: [sig] } },
      inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 6] }, photo: { type: 'image' } },
      steps: [
        { op: 'reshape', inputs: { input: 'x' }, output: 'x23', dims: [2, -1] },
        { op: 'quantize', inputs: { input: 'x23' }, output: 'q', dtype: 'ufixed8', scale: 0.5, offset: -10 },
        { graph: 'id', inputs: { q: 'q' }, outputs: { y: 'y' } },
        { op: 'dequantize', inputs: { input: 'y' }, output: 'deq' },
        { op: 'slice', inputs: { input: 'deq' }, output: 'row1', axis: 0, start: 1, length: 1 },
        { op: 'cast', inputs: { input: 'row1' }, output: 'row1_i', dtype: 'int32' },
        { op: 'concat', inputs: ['row1_i', 'row1_i'], output: 'both', axis: 1 },
        { op: 'image', inputs: { image: 'photo' }, output: 'pix', width: 2, height: 2, resize: 'nearest', rescale: 1, layout: 'NHWC', dtype: 'uint8' },
      ],
      outputs: { deq: 'deq', both: 'both', pix: 'pix' },
    };
    const jpeg = (await import('jpeg-js')).default;
    const photo = new Uint8Array(jpeg.encode({ data: Buffer.alloc(4 * 4 * 4, 200), width: 4, height: 4 }, 100).data);
    const pipeline = await Pipeline.load(manifest, { backend, baseDir: dir });
    const x = new Tensor('float32', [0, 1, 2.5, 3, 4, 5.25], [1, 6]);
    const result = await pipeline.run({ x, photo });
    // q = round(x / 0.5) - (-10), stored; real = 0.5 * (q - 10)
    expect([...((result.outputs.deq as Tensor).data as Float32Array)]).toEqual([0, 1, 2.5, 3, 4, 5]);
    expect(result.outputs.both).toMatchObject({ dtype: 'int32', dims: [1, 6] });
    expect([...(result.outputs.both as Tensor).data]).toEqual([3, 4, 5, 3, 4, 5]);
    const pix = result.outputs.pix as Tensor;
    expect(pix.dims).toEqual([1, 2, 2, 3]);
    for (const v of pix.data as Uint8Array) expect(Math.abs(v - 200)).toBeLessThanOrEqual(2);
    await pipeline.dispose();
  });

  it('rejects bad run inputs and params with typed errors', async () => {
    const pipeline = await load();
    expect((await codeOf(pipeline.run({ first: 'one' as never }))).code).toBe('ERR_INVALID_ARG');
    expect((await codeOf(pipeline.run({ second: 1 } as never))).message).toMatch(/inputs\.second/);
    expect((await codeOf(pipeline.run({}, { params: { max_tokens: 3 } }))).message).toMatch(/options\.params\.max_tokens/);
    expect((await codeOf(pipeline.run({}, { params: { max_new_tokens: '3' } }))).code).toBe('ERR_INVALID_ARG');
    expect((await codeOf(pipeline.run({}, { seed: 1.5 }))).code).toBe('ERR_INVALID_ARG');
    await pipeline.dispose();
  });
});
