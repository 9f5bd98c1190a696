// Issue 9 (items 4, 5, 6, 7, 8) against the addon and the reference backend: overflowing
// dims, names that are Object.prototype keys, bool and Gather semantics, resource budgets
// of hostile binaries, and buffers transferred while a run is in flight.
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { QnnStatusError } from '../../lib/errors.js';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import type { NativeGraph } from '../../lib/native/AddonTypes.js';
import { encodeReferenceBinary, type ReferenceBinaryDesc } from '../../lib/reference/writer.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';

const f32 = (dims: number[], values: number[]) => new Tensor('float32', Float32Array.from(values), dims);
const detach = (buffer: ArrayBufferLike): ArrayBuffer => structuredClone(buffer as ArrayBuffer, { transfer: [buffer as ArrayBuffer] });

/** Inputs named like Object.prototype members, an output named "__proto__". */
const PROTO_NAMES: ReferenceBinaryDesc = {
  graphs: [
    {
      name: 'proto',
      inputs: [
        { name: 'constructor', dtype: 'float32', dims: [2] },
        { name: 'toString', dtype: 'float32', dims: [2] },
      ],
      outputs: [
        { name: '__proto__', dtype: 'float32', dims: [2] },
        { name: 'valueOf', dtype: 'float32', dims: [2] },
      ],
      nodes: [
        { op: 'ElementWiseAdd', inputs: ['constructor', 'toString'], outputs: ['__proto__'] },
        { op: 'ElementWiseSubtract', inputs: ['constructor', 'toString'], outputs: ['valueOf'] },
      ],
    },
  ],
};

/**
 * A binary of well under a kilobyte whose graph takes an [n] float32 input and declares an
 * [n, n] intermediate (broadcast add) feeding `matmuls` chained [n, n] MatMuls: n² floats
 * of memory and n³ multiply-accumulates per MatMul, for a 4n-byte input.
 */
function blowUp(n: number, matmuls: number): ReferenceBinaryDesc {
  const tensors = [
    { name: 'col', dtype: 'float32' as const, dims: [n, 1] },
    { name: 'sq0', dtype: 'float32' as const, dims: [n, n] },
  ];
  const nodes = [
    { op: 'Reshape', inputs: ['x'], outputs: ['col'] },
    { op: 'ElementWiseAdd', inputs: ['col', 'x'], outputs: ['sq0'] },
  ];
  for (let i = 1; i <= matmuls; i++) {
    tensors.push({ name: `sq${i}`, dtype: 'float32', dims: [n, n] });
    nodes.push({ op: 'MatMul', inputs: [`sq${i - 1}`, 'sq0'], outputs: [`sq${i}`] });
  }
  return {
    graphs: [
      {
        name: 'blowup',
        inputs: [{ name: 'x', dtype: 'float32', dims: [1, n] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: [1, 1] }],
        tensors,
        nodes: [...nodes, { op: 'StridedSlice', inputs: [`sq${matmuls}`], outputs: ['y'], params: { ranges: [0, 1, 1, 0, 1, 1] } }],
      },
    ],
  };
}

describeNative('hardening: sizes, names, semantics, budgets, detached buffers', () => {
  const dir = tempDir();
  const addPath = writeBinary(dir, 'add.bin', ADD);

  it('refuses a 0-byte buffer for caller dims whose byte size overflows 64 bits (addon, below the TS checks)', async () => {
    const addon = loadAddon();
    const { backend } = referenceBackendPaths();
    const rt = new addon.Runtime();
    await rt.load({ backendPath: backend }); // no QnnSystem: the caller's signature is used
    const ctx = new addon.Context(rt);
    const huge = [0xffffffff, 0xffffffff, 0xffffffff];
    const sig = {
      name: 'add',
      inputs: [
        { name: 'a', dataType: 0x0232, dims: huge },
        { name: 'b', dataType: 0x0232, dims: [2, 3] },
      ],
      outputs: [{ name: 'out', dataType: 0x0232, dims: [2, 3] }],
    };
    const g = (await ctx.load(addPath, [sig])).graphs[0].handle as NativeGraph;
    const call = () => g.run([new Float32Array(0), new Float32Array(6)], [new Float32Array(6)]);
    expect(call).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH', message: expect.stringContaining('overflows 64 bits') }));
    expect(() => g.runSync([new Float32Array(0), new Float32Array(6)], [new Float32Array(6)])).toThrow(
      expect.objectContaining({ code: 'SIZE_MISMATCH' }),
    );
    ctx.dispose();
    rt.dispose();
  });

  it('rejects caller signatures whose element count overflows before any native call (TS)', async () => {
    await using qnn = await Qnn.load({ backend: 'reference', system: false });
    const graphs = [{ name: 'add', inputs: [{ name: 'a', dtype: 'float32' as const, dims: [65536, 65536, 65536, 65536] }], outputs: [] }];
    await expect(qnn.loadContext(addPath, { graphs })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('dims') });
    const tooWide = [{ name: 'add', inputs: [{ name: 'a', dtype: 'float32' as const, dims: [2 ** 32] }], outputs: [] }];
    await expect(qnn.loadContext(addPath, { graphs: tooWide })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  it('returns an output named "__proto__" and takes inputs named "constructor" / "toString"', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(PROTO_NAMES));
    const g = ctx.graph('proto');
    const inputs = { constructor: f32([2], [1, 2]), toString: f32([2], [10, 20]) };
    for (const result of [await g.run(inputs), g.runSync(inputs)]) {
      expect(Object.keys(result)).toEqual(['__proto__', 'valueOf']);
      expect(Object.prototype.hasOwnProperty.call(result, '__proto__')).toBe(true);
      expect([...result['__proto__'].data]).toEqual([11, 22]);
      expect([...(result['valueOf'] as Tensor).data]).toEqual([-9, -18]);
    }
    // A caller buffer for "__proto__" (an own property) is written in place and returned.
    const target = f32([2], [0, 0]);
    const outputs = JSON.parse('{"__proto__": null}') as Record<string, Tensor>;
    outputs['__proto__'] = target; // own data property: assignment on an own property
    Object.defineProperty(outputs, '__proto__', { value: target, enumerable: true });
    const r = await g.run(inputs, { outputs });
    expect(r['__proto__']).toBe(target);
    expect([...target.data]).toEqual([11, 22]);
  });

  it('matches input names as own properties only', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(PROTO_NAMES));
    const g = ctx.graph('proto');
    await expect(g.run({ valueOf: 5 } as never)).rejects.toMatchObject({ code: 'UNKNOWN_INPUT' });
    // Inherited "constructor" / "toString" (Object.prototype's or a custom prototype's) are not inputs.
    await expect(g.run({} as never)).rejects.toMatchObject({ code: 'MISSING_INPUT', message: expect.stringContaining('"constructor"') });
    const inherited = Object.create({ constructor: f32([2], [1, 2]), toString: f32([2], [1, 2]) });
    await expect(g.run(inherited)).rejects.toMatchObject({ code: 'MISSING_INPUT' });
    expect(() => g.runSync({ constructor: f32([2], [1, 2]) } as never)).toThrow(expect.objectContaining({ code: 'MISSING_INPUT' }));
  });

  it('reads bool storage the way QNN documents BOOL_8 (non-zero is true) in Cast, like Tensor#toFloat32', async () => {
    const desc: ReferenceBinaryDesc = {
      graphs: [
        {
          name: 'b2f',
          inputs: [{ name: 'b', dtype: 'bool', dims: [4] }],
          outputs: [{ name: 'f', dtype: 'float32', dims: [4] }],
          nodes: [{ op: 'Cast', inputs: ['b'], outputs: ['f'] }],
        },
        {
          name: 'f2b',
          inputs: [{ name: 'f', dtype: 'float32', dims: [4] }],
          outputs: [{ name: 'b', dtype: 'bool', dims: [4] }],
          nodes: [{ op: 'Cast', inputs: ['f'], outputs: ['b'] }],
        },
      ],
    };
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(desc));
    const b = new Tensor('bool', Uint8Array.from([0, 2, 255, 1]), [4]);
    const { f } = await ctx.graph('b2f').run({ b });
    expect([...f.data]).toEqual([0, 1, 1, 1]);
    expect([...f.data]).toEqual([...b.toFloat32()]);
    const x = f32([4], [0, -0.5, Number.NaN, 3]);
    const out = await ctx.graph('f2b').run({ f: x });
    expect([...out.b.data]).toEqual([0, 1, 1, 1]);
    expect([...out.b.data]).toEqual([...x.to('bool').data]);
  });

  it('names a uint64 Gather index of 2^63 and above exactly (no float-cast overflow)', async () => {
    const desc: ReferenceBinaryDesc = {
      statics: [{ name: 'table', dtype: 'float32', dims: [4, 2], fill: 1 }],
      graphs: [
        {
          name: 'gather',
          inputs: [{ name: 'ids', dtype: 'uint64', dims: [2] }],
          outputs: [{ name: 'rows', dtype: 'float32', dims: [2, 2] }],
          nodes: [{ op: 'Gather', inputs: ['table', 'ids'], outputs: ['rows'], params: { axis: 0 } }],
        },
      ],
    };
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(desc));
    const ids = new Tensor('uint64', BigUint64Array.from([1n, 2n ** 63n]), [2]);
    const err = await ctx.graph('gather').run({ ids }).catch((e) => e);
    expect(err).toBeInstanceOf(QnnStatusError);
    expect(err.message).toContain('index 9223372036854775808 (element 1');
    const max = new Tensor('uint64', BigUint64Array.from([2n ** 64n - 1n, 0n]), [2]);
    expect((await ctx.graph('gather').run({ ids: max }).catch((e) => e)).message).toContain('index 18446744073709551615 (element 0');
  });

  it('refuses a sub-kilobyte binary that declares billions of multiply-accumulates (typed QNN status, before any work)', async () => {
    const bytes = encodeReferenceBinary(blowUp(2048, 1));
    expect(bytes.byteLength).toBeLessThan(1024);
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(bytes);
    const x = new Tensor('float32', new Float32Array(2048).fill(0.5), [1, 2048]);
    const err = await ctx.graph('blowup').run({ x }).catch((e) => e);
    expect(err).toBeInstanceOf(QnnStatusError);
    expect(err.statusCode).toBe(1010); // QNN_COMMON_ERROR_RESOURCE_UNAVAILABLE
    expect(err.message).toMatch(/graph 'blowup' declares \d+ units of work .*limit of \d+ for this binary/);
  });

  it('refuses a sub-kilobyte binary that declares gigabytes of intermediates (QNN_GRAPH_ERROR_MEM_ALLOC)', async () => {
    const bytes = encodeReferenceBinary(blowUp(16384, 0));
    expect(bytes.byteLength).toBeLessThan(1024);
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(bytes);
    const x = new Tensor('float32', new Float32Array(16384), [1, 16384]);
    const err = await ctx.graph('blowup').run({ x }).catch((e) => e);
    expect(err).toBeInstanceOf(QnnStatusError);
    expect(err.statusCode).toBe(1002);
    expect(err.message).toMatch(/graph 'blowup' needs \d+ bytes of intermediate memory, above the reference backend's limit of 268435456 bytes/);
  });

  it('lets QNN_REFERENCE_MAX_WORK / QNN_REFERENCE_MAX_MEMORY_BYTES set the limits', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    await withEnv({ QNN_REFERENCE_MAX_WORK: '5' }, async () => {
      await expect(ctx.graph('add').run({ a, b: a })).rejects.toMatchObject({ statusCode: 1010, message: expect.stringContaining('(QNN_REFERENCE_MAX_WORK)') });
    });
    await withEnv({ QNN_REFERENCE_MAX_MEMORY_BYTES: '16' }, async () => {
      await expect(ctx.graph('add').run({ a, b: a })).rejects.toMatchObject({ statusCode: 1002 });
    });
    expect([...(await ctx.graph('add').run({ a, b: a })).out.data]).toEqual([2, 4, 6, 8, 10, 12]);
    // A small blow-up fits the default floor and computes.
    await using small = await qnn.loadContext(encodeReferenceBinary(blowUp(64, 1)));
    const { y } = await small.graph('blowup').run({ x: new Tensor('float32', new Float32Array(64).fill(1), [1, 64]) });
    expect(y.data[0]).toBe(64 * 2 * 2);
  });

  it('rejects with BUFFER_DETACHED when an input or output buffer is transferred while the run is in flight', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    const g = ctx.graph('add');
    await withEnv({ QNN_REFERENCE_EXECUTE_DELAY_MS: '100' }, async () => {
      const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
      const b = f32([2, 3], [1, 1, 1, 1, 1, 1]);
      const running = g.run({ a, b });
      const moved = detach(a.data.buffer); // keeps the memory alive: only the contract is broken
      const err = await running.catch((e) => e);
      expect(err).toMatchObject({ code: 'BUFFER_DETACHED', message: expect.stringContaining('inputs[0] ("a") of graph "add"') });
      expect(moved.byteLength).toBe(24);

      const out = f32([2, 3], [0, 0, 0, 0, 0, 0]);
      const c = f32([2, 3], [1, 2, 3, 4, 5, 6]);
      const running2 = g.run({ a: c, b: c }, { outputs: { out } });
      const movedOut = detach(out.data.buffer);
      await expect(running2).rejects.toMatchObject({ code: 'BUFFER_DETACHED', message: expect.stringContaining('outputs[0] ("out")') });
      expect(movedOut.byteLength).toBe(24);
    });
    // Detached before the call: a buffer of the wrong size (0 bytes), and the message says why.
    const gone = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    detach(gone.data.buffer);
    await expect(g.run({ a: gone, b: gone })).rejects.toMatchObject({ code: 'SIZE_MISMATCH', message: expect.stringContaining('(a detached ArrayBuffer)') });
    expect(() => g.runSync({ a: gone, b: gone })).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
  });
});
