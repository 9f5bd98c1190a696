// Issue 9 (items 4 and 5, mock side): names that are Object.prototype keys are ordinary
// tensor names, and signatures with overflowing dims are refused up front.
import { describe, expect, it } from 'vitest';
import { MockBackend, Tensor, type GraphSignature } from '../../lib/index.js';
import { checkOutputBuffers, checkTensor } from '../../lib/backend/validate.js';

const PROTO: GraphSignature = {
  name: 'proto',
  inputs: [
    { name: 'constructor', dtype: 'float32', dims: [2] },
    { name: 'toString', dtype: 'float32', dims: [2] },
  ],
  outputs: [
    { name: '__proto__', dtype: 'float32', dims: [2] },
    { name: 'constructor', dtype: 'float32', dims: [2] },
  ],
};
const f32 = (values: number[]) => new Tensor('float32', Float32Array.from(values), [2]);

describe('mock backend: Object.prototype names', () => {
  it('returns every output, "__proto__" included, and copies inputs named "constructor" / "toString"', async () => {
    const seen: string[] = [];
    const backend = new MockBackend({
      graphs: {
        proto: (inputs, outputs) => {
          seen.push(...Object.keys(inputs));
          (outputs['__proto__'].data as Float32Array).set([7, 8]);
          return { constructor: f32([1, 1]) };
        },
      },
    });
    const ctx = await backend.loadContext('proto.bin', { graphs: [PROTO] });
    const g = ctx.graph('proto');
    const inputs = { constructor: f32([1, 2]), toString: f32([3, 4]) };
    for (const result of [await g.run(inputs), g.runSync(inputs)]) {
      expect(Object.keys(result)).toEqual(['__proto__', 'constructor']);
      expect([...result['__proto__'].data]).toEqual([7, 8]);
      expect([...(result['constructor'] as Tensor).data]).toEqual([1, 1]);
    }
    expect(seen).toEqual(['constructor', 'toString', 'constructor', 'toString']);
  });

  it('allocates outputs the caller did not give instead of picking up Object.prototype members', async () => {
    const backend = new MockBackend({ graphs: { proto: () => undefined } });
    const ctx = await backend.loadContext('proto.bin', { graphs: [PROTO] });
    const mine = f32([0, 0]);
    const mineOutputs = Object.defineProperty({}, '__proto__', { value: mine, enumerable: true }) as Record<string, Tensor>;
    const r = await ctx.graph('proto').run({ constructor: f32([1, 2]), toString: f32([3, 4]) }, { outputs: mineOutputs });
    expect(r['__proto__']).toBe(mine);
    expect(r['constructor']).toBeInstanceOf(Tensor); // allocated, not Object.prototype.constructor
  });

  it('rejects inputs given as inherited or unknown properties', async () => {
    const backend = new MockBackend();
    const ctx = await backend.loadContext('proto.bin', { graphs: [PROTO] });
    await expect(ctx.graph('proto').run({ valueOf: 5 } as never)).rejects.toMatchObject({ code: 'UNKNOWN_INPUT' });
    await expect(ctx.graph('proto').run(Object.create({ constructor: f32([1, 2]), toString: f32([1, 2]) }))).rejects.toMatchObject({ code: 'MISSING_INPUT' });
  });

  it('ignores latency entries inherited from Object.prototype', async () => {
    const backend = new MockBackend({ latencyMs: {} });
    expect(backend.latencyFor('constructor')).toBe(0);
    expect(backend.latencyFor('toString')).toBe(0);
  });
});

describe('signatures with overflowing dims', () => {
  it('are refused when loaded (ERR_OUT_OF_RANGE naming the dims)', async () => {
    const backend = new MockBackend();
    const graphs: GraphSignature[] = [
      { name: 'g', inputs: [{ name: 'x', dtype: 'float32', dims: [0xffffffff, 0xffffffff, 0xffffffff] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1] }] },
    ];
    await expect(backend.loadContext('g.bin', { graphs })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('options.graphs[0].inputs[0].dims') });
    const wide: GraphSignature[] = [{ name: 'g', inputs: [{ name: 'x', dtype: 'float32', dims: [2 ** 32] }], outputs: [] }];
    await expect(backend.loadContext('g.bin', { graphs: wide })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  it('never match a tensor through a rounded element count (SIZE_MISMATCH)', () => {
    const spec = { name: 'x', dtype: 'uint8' as const, dims: [2 ** 26 + 1, 2 ** 27 + 1] };
    const t = new Tensor('uint8', new Uint8Array(0), [0]);
    expect(() => checkTensor('g', 'input', spec, t, false)).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH', message: expect.stringContaining('overflows') }));
    expect(() => checkOutputBuffers({ name: 'g', inputs: [], outputs: [spec] }, { x: t }, false)).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
  });
});
