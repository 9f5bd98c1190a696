import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { QnnNodeError, QnnStatusError } from '../../lib/errors.js';
import { halfToNumber, numberToHalf } from '../../lib/tensor/fp16.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { encodeReferenceBinary } from '../../lib/reference/writer.js';
import { ADD, QUANT, SHARED, W, describeNative, heavy, matmul, tempDir, withEnv, writeBinary } from './helpers.js';

const f32 = (dims: number[], values: number[]) => new Tensor('float32', Float32Array.from(values), dims);

describeNative('QnnGraph#run', () => {
  const dir = tempDir();
  const addPath = writeBinary(dir, 'add.bin', ADD);
  const sharedPath = writeBinary(dir, 'shared.bin', SHARED);

  it('computes an elementwise add, async and sync', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const g = ctx.graph('add');
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = f32([2, 3], [0.5, -2, 10, 0, 1e6, -6]);
    const { out } = await g.run({ a, b });
    expect(out.dtype).toBe('float32');
    expect(out.dims).toEqual([2, 3]);
    expect([...out.data]).toEqual([1.5, 0, 13, 4, 1000005, 0]);
    const sync = g.runSync({ a, b });
    expect([...sync.out.data]).toEqual([...out.data]);
  });

  it('runs every graph of a weight-shared context against the same weights', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(sharedPath);
    const x3 = Float32Array.from({ length: 12 }, (_, i) => i * 0.25 - 1);
    const x1 = Float32Array.from([0.5, -1, 2, 3]);
    const [p, d] = await Promise.all([
      ctx.graph('prefill').run({ x: new Tensor('float32', x3, [3, 4]) }),
      ctx.graph('decode').run({ x: new Tensor('float32', x1, [1, 4]) }),
    ]);
    const ep = matmul(x3, W, 3, 4, 4);
    const ed = matmul(x1, W, 1, 4, 4);
    p.y.data.forEach((v, i) => expect(v).toBeCloseTo(ep[i], 5));
    d.y.data.forEach((v, i) => expect(v).toBeCloseTo(ed[i], 5));
    const h = Uint16Array.from([-2, -0.5, 0, 0.5, 1, 2, 65504, -65504].map(numberToHalf));
    const r = await ctx.graph('relu').run({ x: new Tensor('float16', h, [8]) });
    expect([...(r.y.data as Uint16Array)].map((v) => halfToNumber(v))).toEqual([0, 0, 0, 0.5, 1, 2, 65504, 0]);
  });

  it('dequantizes with the binary\'s quant params', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(QUANT));
    const g = ctx.graph('dequant');
    const q = new Tensor('ufixed8', Uint8Array.from([0, 10, 11, 255]), [4], { quant: g.inputs[0].quant });
    const { f } = await g.run({ q });
    expect([...f.data]).toEqual([-5, 0, 0.5, 122.5]);
  });

  it('passes per-axis and 4-bit quantized tensors (quant arrays and packed sizes)', async () => {
    const desc = {
      graphs: [
        {
          name: 'axis',
          inputs: [{ name: 'q', dtype: 'sfixed8' as const, dims: [2, 3], quant: { encoding: 'axis-scale-offset' as const, axis: 0, scales: [0.5, 0.25], offsets: [0, -4] } }],
          outputs: [{ name: 'f', dtype: 'float32' as const, dims: [2, 3] }],
          nodes: [{ op: 'Dequantize', inputs: ['q'], outputs: ['f'] }],
        },
        {
          name: 'nibbles',
          inputs: [{ name: 'q', dtype: 'ufixed4' as const, dims: [5], quant: { encoding: 'scale-offset' as const, scale: 1, offset: 0 } }],
          outputs: [{ name: 'f', dtype: 'float32' as const, dims: [5] }],
          nodes: [{ op: 'Dequantize', inputs: ['q'], outputs: ['f'] }],
        },
      ],
    };
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(desc));
    const axis = ctx.graph('axis');
    expect(axis.inputs[0].quant).toEqual({ encoding: 'axis-scale-offset', axis: 0, scales: [0.5, 0.25], offsets: [0, -4] });
    const q = new Tensor('sfixed8', Int8Array.from([2, 4, -2, 4, 8, 0]), [2, 3], { quant: axis.inputs[0].quant });
    expect([...(await axis.run({ q })).f.data]).toEqual([1, 2, -1, 0, 1, -1]);
    const nib = ctx.graph('nibbles');
    const packed = new Tensor('ufixed4', Uint8Array.from([0x21, 0x43, 0x0f]), [5], { quant: nib.inputs[0].quant });
    expect(packed.byteLength).toBe(3);
    expect([...(await nib.run({ q: packed })).f.data]).toEqual([1, 2, 3, 4, 15]);
  });

  it('writes into caller output tensors (zero copy: the same objects and memory come back)', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const g = ctx.graph('add');
    const backing = new ArrayBuffer(64);
    const outData = new Float32Array(backing, 8, 6);
    const out = new Tensor('float32', outData, [2, 3]);
    const result = await g.run({ a: f32([2, 3], [1, 1, 1, 1, 1, 1]), b: f32([2, 3], [1, 2, 3, 4, 5, 6]) }, { outputs: { out } });
    expect(result.out).toBe(out);
    expect(result.out.data).toBe(outData);
    expect([...new Float32Array(backing, 8, 6)]).toEqual([2, 3, 4, 5, 6, 7]);
    expect(new Float32Array(backing, 0, 2)).toEqual(new Float32Array(2)); // nothing outside the view
    const again = g.runSync({ a: f32([2, 3], [0, 0, 0, 0, 0, 0]), b: f32([2, 3], [9, 9, 9, 9, 9, 9]) }, { outputs: { out } });
    expect(again.out).toBe(out);
    expect([...outData]).toEqual([9, 9, 9, 9, 9, 9]);
  });

  it('accepts SharedArrayBuffer-backed tensors for inputs and outputs', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const a = new Tensor('float32', new SharedArrayBuffer(24), [2, 3]);
    (a.data as Float32Array).set([1, 2, 3, 4, 5, 6]);
    const out = new Tensor('float32', new SharedArrayBuffer(24), [2, 3]);
    const r = await ctx.graph('add').run({ a, b: a }, { outputs: { out } });
    expect(r.out).toBe(out);
    expect([...new Float32Array(out.data.buffer as SharedArrayBuffer)]).toEqual([2, 4, 6, 8, 10, 12]);
  });

  it('takes the same decisions on the fast validation path as the full checks (edge cases)', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const g = ctx.graph('add');
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const inherited = Object.assign(Object.create({ b: a }), { a }); // "b" only on the prototype
    const hiddenB = Object.defineProperty({ a, c: a }, 'b', { value: a, enumerable: false });
    const withUndefined = { a, b: a, c: undefined };
    const cases: [unknown, unknown, string][] = [
      [inherited, undefined, 'MISSING_INPUT'],
      [hiddenB, undefined, 'UNKNOWN_INPUT'],
      [withUndefined, undefined, 'UNKNOWN_INPUT'],
      [[a, a], undefined, 'ERR_INVALID_ARG'],
      [{ a, b: a }, { outputs: { out: undefined } }, 'ERR_INVALID_ARG'],
      [{ a, b: a }, { outputs: [a] }, 'ERR_INVALID_ARG'],
    ];
    for (const [inputs, options, code] of cases) {
      expect(() => g.runSync(inputs as never, options as never), code).toThrow(expect.objectContaining({ code }));
      const err = await g.run(inputs as never, options as never).catch((e) => e);
      expect(err.code, code).toBe(code);
    }
    // A valid map with an extra inherited (prototype) key passes, as with the full checks.
    const proto = Object.assign(Object.create({ zzz: 1 }), { a, b: a });
    expect([...g.runSync(proto).out.data]).toEqual([2, 4, 6, 8, 10, 12]);
    // Outputs come back in graph order, the caller's tensors by identity.
    const out = f32([2, 3], [0, 0, 0, 0, 0, 0]);
    const r = await g.run({ b: a, a }, { outputs: { out } });
    expect(Object.keys(r)).toEqual(['out']);
    expect(r.out).toBe(out);
  });

  it('validates inputs and outputs before any native call', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const g = ctx.graph('add');
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const cases: [unknown, unknown, string, RegExp][] = [
      [{ a, b: a, c: a }, undefined, 'UNKNOWN_INPUT', /no input "c"; its inputs are "a", "b"/],
      [{ a }, undefined, 'MISSING_INPUT', /needs input "b" \(float32 \[2, 3\]\)/],
      [{ a, b: new Tensor('int32', new Int32Array(6), [2, 3]) }, undefined, 'DTYPE_MISMATCH', /Expected dtype float32 .* "b" .* received int32/],
      [{ a, b: f32([7], [1, 2, 3, 4, 5, 6, 7]) }, undefined, 'SIZE_MISMATCH', /Expected 6 elements/],
      [{ a, b: new Float32Array(6) }, undefined, 'ERR_INVALID_ARG', /Expected a Tensor/],
      [null, undefined, 'ERR_INVALID_ARG', /Expected an object of Tensors/],
      [{ a, b: a }, { outputs: { nope: a } }, 'UNKNOWN_OUTPUT', /no output "nope"; its outputs are "out"/],
      [{ a, b: a }, { outputs: { out: f32([3], [1, 2, 3]) } }, 'SIZE_MISMATCH', /output "out"/],
      [{ a, b: a }, 5, 'ERR_INVALID_ARG', /options/],
    ];
    for (const [inputs, options, code, message] of cases) {
      const err = await g.run(inputs as never, options as never).catch((e) => e);
      expect(err.code, code).toBe(code);
      expect(err.message).toMatch(message);
      expect(() => g.runSync(inputs as never, options as never)).toThrow(expect.objectContaining({ code }));
    }
  });

  it('reports graphExecute failures as QnnStatusError with the backend message and the caller stack', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const g = ctx.graph('add');
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    await withEnv({ QNN_REFERENCE_FAIL: 'graphExecute=6004' }, async () => {
      const err = await g.run({ a, b: a }).catch((e) => e);
      expect(err).toBeInstanceOf(QnnStatusError);
      expect(err.statusCode).toBe(6004);
      expect(err.statusName).toBe('QNN_GRAPH_ERROR_INVALID_TENSOR');
      expect(err.apiFunction).toBe('graphExecute');
      expect(err.backendMessage).toContain('failure injected');
      expect(err.message).toContain('graphExecute failed with QNN_GRAPH_ERROR_INVALID_TENSOR (6004)');
      expect(err.stack).toContain('run.test.ts');
      expect(() => g.runSync({ a, b: a })).toThrow(QnnStatusError);
    });
    // and the graph still works afterwards
    expect([...(await g.run({ a, b: a })).out.data]).toEqual([2, 4, 6, 8, 10, 12]);
  });

  it('reports tensors the backend does not know (caller signature without ids) as QNN errors', async () => {
    await using qnn = await Qnn.load({ backend: 'reference', system: false });
    await using ctx = await qnn.loadContext(addPath, {
      graphs: [
        {
          name: 'add',
          inputs: [
            { name: 'a', dtype: 'float32', dims: [2, 3] },
            { name: 'b', dtype: 'float32', dims: [2, 3] },
          ],
          outputs: [{ name: 'out', dtype: 'float32', dims: [2, 3] }],
        },
      ],
    });
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const err = await ctx.graph('add').run({ a, b: a }).catch((e) => e);
    expect(err).toBeInstanceOf(QnnStatusError);
    expect(err.statusCode).toBe(7002);
  });

  it('serializes concurrent runs of one graph and keeps each result with its caller', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const g = ctx.graph('add');
    const runs = Array.from({ length: 40 }, (_, i) => g.run({ a: f32([2, 3], [i, i, i, i, i, i]), b: f32([2, 3], [1, 2, 3, 4, 5, 6]) }));
    const results = await Promise.all(runs);
    results.forEach((r, i) => expect([...r.out.data]).toEqual([i + 1, i + 2, i + 3, i + 4, i + 5, i + 6]));
  });

  it('lets different graphs run at the same time', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(sharedPath);
    await withEnv({ QNN_REFERENCE_EXECUTE_DELAY_MS: '150' }, async () => {
      const x3 = new Tensor('float32', new Float32Array(12), [3, 4]);
      const x1 = new Tensor('float32', new Float32Array(4), [1, 4]);
      const t0 = performance.now();
      await Promise.all([ctx.graph('prefill').run({ x: x3 }), ctx.graph('decode').run({ x: x1 })]);
      const parallel = performance.now() - t0;
      const t1 = performance.now();
      await Promise.all([ctx.graph('prefill').run({ x: x3 }), ctx.graph('prefill').run({ x: x3 })]);
      const serial = performance.now() - t1;
      expect(parallel).toBeLessThan(290); // two graphs overlap
      expect(serial).toBeGreaterThanOrEqual(295); // one graph: one at a time
    });
  });

  it('does not block the event loop while a heavy MatMul runs (runSync does)', async () => {
    const m = 512;
    const k = 1024;
    const n = 1024;
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(writeBinary(dir, 'heavy.bin', heavy(m, k, n)));
    const g = ctx.graph('mm');
    const x = new Tensor('float32', new Float32Array(m * k).fill(1), [m, k]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const t0 = performance.now();
      const { y } = await g.run({ x });
      const asyncMs = performance.now() - t0;
      expect(y.data[0]).toBeCloseTo(1.024, 3);
      const asyncTicks = ticks;
      ticks = 0;
      const t1 = performance.now();
      g.runSync({ x });
      const syncMs = performance.now() - t1;
      const syncTicks = ticks;
      await new Promise((r) => setTimeout(r, 1));
      expect(asyncMs).toBeGreaterThan(40); // heavy enough to matter
      expect(asyncTicks).toBeGreaterThanOrEqual(Math.floor(asyncMs / 5 / 3));
      expect(syncMs).toBeGreaterThan(40);
      expect(syncTicks).toBe(0);
    } finally {
      clearInterval(timer);
    }
  });

  it('honours an AbortSignal until the run starts', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const g = ctx.graph('add');
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const aborted = AbortSignal.abort('stop');
    const err = await g.run({ a, b: a }, { signal: aborted }).catch((e) => e);
    expect(err).toBeInstanceOf(QnnNodeError);
    expect(err.code).toBe('ABORTED');
    await withEnv({ QNN_REFERENCE_EXECUTE_DELAY_MS: '100' }, async () => {
      const ac = new AbortController();
      const first = g.run({ a, b: a });
      const second = g.run({ a, b: a }, { signal: ac.signal });
      ac.abort();
      await expect(first).resolves.toBeTruthy();
      await expect(second).rejects.toMatchObject({ code: 'ABORTED' });
    });
  });
});
