/**
 * Binary sections (contextApplyBinarySection, core API 2.18+) and adapters on the
 * reference backend: results follow the applied weights, switches apply only on change
 * and are ordered against runs, older cores and NULL slots are refused, bad sections are
 * typed errors that leave the context as it was.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { QnnNodeError, QnnStatusError } from '../../lib/errors.js';
import { decodeReferenceSection, encodeReferenceSection } from '../../lib/reference/section.js';
import { encodeReferenceBinary, planReferenceBinary, type ReferenceBinaryDesc } from '../../lib/reference/writer.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { W, describeNative, matmul, tempDir, withEnv } from './helpers.js';
import { withJournal } from './journal.js';

const ZERO = new Float32Array(16);
const D1 = Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1);
const D2 = Float32Array.from({ length: 16 }, (_, i) => (i === 5 ? 10 : 0));

/** decode: y = x·w + x·delta (delta updatable, zero in the binary); plain: y = x·w. */
function loraDesc(description = 'lora'): ReferenceBinaryDesc {
  return {
    description,
    statics: [
      { name: 'w', dtype: 'float32', dims: [4, 4], data: W },
      { name: 'delta', dtype: 'float32', dims: [4, 4], data: ZERO, updatable: true },
      { name: 'bias', dtype: 'float32', dims: [1, 4], data: new Float32Array(4) },
    ],
    graphs: [
      {
        name: 'decode',
        inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
        tensors: [
          { name: 'a', dtype: 'float32', dims: [1, 4] },
          { name: 'b', dtype: 'float32', dims: [1, 4] },
        ],
        nodes: [
          { op: 'MatMul', inputs: ['x', 'w'], outputs: ['a'] },
          { op: 'MatMul', inputs: ['x', 'delta'], outputs: ['b'] },
          { op: 'ElementWiseAdd', inputs: ['a', 'b'], outputs: ['y'] },
        ],
      },
      {
        name: 'plain',
        inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
        tensors: [{ name: 'c', dtype: 'float32', dims: [1, 4] }],
        nodes: [
          { op: 'MatMul', inputs: ['x', 'w'], outputs: ['c'] },
          { op: 'ElementWiseAdd', inputs: ['c', 'bias'], outputs: ['y'] },
        ],
      },
    ],
  };
}

const x = Float32Array.from([0.5, -1, 2, 3]);
const sum = (a: Float32Array, b: Float32Array): Float32Array => a.map((v, i) => v + b[i]);
const expectFor = (delta: Float32Array): Float32Array => matmul(x, sum(W, delta), 1, 4, 4);

describeNative('binary sections and adapters (reference backend)', () => {
  const dir = tempDir();
  const desc = loraDesc();
  const binary = encodeReferenceBinary(desc);
  const layout = planReferenceBinary(desc);
  const binPath = path.join(dir, 'lora.bin');
  writeFileSync(binPath, binary);
  const section = (data: Float32Array, graph?: string): Uint8Array =>
    encodeReferenceSection({ binary: layout, ...(graph ? { graph } : {}), tensors: { delta: { dtype: 'float32', data } } });
  const d1Path = path.join(dir, 'd1.sec');
  writeFileSync(d1Path, section(D1));

  async function decode(ctx: { graph(n: string): { run(i: Record<string, Tensor>): Promise<Record<string, Tensor>> } }): Promise<Float32Array> {
    const { y } = await ctx.graph('decode').run({ x: new Tensor('float32', x, [1, 4]) });
    return y.data as Float32Array;
  }
  const close = (got: Float32Array, want: Float32Array): void => got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));

  it('a section changes the results to its weights; the journal records graph, size and tensors', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(binPath);
      close(await decode(ctx), expectFor(ZERO));
      const r = await ctx.applyBinarySection(d1Path);
      expect(r).toMatchObject({ mapped: true, retained: true, sectionBytes: readFileSync(d1Path).length });
      close(await decode(ctx), expectFor(D1));
      const bytes = section(D2);
      const r2 = await ctx.applyBinarySection(bytes);
      expect(r2).toMatchObject({ mapped: false, sectionBytes: bytes.length });
      close(await decode(ctx), expectFor(D2));
      const entries = j.entries('contextApplyBinarySection');
      expect(entries).toEqual([
        { call: 'contextApplyBinarySection', graph: '', sectionType: 1, sectionBytes: readFileSync(d1Path).length, tensors: ['delta'], zeroCopy: true, ok: true },
        { call: 'contextApplyBinarySection', graph: '', sectionType: 1, sectionBytes: bytes.length, tensors: ['delta'], zeroCopy: true, ok: true },
      ]);
    });
  });

  it('adapters: results follow the adapter and come back with the base; a switch applies only on a change', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(binPath);
      ctx.loadAdapter('base', section(ZERO), { base: true });
      ctx.loadAdapter('d1', d1Path);
      ctx.loadAdapter('d2', section(D2));
      expect(ctx.activeAdapter).toBe(null);
      expect(await ctx.useAdapter(null)).toEqual({ adapter: null, applied: false });
      const s1 = await ctx.useAdapter('d1');
      expect(s1).toMatchObject({ adapter: 'd1', applied: true });
      close(await decode(ctx), expectFor(D1));
      expect(await ctx.useAdapter('d1')).toEqual({ adapter: 'd1', applied: false });
      await ctx.useAdapter('d2');
      close(await decode(ctx), expectFor(D2));
      await ctx.useAdapter(null);
      expect(ctx.activeAdapter).toBe(null);
      close(await decode(ctx), expectFor(ZERO));
      // d1, d2, base: three applies for six requests.
      expect(j.entries('contextApplyBinarySection')).toHaveLength(3);
    });
  });

  it('a switch waits for the runs in flight; runs requested after it see the new weights (call order)', async () => {
    await withEnv({ QNN_REFERENCE_EXECUTE_DELAY_MS: '40' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(binPath);
      ctx.loadAdapter('d1', d1Path);
      ctx.loadAdapter('d2', section(D2));
      const order: string[] = [];
      const run = (tag: string): Promise<Float32Array> => decode(ctx).then((y) => (order.push(tag), y));
      const r0 = run('run0');
      const r0b = run('run0b');
      const s1 = ctx.useAdapter('d1').then((s) => (order.push('switch d1'), s));
      const r1 = run('run1');
      const s2 = ctx.useAdapter('d2').then((s) => (order.push('switch d2'), s));
      const r2 = run('run2');
      const [y0, y0b, , y1, , y2] = await Promise.all([r0, r0b, s1, r1, s2, r2]);
      close(y0, expectFor(ZERO));
      close(y0b, expectFor(ZERO));
      close(y1, expectFor(D1));
      close(y2, expectFor(D2));
      expect(order).toEqual(['run0', 'run0b', 'switch d1', 'run1', 'switch d2', 'run2']);
    });
  });

  it('useAdapter(null) without a base adapter is NO_BASE_ADAPTER; unknown names are UNKNOWN_ADAPTER', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(binPath);
    ctx.loadAdapter('d1', d1Path);
    await ctx.useAdapter('d1');
    const noBase = await ctx.useAdapter(null).catch((e) => e);
    expect(noBase).toBeInstanceOf(QnnNodeError);
    expect(noBase.code).toBe('NO_BASE_ADAPTER');
    const unknown = await ctx.useAdapter('fr').catch((e) => e);
    expect(unknown.code).toBe('UNKNOWN_ADAPTER');
    expect(unknown.message).toContain('"d1"');
    expect(() => ctx.loadAdapter('', d1Path)).toThrow(/non-empty adapter name/);
    expect(() => ctx.loadAdapter('x', new Uint8Array(0))).toThrow(/non-empty binary section/);
    expect(() => ctx.loadAdapter('x', d1Path, { graph: 'nope' })).toThrow(/No graph "nope"/);
    expect(ctx.activeAdapter).toBe('d1');
  });

  it('readBinarySection captures the base weights and reads back what was applied', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(binary);
    const base = await ctx.readBinarySection();
    expect(decodeReferenceSection(base).tensors.delta.data).toEqual(new Uint8Array(ZERO.buffer));
    ctx.loadAdapter('base', base, { base: true });
    ctx.loadAdapter('d2', section(D2));
    await ctx.useAdapter('d2');
    const now = decodeReferenceSection(await ctx.readBinarySection({ graph: 'decode' }));
    expect(now.graph).toBe('decode');
    expect(new Float32Array(now.tensors.delta.data.slice().buffer)).toEqual(D2);
    await ctx.useAdapter(null);
    close(await decode(ctx), expectFor(ZERO));
    // plain does not use an updatable tensor: nothing to read.
    const none = await ctx.readBinarySection({ graph: 'plain' }).catch((e) => e);
    expect(none).toBeInstanceOf(QnnStatusError);
    expect(none.apiFunction).toBe('contextGetBinarySectionSize');
  });

  it('graph sections apply to their graph only', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(binPath);
    await ctx.applyBinarySection(section(D1, 'decode'), { graph: 'decode' });
    close(await decode(ctx), expectFor(D1));
    const cases: [Uint8Array, string | undefined, RegExp][] = [
      [section(D2, 'decode'), undefined, /section is for graph 'decode' but no graph handle was given/],
      [section(D2), 'decode', /covers the whole context but was applied to graph 'decode'/],
      [section(D2, 'decode'), 'plain', /section is for graph 'decode' but was applied to graph 'plain'/],
      [section(D2, 'plain'), 'plain', /'delta': not used by graph 'plain'/],
    ];
    for (const [bytes, graph, message] of cases) {
      const e = await ctx.applyBinarySection(bytes, graph ? { graph } : {}).catch((err) => err);
      expect(e, String(message)).toBeInstanceOf(QnnStatusError);
      expect(e.apiFunction).toBe('contextApplyBinarySection');
      expect(e.message).toMatch(message);
    }
    close(await decode(ctx), expectFor(D1));
  });

  it('bad sections are typed errors naming the problem, and the context keeps its weights', async () => {
    const other = planReferenceBinary(loraDesc('another model'));
    const good = section(D1);
    const truncated = good.subarray(0, good.length - 10);
    const flipped = good.slice();
    flipped[flipped.length - 1] ^= 0xff;
    const cases: [string, Uint8Array, RegExp][] = [
      ['unknown tensor', encodeReferenceSection({ binary: layout, tensors: { nope: { dtype: 'float32', data: D1 } } }), /'nope': no tensor of that name/],
      ['wrong dtype', encodeReferenceSection({ binary: layout, tensors: { delta: { dtype: 'int32', data: new Int32Array(16) } } }), /'delta': dataType int32/],
      ['wrong size', encodeReferenceSection({ binary: layout, tensors: { delta: { dtype: 'float32', data: new Float32Array(8) } } }), /'delta': 32 bytes of data, the tensor has 64/],
      ['not updatable', encodeReferenceSection({ binary: layout, tensors: { w: { dtype: 'float32', data: D1 } } }), /'w': the binary does not mark it updatable/],
      ['another binary', encodeReferenceSection({ binary: other, tensors: { delta: { dtype: 'float32', data: D1 } } }), /made for another binary/],
      ['truncated', truncated, /section size mismatch/],
      ['corrupted', flipped, /checksum mismatch/],
      ['not a section', binary, /not a reference-backend binary section/],
    ];
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(binPath);
      await ctx.applyBinarySection(section(D2));
      for (const [name, bytes, message] of cases) {
        const e = await ctx.applyBinarySection(bytes).catch((err) => err);
        expect(e, name).toBeInstanceOf(QnnStatusError);
        expect(e.code, name).toBe('QNN_ERROR');
        expect(e.statusCode, name).toBe(5000);
        expect(e.message, name).toMatch(message);
        close(await decode(ctx), expectFor(D2));
      }
      const failed = j.entries('contextApplyBinarySection').filter((e) => e.ok === false);
      expect(failed).toHaveLength(cases.length);
      expect(failed[0]).toMatchObject({ graph: '', tensors: [], error: expect.stringContaining("'nope'") });
    });
  });

  it('argument errors: empty or detached sources, unknown graphs, a missing file', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(binPath);
    await expect(ctx.applyBinarySection('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(ctx.applyBinarySection(new Uint8Array(0))).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(ctx.applyBinarySection(42 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(ctx.applyBinarySection(d1Path, { graph: 'nope' })).rejects.toMatchObject({ code: 'UNKNOWN_GRAPH' });
    await expect(ctx.applyBinarySection(d1Path, { timeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(ctx.applyBinarySection(path.join(dir, 'missing.sec'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    const detached = section(D1);
    structuredClone(detached.buffer, { transfer: [detached.buffer as ArrayBuffer] });
    await expect(ctx.applyBinarySection(detached)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    const ac = new AbortController();
    ac.abort();
    await expect(ctx.applyBinarySection(d1Path, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    close(await decode(ctx), expectFor(ZERO));
  });

  it('a section applied to a persistent context stays mapped until dispose (the file may go away)', async () => {
    const tmp = path.join(dir, 'gone.sec');
    writeFileSync(tmp, section(D1));
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(binPath);
    expect(ctx.info.persistentBinary).toBe(true);
    const r = await ctx.applyBinarySection(tmp);
    expect(r.retained).toBe(true);
    unlinkSync(tmp);
    close(await decode(ctx), expectFor(D1));
    // A copying context (bytes, default) lets the section go after the call.
    await using copied = await qnn.loadContext(binary);
    expect((await copied.applyBinarySection(section(D1))).retained).toBe(false);
    close(await decode(copied), expectFor(D1));
  });

  it('timeoutMs gives up on a slow apply (it finishes in its thread); an apply queued behind runs is skipped when given up', async () => {
    await withEnv({ QNN_REFERENCE_DELAY_MS: 'contextApplyBinarySection=300' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(binPath);
      const e = await ctx.applyBinarySection(section(D1), { timeoutMs: 50 }).catch((err) => err);
      expect(e.code).toBe('TIMEOUT');
      // Runs requested meanwhile wait for the apply still in the backend, then see its weights.
      close(await decode(ctx), expectFor(D1));
    });
    await withEnv({ QNN_REFERENCE_EXECUTE_DELAY_MS: '200' }, async () => {
      await withJournal(dir, async (j) => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        await using ctx = await qnn.loadContext(binPath);
        ctx.loadAdapter('d2', section(D2));
        const running = decode(ctx);
        const ac = new AbortController();
        const sw = ctx.useAdapter('d2', { signal: ac.signal }).catch((err) => err);
        ac.abort();
        expect((await sw).code).toBe('ABORTED');
        close(await running, expectFor(ZERO));
        close(await decode(ctx), expectFor(ZERO));
        expect(ctx.activeAdapter).toBe(null);
        expect(j.entries('contextApplyBinarySection')).toEqual([]);
      });
    });
  });

  it('dispose while an apply is in the backend waits for it; later calls are DISPOSED', async () => {
    await withEnv({ QNN_REFERENCE_DELAY_MS: 'contextApplyBinarySection=100' }, async () => {
      const qnn = await Qnn.load({ backend: 'reference' });
      const ctx = await qnn.loadContext(binPath);
      const applying = ctx.applyBinarySection(section(D1));
      await new Promise((r) => setTimeout(r, 20));
      await ctx.dispose();
      await applying;
      await expect(ctx.applyBinarySection(section(D1))).rejects.toMatchObject({ code: 'DISPOSED' });
      expect(() => ctx.loadAdapter('x', d1Path)).toThrow(/disposed/);
      await qnn.dispose();
    });
  });

  for (const core of ['2.14.0', '2.17.0']) {
    it(`core API ${core} has no binary sections: UNSUPPORTED_FEATURE naming the function and the version`, async () => {
      await withEnv({ QNN_REFERENCE_API_VERSION: `core=${core},system=1.3.0,backend=5.24.0` }, async () => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        await using ctx = await qnn.loadContext(binPath);
        const e = await ctx.applyBinarySection(d1Path).catch((err) => err);
        expect(e).toBeInstanceOf(QnnNodeError);
        expect(e.code).toBe('UNSUPPORTED_FEATURE');
        expect(e.message).toContain('contextApplyBinarySection');
        expect(e.message).toContain(`core API ${core}`);
        expect(e.details).toMatchObject({ function: 'contextApplyBinarySection', coreApiVersion: core, minimumCoreApi: '2.18.0' });
        expect(() => ctx.loadAdapter('d1', d1Path)).toThrow(/core API/);
        close(await decode(ctx), expectFor(ZERO));
      });
    });
  }

  it('a 2.18+ backend that leaves slot 61 NULL: UNSUPPORTED_FEATURE from the native check', async () => {
    await withEnv({ QNN_REFERENCE_NULL_SLOTS: '59,60,61', QNN_REFERENCE_API_VERSION: 'core=2.18.0,system=1.3.0,backend=5.25.0' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(binPath);
      const e = await ctx.applyBinarySection(d1Path).catch((err) => err);
      expect(e.code).toBe('UNSUPPORTED_FEATURE');
      expect(e.message).toMatch(/contextApplyBinarySection is not available: the backend reports core API 2\.18\.0 but leaves its slot \(61\) NULL/);
      const r = await ctx.readBinarySection().catch((err) => err);
      expect(r.code).toBe('UNSUPPORTED_FEATURE');
      expect(r.message).toContain('contextGetBinarySectionSize');
    });
  });
});
