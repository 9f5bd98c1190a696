/** Binary sections and adapters on the mock backend: accepted, recorded, ordered against runs. */
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../../lib/backend/mock/MockBackend.js';
import { Tensor } from '../../lib/tensor/Tensor.js';

const sig = { name: 'g', inputs: [{ name: 'x', dtype: 'float32' as const, dims: [2] }], outputs: [{ name: 'y', dtype: 'float32' as const, dims: [2] }] };
const x = (): Tensor => new Tensor('float32', [1, 2], [2]);

describe('mock backend: binary sections and adapters', () => {
  it('records applies and the adapter each run saw; a switch waits for runs in flight, later runs see it', async () => {
    const seen: (string | null)[] = [];
    const backend = new MockBackend({ latencyMs: 20, graphs: { g: (_i, _o, call) => void seen.push(call.adapter) } });
    await using ctx = await backend.loadContext(new Uint8Array(4), { graphs: [sig] });
    ctx.loadAdapter('base', new Uint8Array(3), { base: true });
    ctx.loadAdapter('fr', new Uint8Array(5), { graph: 'g' });
    const r0 = ctx.graph('g').run({ x: x() });
    const s = ctx.useAdapter('fr');
    const r1 = ctx.graph('g').run({ x: x() });
    await Promise.all([r0, s, r1]);
    expect(seen).toEqual([null, 'fr']);
    expect(await ctx.useAdapter('fr')).toEqual({ adapter: 'fr', applied: false });
    await ctx.useAdapter(null);
    const applied = await ctx.applyBinarySection(new Uint8Array(7));
    expect(applied).toEqual({ applyMs: 0, sectionBytes: 7, mapped: false, retained: false });
    expect(backend.sectionLog).toEqual([
      { context: expect.stringContaining('Uint8Array'), graph: 'g', adapter: 'fr', sectionBytes: 5 },
      { context: expect.stringContaining('Uint8Array'), adapter: null, sectionBytes: 3 },
      { context: expect.stringContaining('Uint8Array'), sectionBytes: 7 },
    ]);
  });

  it('refuses like the QNN backend: bad sources, unknown graphs and adapters, no base, missing files', async () => {
    const backend = new MockBackend();
    await using ctx = await backend.loadContext(new Uint8Array(4), { graphs: [sig] });
    await expect(ctx.applyBinarySection(new Uint8Array(0))).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(ctx.applyBinarySection(new Uint8Array(2), { graph: 'h' })).rejects.toMatchObject({ code: 'UNKNOWN_GRAPH' });
    await expect(ctx.applyBinarySection('/nonexistent/section.bin')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(ctx.useAdapter('fr')).rejects.toMatchObject({ code: 'UNKNOWN_ADAPTER' });
    ctx.loadAdapter('fr', new Uint8Array(2));
    await ctx.useAdapter('fr');
    await expect(ctx.useAdapter(null)).rejects.toMatchObject({ code: 'NO_BASE_ADAPTER' });
    expect(() => ctx.loadAdapter('fr', new Uint8Array(2))).toThrow(/not in effect/);
    await ctx.dispose();
    await expect(ctx.applyBinarySection(new Uint8Array(2))).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});
