import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { loadAddon } from '../../lib/native/binding.js';
import { packMatmulWeight, packedWeightLength } from '../../lib/native/host-matmul.js';
import { matmulF32, matmulJs, matmulWeight } from '../../lib/pipeline/ops/matmul.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { describeNative, runChild } from './helpers.js';
import { seededValues as values } from '../pipeline/fixtures.js';


/** The straightforward triple loop in float64. */
function naive(a: Float32Array, w: Float32Array, bias: Float32Array | null, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0;
      for (let kk = 0; kk < k; kk++) s += a[i * k + kk] * w[kk * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

function maxError(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(x[i] - y[i]));
  return e;
}

async function rejection(p: () => Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describeNative('hostMatmul (native f32 matmul)', () => {
  const hostMatmul = (): NonNullable<ReturnType<typeof loadAddon>['hostMatmul']> => loadAddon().hostMatmul!;
  // Argument errors throw synchronously; as a promise, for expect().rejects.
  const call = async (...args: Parameters<ReturnType<typeof hostMatmul>>): Promise<void> => hostMatmul()(...args);
  const nativeWeight = (w: Float32Array, k: number, n: number) => loadAddon().hostMatmulWeight!(packMatmulWeight(w, k, n), k, n);

  it('equals the naive matmul and the JS fallback on odd shapes, with and without bias, on 1..3 threads', async () => {
    for (const [m, k, n] of [
      [1, 1, 1],
      [5, 7, 3],
      [9, 300, 33],
      [64, 1536, 48],
    ]) {
      const a = values(m * k, m + k);
      const w = values(k * n, n * 7);
      const bias = values(n, 99);
      // PyTorch's [n × k] layout packs to the same panels as its [k × n] transpose.
      const wT = new Float32Array(k * n);
      for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) wT[j * k + kk] = w[kk * n + j];
      expect(packMatmulWeight(wT, k, n, true)).toEqual(packMatmulWeight(w, k, n));
      for (const b of [bias, null]) {
        const ref = naive(a, w, b, m, k, n);
        const js = new Float32Array(m * n);
        matmulJs(a, w, b, js, m, k, n);
        for (const threads of [1, 2, 3]) {
          const out = new Float32Array(m * n).fill(NaN);
          await hostMatmul()(a, nativeWeight(w, k, n), b, out, m, k, n, threads);
          // Summation order differs (blocks, FMA): bounded by k · eps · |terms|.
          const tol = 1e-6 * k + 1e-6;
          expect(maxError(out, ref)).toBeLessThan(tol);
          expect(maxError(out, js)).toBeLessThan(tol);
        }
      }
    }
  });

  it('fuses multiply-add on x86-64 Linux CPUs with AVX2 and FMA', async () => {
    // -1 + (1 + 2^-12)^2 = 2^-11 + 2^-24 exactly with one rounding (FMA); rounding the
    // product first drops the 2^-24 (a tie to even), leaving 2^-11.
    const x = 1 + 2 ** -12;
    const out = new Float32Array(1);
    await hostMatmul()(new Float32Array([1, x]), nativeWeight(new Float32Array([-1, x]), 2, 1), null, out, 1, 2, 1, 1);
    const fused = 2 ** -11 + 2 ** -24;
    const flags = process.platform === 'linux' && process.arch === 'x64' ? (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].split(' ') ?? []) : [];
    if (flags.includes('avx2') && flags.includes('fma')) expect(out[0]).toBe(fused);
    else expect([fused, 2 ** -11]).toContain(out[0]);
  });

  it('refuses every bad argument with a typed error and never crashes', async () => {
    const a = new Float32Array(6);
    const b = loadAddon().hostMatmulWeight!(new Float32Array(packedWeightLength(3, 2)), 3, 2);
    const out = new Float32Array(4);
    const good = [a, b, null, out, 2, 3, 2] as const;
    const junk: unknown[] = [undefined, null, 0, -1, 2.5, NaN, Infinity, '2', {}, [], () => 1, Symbol('x'), 10n, new Float64Array(6), new Uint8Array(24), new DataView(new ArrayBuffer(24)), new ArrayBuffer(24)];
    for (let i = 0; i < 8; i++) {
      for (const v of junk) {
        const args: unknown[] = [...good];
        args[i] = v;
        if (i === 2 && (v === null || v === undefined)) continue; // no bias is allowed
        if (i === 7 && v === undefined) continue; // default threads
        let error: (Error & { code?: string }) | undefined;
        try {
          await (hostMatmul() as unknown as (...x: unknown[]) => Promise<void>)(...args);
        } catch (e) {
          error = e as Error & { code?: string };
        }
        expect(error, `argument ${i} = ${String(v)}`).toBeDefined();
        expect(error instanceof TypeError || error instanceof RangeError || error!.code === 'SIZE_MISMATCH', `${i}: ${error!.message}`).toBe(true);
        expect(typeof error!.code).toBe('string');
        expect(error!.message).toMatch(/^Expected .* (for|but)/);
      }
    }
    // Sizes, overlap, resizable and detached buffers.
    await expect(call(new Float32Array(5), b, null, out, 2, 3, 2)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(call(a, loadAddon().hostMatmulWeight!(new Float32Array(packedWeightLength(3, 3)), 3, 3), null, out, 2, 3, 2)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    // Only a weight hostMatmulWeight made passes, not a look-alike nor a packed array.
    await expect(call(a, { k: 3, n: 2 }, null, out, 2, 3, 2)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(call(a, new Float32Array(packedWeightLength(3, 2)) as never, null, out, 2, 3, 2)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    const makeWeight = loadAddon().hostMatmulWeight!;
    expect(() => makeWeight(new Float32Array(6), 3, 2)).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    for (const [packed, k, n] of [[new Float64Array(32), 2, 2], [null, 2, 2], [new Float32Array(32), 0, 2], [new Float32Array(32), 2, '2'], [new Float32Array(32), 2, 2.5]] as const) {
      expect(() => makeWeight(packed as never, k as never, n as never)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_(INVALID_ARG|OUT_OF_RANGE)$/) }));
    }
    await expect(call(a, b, new Float32Array(3), out, 2, 3, 2)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    // a is copied at the call, so out may overlap it: the product of a's values at the call.
    const shared = new Float32Array([1, 2, 3, 4, 5, 6, 0, 0, 0, 0]);
    const w32 = new Float32Array([1, 0, 0, 1, 1, 1]); // [3 × 2]
    await call(shared.subarray(0, 6), nativeWeight(w32, 3, 2), null, shared.subarray(4, 8), 2, 3, 2);
    expect([...shared.subarray(4, 8)]).toEqual([4, 5, 10, 11]);
    const resizable = new Float32Array(new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(24, { maxByteLength: 48 }));
    await expect(call(resizable, b, null, out, 2, 3, 2)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    const gone = new Float32Array(6);
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    await expect(call(gone, b, null, out, 2, 3, 2)).rejects.toMatchObject({ code: 'BUFFER_DETACHED' });
    await expect(call(a, b, null, out, 2 ** 31, 3, 2)).rejects.toBeInstanceOf(RangeError);
  });

  it('runs off the main thread (timers fire meanwhile) and reports a buffer detached in flight', async () => {
    const [m, k, n] = [512, 1024, 512];
    const a = values(m * k, 1);
    const packed = nativeWeight(values(k * n, 2), k, n);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const out = new Float32Array(m * n);
    await hostMatmul()(a, packed, null, out, m, k, n, 1);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    const out2 = new Float32Array(m * n);
    const p = hostMatmul()(a, packed, null, out2, m, k, n, 1);
    // Transferring pins nothing free: the old buffer's memory moves to the new owner, kept
    // alive here until the matmul settles; the promise must not report success.
    const moved = structuredClone(out2.buffer, { transfer: [out2.buffer] });
    const e = await rejection(() => p);
    expect(e.code).toBe('BUFFER_DETACHED');
    expect(moved.byteLength).toBe(m * n * 4);
  });

  // Transferring a buffer moves its memory to a new owner, which the GC may free while the
  // worker runs: the worker must use only native copies. a, bias and the packed array the
  // weight was made from are copied at the call, so the matmul resolves with the values of
  // the call; out is written when the work is done, so a transferred out rejects.
  it('survives any of its buffers transferred and collected while in flight', async () => {
    for (const which of ['a', 'bias', 'weight', 'out']) {
      const child = await runChild('matmul-transfer.ts', [which]);
      expect({ which, code: child.code, signal: child.signal, stderr: child.stderr }).toEqual({ which, code: 0, signal: null, stderr: '' });
      const result = JSON.parse(child.stdout.trim()) as { outcome: string; code?: string; correct?: boolean };
      if (which === 'out') expect(result).toMatchObject({ outcome: 'rejected', code: 'BUFFER_DETACHED' });
      else expect(result, which).toMatchObject({ outcome: 'resolved', correct: true });
    }
  }, 120_000);

  it('tells V8 what a weight holds: dropped weights are collected without an explicit gc()', async () => {
    // 3,000 dropped 1 MiB weights, the event loop turning as between pipeline loads: without
    // the external-memory hint RSS peaked at ~3.1 GB here, with it at ~70 MB.
    const packed = new Float32Array(packedWeightLength(1024, 256));
    const start = process.memoryUsage().rss;
    let peak = 0;
    for (let i = 0; i < 3000; i++) {
      loadAddon().hostMatmulWeight!(packed, 1024, 256);
      if (i % 10 === 0) {
        await new Promise((r) => setImmediate(r));
        peak = Math.max(peak, process.memoryUsage().rss - start);
      }
    }
    expect(peak).toBeLessThan(1024 * 1024 * 1024);
  }, 60_000);
});

it('matmulF32 gives an empty output for an empty input on both engines', async () => {
  const weight = matmulWeight(new Tensor('float32', values(6, 3), [3, 2]), false);
  for (const engine of ['js', 'native'] as const) {
    const out = new Float32Array(0);
    expect(await matmulF32(new Float32Array(0), weight, null, out, 0, engine)).toBe(engine);
    expect(out.length).toBe(0);
  }
});
