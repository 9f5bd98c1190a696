// User code that runs while the native module converts arguments (getters on options,
// graph signatures and buffer arrays): re-entering load, disposing, detaching or resizing
// memory must end in a typed error, never a crash or a double load.
import { expect, it } from 'vitest';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import type { NativeGraph } from '../../lib/native/AddonTypes.js';
import { encodeReferenceBinary } from '../../lib/reference/writer.js';
import { ADD, describeNative, tempDir, writeBinary } from './helpers.js';

const detach = (buffer: ArrayBufferLike): ArrayBuffer => structuredClone(buffer as ArrayBuffer, { transfer: [buffer as ArrayBuffer] });
const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
const Growable = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer;

describeNative('argument conversion that runs user code', () => {
  const addon = loadAddon();
  const { backend, system } = referenceBackendPaths();
  const addPath = writeBinary(tempDir(), 'add.bin', ADD);
  const sig = {
    name: 'add',
    inputs: [
      { name: 'a', dataType: 0x0232, dims: [2, 3] },
      { name: 'b', dataType: 0x0232, dims: [2, 3] },
    ],
    outputs: [{ name: 'out', dataType: 0x0232, dims: [2, 3] }],
  };
  const loadRuntime = async () => {
    const rt = new addon.Runtime();
    await rt.load({ backendPath: backend, systemPath: system });
    return rt;
  };
  const addGraph = async () => {
    const rt = await loadRuntime();
    const ctx = new addon.Context(rt);
    const g = (await ctx.load(addPath)).graphs[0].handle as NativeGraph;
    return { rt, ctx, g };
  };

  it('a getter that re-enters Context#load: the inner call throws, one context is created', async () => {
    const rt = await loadRuntime();
    const ctx = new addon.Context(rt);
    let inner: unknown;
    const graph = { ...sig };
    Object.defineProperty(graph, 'name', {
      get() {
        try {
          void ctx.load(addPath, [sig]);
        } catch (e) {
          inner = e;
        }
        return 'add';
      },
    });
    const result = await ctx.load(addPath, [graph]);
    expect(inner).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('already loaded') });
    expect(result.graphs.map((g) => g.name)).toEqual(['add']);
    expect(() => ctx.load(addPath)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    // A getter that throws leaves the context loadable.
    const ctx2 = new addon.Context(rt);
    const bad = { ...sig };
    Object.defineProperty(bad, 'name', { get: () => { throw new Error('boom'); } });
    expect(() => ctx2.load(addPath, [bad])).toThrow('boom');
    expect((await ctx2.load(addPath)).graphs).toHaveLength(1);
    // A getter that disposes: DISPOSED, and the context is freed.
    const ctx3 = new addon.Context(rt);
    const disposing = { ...sig };
    Object.defineProperty(disposing, 'name', { get: () => (ctx3.dispose(), 'add') });
    expect(() => ctx3.load(addPath, [disposing])).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(ctx3.dispose()).toBe(true);
    ctx.dispose();
    ctx2.dispose();
    rt.dispose();
  });

  it('a getter that re-enters or disposes during Runtime#load', async () => {
    const rt = new addon.Runtime();
    let inner: unknown;
    const info = await rt.load({
      backendPath: backend,
      get systemPath() {
        try {
          void rt.load({ backendPath: backend });
        } catch (e) {
          inner = e;
        }
        return system;
      },
    });
    expect(inner).toMatchObject({ code: 'ERR_INVALID_ARG' });
    expect(info.backendPath).toBe(backend);
    rt.dispose();
    const rt2 = new addon.Runtime();
    expect(() =>
      rt2.load({
        backendPath: backend,
        get systemPath() {
          rt2.dispose();
          return system;
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });

  it('Runtime#dispose while load is in flight rejects with DISPOSED and leaves nothing loaded', async () => {
    const rt = new addon.Runtime();
    const p = rt.load({ backendPath: backend, systemPath: system });
    rt.dispose();
    await expect(p).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(rt.disposed).toBe(true);
    expect(() => new addon.Context(rt)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });

  it('reads every buffer before taking any pointer: a getter detaching an earlier input is caught', async () => {
    const { rt, ctx, g } = await addGraph();
    for (const sync of [true, false]) {
      const a = new Float32Array(6).fill(1);
      const ins = [a, null] as unknown as Float32Array[];
      Object.defineProperty(ins, 1, { get: () => (detach(a.buffer), new Float32Array(6)) });
      const call = () => (sync ? g.runSync(ins, [new Float32Array(6)]) : g.run(ins, [new Float32Array(6)]));
      expect(call).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH', message: expect.stringContaining('inputs[0]') }));
      // …and an output getter detaching an input.
      const b = new Float32Array(6);
      const outs = [] as Float32Array[];
      Object.defineProperty(outs, 0, { get: () => (detach(b.buffer), new Float32Array(6)) });
      const call2 = () => (sync ? g.runSync([new Float32Array(6), b], outs) : g.run([new Float32Array(6), b], outs));
      expect(call2).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH', message: expect.stringContaining('inputs[1]') }));
    }
    // A getter that disposes the context mid-conversion.
    const ins = [new Float32Array(6), null] as unknown as Float32Array[];
    Object.defineProperty(ins, 1, { get: () => (ctx.dispose(), new Float32Array(6)) });
    expect(() => g.runSync(ins, [new Float32Array(6)])).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    rt.dispose();
  });

  it('Context#load reads the graphs before the bytes: a getter detaching them is caught', async () => {
    const rt = await loadRuntime();
    const bytes = encodeReferenceBinary(ADD);
    const graph = { ...sig };
    Object.defineProperty(graph, 'name', { get: () => (detach(bytes.buffer), 'add') });
    const ctx = new addon.Context(rt);
    expect(() => ctx.load(bytes, [graph])).toThrow(expect.objectContaining({ code: 'BINARY_INVALID' }));
    ctx.dispose();
    rt.dispose();
  });

  it('refuses resizable and growable buffers (run, runSync, context bytes)', async () => {
    const { rt, g } = await addGraph();
    const invalid = expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG', message: expect.stringContaining('Expected a fixed-length ArrayBuffer for outputs[0]') });
    const rab = new Resizable(24, { maxByteLength: 48 });
    const gsab = new Growable(24, { maxByteLength: 48 });
    for (const out of [new Float32Array(rab), new Float32Array(rab, 0, 6), rab, new DataView(rab), new Float32Array(gsab), new DataView(gsab)]) {
      expect(() => g.runSync([new Float32Array(6), new Float32Array(6)], [out as Float32Array])).toThrow(invalid);
      expect(() => g.run([new Float32Array(6), new Float32Array(6)], [out as Float32Array])).toThrow(invalid);
    }
    // Spoofing with an own property does not help; fixed-length shared memory is fine.
    Object.defineProperty(rab, 'resizable', { value: false });
    expect(() => g.runSync([new Float32Array(6), new Float32Array(6)], [new Float32Array(rab)])).toThrow(invalid);
    const shared = new Float32Array(new SharedArrayBuffer(24));
    g.runSync([new Float32Array(6).fill(1), new Float32Array(6).fill(2)], [shared]);
    expect([...shared]).toEqual([3, 3, 3, 3, 3, 3]);
    const bytes = encodeReferenceBinary(ADD);
    const rbytes = new Uint8Array(new Resizable(bytes.byteLength, { maxByteLength: bytes.byteLength * 2 }));
    rbytes.set(bytes);
    const ctx = new addon.Context(rt);
    expect(() => ctx.load(rbytes)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('fixed-length') }));
    expect((await ctx.load(bytes)).graphs).toHaveLength(1);
    ctx.dispose();
    rt.dispose();
  });

  it('run/runSync options: absent or an object (a run without options resolves to undefined); anything else is refused by name', async () => {
    const { rt, g } = await addGraph();
    const ins = () => [new Float32Array(6).fill(1), new Float32Array(6).fill(2)];
    const out = new Float32Array(6);
    expect(await g.run(ins(), [out], undefined)).toBeUndefined();
    expect(g.runSync(ins(), [out], {})).toBeUndefined();
    expect(g.runSync(ins(), [out], null as never)).toBeUndefined();
    expect([...out]).toEqual([3, 3, 3, 3, 3, 3]);
    for (const bad of [42, 'fast', [], () => 0, Symbol('x')]) {
      const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('Expected an options object for options') });
      expect(() => g.runSync(ins(), [out], bad as never)).toThrow(invalid);
      expect(() => g.run(ins(), [out], bad as never)).toThrow(invalid);
    }
    rt.dispose();
  });

  it('receivers and parents must be real wraps of the right class (type-tagged), with typed errors', async () => {
    const rt = await loadRuntime();
    const invalid = expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG' });
    expect(() => new addon.Context(Object.create(addon.Runtime.prototype))).toThrow(invalid);
    const pending = Object.getOwnPropertyDescriptor(addon.Context.prototype, 'pendingRuns')!.get!;
    const disposed = Object.getOwnPropertyDescriptor(addon.Runtime.prototype, 'disposed')!.get!;
    expect(() => pending.call({})).toThrow(invalid);
    expect(() => disposed.call(Object.create(addon.Runtime.prototype))).toThrow(invalid);
    // Another class's wrap with a swapped prototype is not accepted either.
    const ctx = new addon.Context(rt);
    Object.setPrototypeOf(ctx, addon.Runtime.prototype);
    expect(() => new addon.Context(ctx as never)).toThrow(invalid);
    const rt2 = new addon.Runtime();
    Object.setPrototypeOf(rt2, addon.Context.prototype);
    expect(() => new addon.Graph(rt2 as never, 0)).toThrow(invalid);
    expect(() => pending.call(rt2)).toThrow(invalid);
    expect(rt.disposed).toBe(false);
    rt.dispose();
  });
});
