/**
 * The reference backend's math ops for LLM graphs (ElementWiseRsqrt/SquareRoot/Exp/Neg/Sin/
 * Cos, ReduceMean, RmsNorm), end to end: binaries written with the TS writer, loaded and run
 * through the addon, compared with float64 values computed here from the same inputs.
 */
import { describe, expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { QnnStatusError } from '../../lib/errors.js';
import { Prng } from '../../lib/random.js';
import { encodeReferenceBinary, type RefGraphDesc, type RefNodeDesc, type ReferenceBinaryDesc, type RefStaticDesc } from '../../lib/reference/writer.js';
import { halfToNumber, numberToHalf } from '../../lib/tensor/fp16.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { describeNative } from './helpers.js';

const rng = new Prng(20261201);
/** n float32-representable values, uniform in [lo, hi). */
const uniform = (n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * rng.next()));

const f32 = (dims: number[], values: number[]) => new Tensor('float32', Float32Array.from(values), dims);
const oneNode = (name: string, x: { dtype: 'float32' | 'float16'; dims: number[] }, outDims: number[], node: Omit<RefNodeDesc, 'outputs'>, statics: RefStaticDesc[] = []): ReferenceBinaryDesc => ({
  statics,
  graphs: [{ name, inputs: [{ name: 'x', ...x }], outputs: [{ name: 'y', dtype: x.dtype, dims: outDims }], nodes: [{ ...node, outputs: ['y'] }] }],
});

/** Expects |got[i] - want[i]| <= rel·|want[i]| + abs for every i (NaN only where NaN is wanted). */
function expectClose(got: ArrayLike<number>, want: readonly number[], rel: number, abs = 0): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) {
      expect(Number.isNaN(got[i]), `element ${i}: ${got[i]}, expected NaN`).toBe(true);
      continue;
    }
    if (!Number.isFinite(want[i])) {
      expect(got[i], `element ${i}`).toBe(want[i]);
      continue;
    }
    const err = Math.abs(got[i] - want[i]);
    expect(err, `element ${i}: ${got[i]}, expected ${want[i]}`).toBeLessThanOrEqual(rel * Math.abs(want[i]) + abs);
  }
}

/** Mean over `axes` of a row-major tensor, in float64; the result in the kept dims' order. */
function reduceMean(x: readonly number[], dims: readonly number[], axes: readonly number[]): number[] {
  const keptDims = dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const outCount = keptDims.reduce((a, b) => a * b, 1);
  const sums = new Array<number>(outCount).fill(0);
  const count = x.length / outCount;
  for (let flat = 0; flat < x.length; flat++) {
    let rest = flat;
    let o = 0;
    let stride = 1;
    for (let d = dims.length - 1; d >= 0; d--) {
      const idx = rest % dims[d];
      rest = Math.floor(rest / dims[d]);
      if (!axes.includes(d)) o += idx * stride;
      stride *= keptDims[d];
    }
    sums[o] += x[flat];
  }
  return sums.map((s) => s / count);
}

/** RmsNorm over the last `inner` elements of each row, in float64. */
function rmsNorm(x: readonly number[], inner: number, eps: number, gamma: readonly number[], beta?: readonly number[]): number[] {
  const out: number[] = [];
  for (let o = 0; o < x.length; o += inner) {
    const row = x.slice(o, o + inner);
    const rms = Math.sqrt(row.reduce((s, v) => s + v * v, 0) / inner + eps);
    row.forEach((v, k) => out.push((v / rms) * gamma[k] + (beta ? beta[k] : 0)));
  }
  return out;
}

/** Round half to even, as QNN quantization rounds. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d !== 0.5) return Math.round(v);
  return f % 2 === 0 ? f : f + 1;
}

describeNative('reference backend math ops (ElementWiseRsqrt … RmsNorm)', () => {
  it('computes the unary math ops like float64 (rsqrt / sqrt of negatives are NaN)', async () => {
    const x = [...uniform(30, -4, 4), 0, -0, 1, 4, 0.25, -1];
    const cases: [string, (v: number) => number][] = [
      ['ElementWiseRsqrt', (v) => 1 / Math.sqrt(v)],
      ['ElementWiseSquareRoot', Math.sqrt],
      ['ElementWiseExp', Math.exp],
      ['ElementWiseNeg', (v) => -v],
      ['ElementWiseSin', Math.sin],
      ['ElementWiseCos', Math.cos],
    ];
    const graphs: RefGraphDesc[] = cases.map(([op]) => ({
      name: op,
      inputs: [{ name: 'x', dtype: 'float32', dims: [x.length] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [x.length] }],
      nodes: [{ op, inputs: ['x'], outputs: ['y'] }],
    }));
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary({ graphs }));
    for (const [op, fn] of cases) {
      const { y } = await ctx.graph(op).run({ x: f32([x.length], x) });
      // fp32 compute: within 2 ulp of the float64 value
      expectClose(y.data as Float32Array, x.map(fn), 2.4e-7, 1e-37);
    }
    // the IEEE edges, explicitly: x[30..] = 0, -0, 1, 4, 0.25, -1
    const rs = (await ctx.graph('ElementWiseRsqrt').run({ x: f32([x.length], x) })).y.data;
    expect([...rs.slice(30)]).toEqual([Infinity, -Infinity, 1, 0.5, 2, NaN]);
    const sq = (await ctx.graph('ElementWiseSquareRoot').run({ x: f32([x.length], x) })).y.data;
    expect([...sq.slice(30)]).toEqual([0, -0, 1, 2, 0.5, NaN]);
  });

  it('ReduceMean over any set of axes, keep_dims or not, as float64', async () => {
    const dims = [2, 3, 4, 5];
    const x = uniform(120, -10, 10);
    const variants: { axes: number[]; keep: boolean; out: number[]; norm: number[] }[] = [
      { axes: [-1], keep: false, out: [2, 3, 4], norm: [3] },
      { axes: [0, 2], keep: true, out: [1, 3, 1, 5], norm: [0, 2] },
      { axes: [3, 1], keep: false, out: [2, 4], norm: [1, 3] },
      { axes: [0, 1, 2, 3], keep: false, out: [], norm: [0, 1, 2, 3] },
      { axes: [0, 1, 2, 3], keep: false, out: [1], norm: [0, 1, 2, 3] },
      { axes: [-4, -3, -2, -1], keep: true, out: [1, 1, 1, 1], norm: [0, 1, 2, 3] },
    ];
    const graphs: RefGraphDesc[] = variants.map((v, i) => ({
      name: `r${i}`,
      inputs: [{ name: 'x', dtype: 'float32', dims }],
      outputs: [{ name: 'y', dtype: 'float32', dims: v.out }],
      nodes: [{ op: 'ReduceMean', inputs: ['x'], outputs: ['y'], params: { axes: v.axes, ...(v.keep ? { keep_dims: true } : {}) } }],
    }));
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary({ graphs }));
    for (const [i, v] of variants.entries()) {
      const { y } = await ctx.graph(`r${i}`).run({ x: f32(dims, x) });
      expect(y.dims).toEqual(v.out);
      expectClose(y.data as Float32Array, reduceMean(x, dims, v.norm), 1.2e-7, 1e-6);
    }
  });

  it('ReduceMean with quantized input and output: dequantize, mean, round half to even, saturate', async () => {
    const qin = { encoding: 'scale-offset' as const, scale: 0.25, offset: -128 };
    const qout = { encoding: 'scale-offset' as const, scale: 0.5, offset: -200 };
    const desc: ReferenceBinaryDesc = {
      graphs: [
        {
          name: 'q',
          inputs: [{ name: 'x', dtype: 'ufixed8', dims: [16, 4], quant: qin }],
          outputs: [{ name: 'y', dtype: 'ufixed8', dims: [16], quant: qout }],
          nodes: [{ op: 'ReduceMean', inputs: ['x'], outputs: ['y'], params: { axes: [1] } }],
        },
      ],
    };
    const stored = Array.from({ length: 64 }, () => rng.nextUint32() % 256);
    // a saturating row, then ties: mean 0.25 → 0.5 rounds to 0 and mean 0.75 → 1.5 to 2 (even)
    stored.splice(0, 12, 255, 255, 255, 255, 129, 129, 129, 129, 131, 131, 131, 131);
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(desc));
    const g = ctx.graph('q');
    const { y } = await g.run({ x: new Tensor('ufixed8', Uint8Array.from(stored), [16, 4], { quant: g.inputs[0].quant }) });
    const real = stored.map((q) => qin.scale * (q + qin.offset));
    const want = reduceMean(real, [16, 4], [1]).map((m) => Math.min(255, Math.max(0, roundHalfEven(m / qout.scale) - qout.offset)));
    expect([...y.data]).toEqual(want);
    expect(want[0]).toBe(255);
    expect(want.slice(1, 3)).toEqual([200, 202]);
  });

  it('RmsNorm: x / sqrt(mean(x², axes) + eps) · gamma (+ beta), trailing axes, as float64', async () => {
    const dims = [2, 3, 8];
    const x = uniform(48, -3, 3);
    const gamma8 = uniform(8, -2, 2);
    const beta8 = uniform(8, -1, 1);
    const gamma38 = uniform(24, 0.5, 1.5);
    const statics: RefStaticDesc[] = [
      { name: 'g8', dtype: 'float32', dims: [8], data: Float32Array.from(gamma8) },
      { name: 'b8', dtype: 'float32', dims: [8], data: Float32Array.from(beta8) },
      { name: 'g38', dtype: 'float32', dims: [3, 8], data: Float32Array.from(gamma38) },
    ];
    const graph = (name: string, node: Omit<RefNodeDesc, 'outputs'>): RefGraphDesc => ({
      name,
      inputs: [{ name: 'x', dtype: 'float32', dims }],
      outputs: [{ name: 'y', dtype: 'float32', dims }],
      nodes: [{ ...node, outputs: ['y'] }],
    });
    const desc: ReferenceBinaryDesc = {
      statics,
      graphs: [
        graph('default', { op: 'RmsNorm', inputs: ['x', 'g8'] }),
        graph('beta', { op: 'RmsNorm', inputs: ['x', 'g8', 'b8'], params: { epsilon: 0.25, axes: [2] } }),
        graph('two', { op: 'RmsNorm', inputs: ['x', 'g38'], params: { axes: [-1, -2], epsilon: { float: 1e-3 } } }),
        graph('zero-eps', { op: 'RmsNorm', inputs: ['x', 'g8'], params: { epsilon: 0 } }),
      ],
    };
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(desc));
    const input = { x: f32(dims, x) };
    expectClose((await ctx.graph('default').run(input)).y.data as Float32Array, rmsNorm(x, 8, 1e-6, gamma8), 2.4e-7, 1e-12);
    expectClose((await ctx.graph('beta').run(input)).y.data as Float32Array, rmsNorm(x, 8, 0.25, gamma8, beta8), 2.4e-7, 1e-7);
    expectClose((await ctx.graph('two').run(input)).y.data as Float32Array, rmsNorm(x, 24, Math.fround(1e-3), gamma38), 2.4e-7, 1e-12);
    expectClose((await ctx.graph('zero-eps').run(input)).y.data as Float32Array, rmsNorm(x, 8, 0, gamma8), 2.4e-7, 1e-12);
    // epsilon 0 and an all-zero row: 0 / 0 is NaN, as IEEE says
    const zeros = await ctx.graph('zero-eps').run({ x: f32(dims, new Array(48).fill(0)) });
    expect(Number.isNaN(zeros.y.data[0])).toBe(true);
  });

  it('RmsNorm with float16 input, weights and output', async () => {
    const dims = [4, 16];
    const toHalf = (v: number[]) => Uint16Array.from(v.map(numberToHalf));
    const xh = toHalf(uniform(64, -8, 8));
    const gh = toHalf(uniform(16, -2, 2));
    const desc = oneNode('h', { dtype: 'float16', dims }, dims, { op: 'RmsNorm', inputs: ['x', 'g'], params: { epsilon: 1e-5 } }, [{ name: 'g', dtype: 'float16', dims: [16], data: gh }]);
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(desc));
    const { y } = await ctx.graph('h').run({ x: new Tensor('float16', xh, dims) });
    expect(y.dtype).toBe('float16');
    const got = [...(y.data as Uint16Array)].map(halfToNumber);
    const want = rmsNorm([...xh].map(halfToNumber), 16, Math.fround(1e-5), [...gh].map(halfToNumber));
    // one rounding to half: within half an fp16 ulp (2^-11 relative; 2^-25 absolute near 0)
    expectClose(got, want, 2 ** -11 * 1.0001, 2 ** -25);
  });

  it('Exp with quantized (sfixed16) input and float16 output', async () => {
    const quant = { encoding: 'scale-offset' as const, scale: 1 / 4096, offset: 0 };
    const stored = [-32768, -4096, -1, 0, 1, 4096, 8192, 32767];
    const desc: ReferenceBinaryDesc = {
      graphs: [
        {
          name: 'e',
          inputs: [{ name: 'x', dtype: 'sfixed16', dims: [8], quant }],
          outputs: [{ name: 'y', dtype: 'float16', dims: [8] }],
          nodes: [{ op: 'ElementWiseExp', inputs: ['x'], outputs: ['y'] }],
        },
      ],
    };
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(desc));
    const g = ctx.graph('e');
    const { y } = await g.run({ x: new Tensor('sfixed16', Int16Array.from(stored), [8], { quant: g.inputs[0].quant }) });
    const got = [...(y.data as Uint16Array)].map(halfToNumber);
    expectClose(got, stored.map((q) => Math.exp(q / 4096)), 2 ** -11 * 1.0001, 2 ** -25);
  });

  describe('load-time refusals', () => {
    // Each binary is refused by contextCreateFromBinary / the System library's reader (the
    // same validation), with the node and the offending value in the message.
    const x = { dtype: 'float32' as const, dims: [2, 3, 4] };
    const g4 = (dims: number[]): RefStaticDesc[] => [{ name: 'g', dtype: 'float32', dims, fill: 1 }];
    const cases: [string, ReferenceBinaryDesc, RegExp][] = [
      ['ReduceMean axes out of range', oneNode('r', x, [2, 3], { op: 'ReduceMean', inputs: ['x'], params: { axes: [3] } }), /ReduceMean param 'axes' has 3, out of range for rank 3/],
      ['ReduceMean negative axis out of range', oneNode('r', x, [2, 3], { op: 'ReduceMean', inputs: ['x'], params: { axes: [-4] } }), /param 'axes' has -4, out of range for rank 3/],
      ['ReduceMean duplicate axes', oneNode('r', x, [2], { op: 'ReduceMean', inputs: ['x'], params: { axes: [1, -1, 2] } }), /param 'axes' names axis 2 twice/],
      ['ReduceMean without axes', oneNode('r', x, [2, 3], { op: 'ReduceMean', inputs: ['x'] }), /ReduceMean needs an int array param 'axes'/],
      ['ReduceMean empty axes', oneNode('r', x, [2, 3, 4], { op: 'ReduceMean', inputs: ['x'], params: { axes: [] } }), /param 'axes' is empty/],
      ['ReduceMean float axes', oneNode('r', x, [2, 3], { op: 'ReduceMean', inputs: ['x'], params: { axes: [1.5] } }), /param 'axes' must be an int array/],
      ['ReduceMean keep_dims true, output without the kept 1', oneNode('r', x, [2, 3], { op: 'ReduceMean', inputs: ['x'], params: { axes: [2], keep_dims: true } }), /output 'y' has dims \[2, 3\], expected \[2, 3, 1\] \(input \[2, 3, 4\], keep_dims true\)/],
      ['ReduceMean keep_dims false, output with a kept 1', oneNode('r', x, [2, 3, 1], { op: 'ReduceMean', inputs: ['x'], params: { axes: [2] } }), /expected \[2, 3\] \(input \[2, 3, 4\], keep_dims false\)/],
      ['ReduceMean keep_dims not a bool', oneNode('r', x, [2, 3], { op: 'ReduceMean', inputs: ['x'], params: { axes: [2], keep_dims: [1] } }), /param 'keep_dims' must be a bool/],
      ['RmsNorm gamma shape wrong', oneNode('n', x, [2, 3, 4], { op: 'RmsNorm', inputs: ['x', 'g'] }, g4([3])), /RmsNorm gamma 'g' has dims \[3\], expected the normalized dims \[4\]/],
      ['RmsNorm gamma of the wrong axes', oneNode('n', x, [2, 3, 4], { op: 'RmsNorm', inputs: ['x', 'g'], params: { axes: [1, 2] } }, g4([4])), /gamma 'g' has dims \[4\], expected the normalized dims \[3, 4\]/],
      ['RmsNorm beta shape wrong', oneNode('n', x, [2, 3, 4], { op: 'RmsNorm', inputs: ['x', 'g', 'b'] }, [...g4([4]), { name: 'b', dtype: 'float32', dims: [1, 4], fill: 0 }]), /RmsNorm beta 'b' has dims \[1, 4\], expected the normalized dims \[4\]/],
      ['RmsNorm axes not trailing', oneNode('n', x, [2, 3, 4], { op: 'RmsNorm', inputs: ['x', 'g'], params: { axes: [1] } }, g4([3])), /RmsNorm param 'axes' must be the trailing axes of the rank-3 input/],
      ['RmsNorm axes out of range', oneNode('n', x, [2, 3, 4], { op: 'RmsNorm', inputs: ['x', 'g'], params: { axes: [3] } }, g4([4])), /RmsNorm param 'axes' has 3, out of range for rank 3/],
      ['RmsNorm duplicate axes', oneNode('n', x, [2, 3, 4], { op: 'RmsNorm', inputs: ['x', 'g'], params: { axes: [2, -1] } }, g4([4])), /param 'axes' names axis 2 twice/],
      ['RmsNorm negative epsilon', oneNode('n', x, [2, 3, 4], { op: 'RmsNorm', inputs: ['x', 'g'], params: { epsilon: -1e-6 } }, g4([4])), /param 'epsilon' must be finite and >= 0/],
      ['RmsNorm infinite epsilon', oneNode('n', x, [2, 3, 4], { op: 'RmsNorm', inputs: ['x', 'g'], params: { epsilon: { float: 1e39 } } }, g4([4])), /param 'epsilon' must be finite and >= 0, got inf/],
      ['RmsNorm without gamma', oneNode('n', x, [2, 3, 4], { op: 'RmsNorm', inputs: ['x'] }), /RmsNorm takes 2\.\.3 inputs and 1 output\(s\), got 1 and 1/],
      ['RmsNorm output dims', oneNode('n', x, [2, 12], { op: 'RmsNorm', inputs: ['x', 'g'] }, g4([4])), /RmsNorm needs 'y' \[2, 12\] to have the dims of 'x' \[2, 3, 4\]/],
      ['Rsqrt output dims', oneNode('u', x, [24], { op: 'ElementWiseRsqrt', inputs: ['x'] }), /ElementWiseRsqrt needs 'y' \[24\] to have the dims of 'x'/],
      ['Exp with two inputs', oneNode('u', x, [2, 3, 4], { op: 'ElementWiseExp', inputs: ['x', 'x'] }), /ElementWiseExp takes 1 inputs and 1 output\(s\), got 2 and 1/],
    ];
    for (const [what, desc, message] of cases) {
      it(`refuses ${what}`, async () => {
        await using qnn = await Qnn.load({ backend: 'reference', system: false });
        const graph = desc.graphs[0];
        const err = await qnn.loadContext(encodeReferenceBinary(desc), { graphs: [{ name: graph.name, inputs: [], outputs: [] }] }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(QnnStatusError);
        expect((err as QnnStatusError).statusCode).toBe(5005);
        expect((err as QnnStatusError).statusName).toBe('QNN_CONTEXT_ERROR_CREATE_FROM_BINARY');
        expect((err as QnnStatusError).backendMessage).toMatch(message);
        expect((err as QnnStatusError).backendMessage).toContain(`graph '${graph.name}' node '`);
      });
    }
  });
});
