import { describe, expect, it } from 'vitest';
import { Tensor } from '../../lib/index.js';
import { halfToNumber } from '../../lib/tensor/fp16.js';
import { failure, manifest, useManifestFolder } from './echo-pipeline.js';

const folder = useManifestFolder();

/*
 * Independent references, written from the Hugging Face code (not from lib/): plain float64
 * rope; M-RoPE as `apply_interleaved_mrope` (Qwen3-VL) and the chunked split (Qwen2-VL);
 * get_rope_index's position layout built chunk by chunk.
 */
function refAngles(rows: number[][], headDim: number, theta: number, sections?: number[], interleaved = false): number[][] {
  const half = headDim / 2;
  const inv = Array.from({ length: half }, (_, j) => 1 / theta ** ((2 * j) / headDim));
  const n = rows[0].length;
  const freqs = rows.map((row) => row.map((p) => inv.map((f) => p * f))); // [rows][n][half]
  if (rows.length === 1) return freqs[0];
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    if (interleaved) {
      const t = [...freqs[0][i]];
      for (const [dim, offset] of [
        [1, 1],
        [2, 2],
      ]) {
        for (let j = offset; j < sections![dim] * 3; j += 3) t[j] = freqs[dim][i][j];
      }
      out.push(t);
    } else {
      const t: number[] = [];
      let j = 0;
      sections!.forEach((len, k) => {
        for (let e = 0; e < len; e++, j++) t.push(freqs[k][i][j]);
      });
      out.push(t);
    }
  }
  return out;
}

function refLayout(prefix: number, gh: number, gw: number, suffix: number): { rows: number[][]; next: number } {
  const chunks: number[][][] = [];
  const maxOf = (c: number[][]): number => Math.max(...c.flat());
  let st = 0;
  chunks.push([0, 1, 2].map(() => Array.from({ length: prefix }, (_, i) => i)));
  st = prefix;
  const t: number[] = [];
  const h: number[] = [];
  const w: number[] = [];
  for (let r = 0; r < gh; r++) for (let c = 0; c < gw; c++) (t.push(st), h.push(st + r), w.push(st + c));
  chunks.push([t, h, w]);
  const st2 = maxOf(chunks[1]) + 1;
  chunks.push([0, 1, 2].map(() => Array.from({ length: suffix }, (_, i) => st2 + i)));
  const rows = [0, 1, 2].map((k) => chunks.flatMap((c) => c[k]));
  return { rows, next: Math.max(...rows.flat()) + 1 };
}

async function runSteps(steps: unknown[], outputs: Record<string, string>, inputs: Record<string, Tensor> = {}): Promise<Record<string, unknown>> {
  const declared = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { type: 'tensor', dtype: t.dtype, shape: t.dims }]));
  const p = await folder.load(manifest(steps, { outputs, inputs: declared }));
  return (await p.run(inputs as never)).outputs as Record<string, unknown>;
}

const floats = (t: Tensor): number[] => (t.dtype === 'float16' ? [...(t.data as Uint16Array)].map(halfToNumber) : [...(t.data as Float32Array)]);

describe('rope_table', () => {
  it('matches float64 rope for a range of positions (half width, fp32) and fp16 duplicated tables', async () => {
    const out = await runSteps(
      [
        { op: 'rope_table', inputs: { positions: 300 }, length: 20, headDim: 128, theta: 5000000, outputs: { cos: 'c', sin: 's' } },
        { op: 'rope_table', inputs: { positions: 0 }, length: 3, headDim: 16, theta: 10000, dtype: 'float16', duplicate: true, outputs: { cos: 'c2', sin: 's2' } },
      ],
      { c: 'c', s: 's', c2: 'c2', s2: 's2' },
    );
    const c = out.c as Tensor;
    expect(c.dims).toEqual([1, 20, 64]);
    const ref = refAngles([Array.from({ length: 20 }, (_, i) => 300 + i)], 128, 5000000);
    const cv = floats(c);
    const sv = floats(out.s as Tensor);
    let max = 0;
    for (let i = 0; i < 20; i++) for (let j = 0; j < 64; j++) max = Math.max(max, Math.abs(cv[i * 64 + j] - Math.cos(ref[i][j])), Math.abs(sv[i * 64 + j] - Math.sin(ref[i][j])));
    expect(max).toBeLessThan(1e-4); // float32 angles (as HF) vs float64: |angle| ≤ 320 → error ≤ ~2e-5
    const c2 = out.c2 as Tensor;
    expect([c2.dtype, ...c2.dims]).toEqual(['float16', 1, 3, 16]);
    const ref2 = refAngles([[0, 1, 2]], 16, 10000);
    const c2v = floats(c2);
    const s2v = floats(out.s2 as Tensor);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 16; j++) {
        expect(Math.abs(c2v[i * 16 + j] - Math.cos(ref2[i][j % 8]))).toBeLessThan(1e-3);
        expect(Math.abs(s2v[i * 16 + j] - Math.sin(ref2[i][j % 8]))).toBeLessThan(1e-3);
      }
    }
  });

  it('takes positions from an int tensor, and multimodal t/h/w rows interleaved (Qwen3-VL) or chunked (Qwen2-VL)', async () => {
    const layout = refLayout(3, 4, 5, 2);
    const n = layout.rows[0].length;
    const pos3 = Tensor.zeros('int32', [3, 1, n]);
    (pos3.data as Int32Array).set(layout.rows.flat());
    const out = await runSteps(
      [
        { op: 'rope_table', inputs: { positions: 'p' }, headDim: 128, theta: 5000000, sections: [24, 20, 20], interleaved: true, outputs: { cos: 'ci', sin: 'si' } },
        { op: 'rope_table', inputs: { positions: 'p' }, headDim: 128, theta: 1000000, sections: [16, 24, 24], outputs: { cos: 'cc', sin: 'sc' } },
      ],
      { ci: 'ci', si: 'si', cc: 'cc', sc: 'sc' },
      { p: pos3 },
    );
    for (const [c, s, theta, sections, inter] of [
      [out.ci, out.si, 5000000, [24, 20, 20], true],
      [out.cc, out.sc, 1000000, [16, 24, 24], false],
    ] as const) {
      const ref = refAngles(layout.rows, 128, theta, [...sections], inter);
      const cv = floats(c as Tensor);
      const sv = floats(s as Tensor);
      expect((c as Tensor).dims).toEqual([1, n, 64]);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < 64; j++) {
          expect(Math.abs(cv[i * 64 + j] - Math.cos(ref[i][j]))).toBeLessThan(1e-4);
          expect(Math.abs(sv[i * 64 + j] - Math.sin(ref[i][j]))).toBeLessThan(1e-4);
        }
      }
    }
  });

  it('refuses bad params and inputs with typed errors', async () => {
    const bad = [
      [{ op: 'rope_table', inputs: { positions: 0 }, length: 2, headDim: 7, outputs: { cos: 'c', sin: 's' } }, 'MANIFEST_INVALID'],
      [{ op: 'rope_table', inputs: { positions: 0 }, length: 2, headDim: 8, dtype: 'int32', outputs: { cos: 'c', sin: 's' } }, 'MANIFEST_INVALID'],
      [{ op: 'rope_table', inputs: { positions: 0 }, length: 2, headDim: 8, sections: [1, 1], outputs: { cos: 'c', sin: 's' } }, 'MANIFEST_INVALID'],
      [{ op: 'rope_table', inputs: { positions: 0 }, length: 2, headDim: 8, outputs: { cos: 'c' } }, 'MANIFEST_INVALID'],
    ] as const;
    for (const [step, code] of bad) await expect(folder.load(manifest([step]))).rejects.toMatchObject({ code });
    // Sections that do not sum to headDim/2: caught at load.
    const sum = await failure(folder.load(manifest([{ op: 'rope_table', inputs: { positions: 0 }, length: 2, headDim: 8, sections: [1, 1, 1], outputs: { cos: 'c', sin: 's' } }])));
    expect(sum.code).toBe('MANIFEST_INVALID');
    expect(sum.message).toMatch(/sections/);
    // A float tensor of positions, three rows without sections, a negative start: at run.
    const sources = [
      { op: 'fill', output: 'p', value: 1, dtype: 'float32', dims: [1, 2] },
      { op: 'fill', output: 'p', value: 1, dtype: 'int32', dims: [3, 1, 2] },
      { op: 'set', value: -1, output: 'p' },
      { op: 'set', value: [1, 2], output: 'p' },
    ];
    for (const source of sources) {
      const p = await folder.load(manifest([source, { op: 'rope_table', inputs: { positions: 'p' }, length: 2, headDim: 8, outputs: { cos: 'c', sin: 's' } }]));
      const e = await failure(p.run());
      expect(e.code).toBe('HOST_OP_FAILED');
      expect(e.message).toMatch(/expected .* but received/i);
    }
  });
});

describe('mrope_positions', () => {
  it("lays out [prefix, vision grid, suffix] like get_rope_index, pads to size and returns the next position", async () => {
    const out = await runSteps(
      [
        { op: 'set', value: [5, 6], output: 'pre' },
        { op: 'mrope_positions', inputs: { prefix: 'pre', suffix: 2 }, gridHeight: 2, gridWidth: 3, outputs: { positions: 'p', next: 'next', length: 'n', delta: 'd' } },
        { op: 'mrope_positions', inputs: { prefix: 4, suffix: 7 }, gridHeight: 16, gridWidth: 16, size: 320, outputs: { positions: 'big', next: 'bnext' } },
      ],
      { p: 'p', next: 'next', n: 'n', d: 'd', big: 'big', bnext: 'bnext' },
    );
    const p = out.p as Tensor;
    expect(p.dims).toEqual([3, 1, 10]);
    // Hand-checked: t, h, w rows.
    expect([...(p.data as Int32Array)]).toEqual([
      ...[0, 1, 2, 2, 2, 2, 2, 2, 5, 6],
      ...[0, 1, 2, 2, 2, 3, 3, 3, 5, 6],
      ...[0, 1, 2, 3, 4, 2, 3, 4, 5, 6],
    ]);
    expect([out.next, out.n, out.d]).toEqual([7, 10, -3]);
    const ref = refLayout(4, 16, 16, 7);
    const big = [...((out.big as Tensor).data as Int32Array)];
    const len = ref.rows[0].length;
    for (let r = 0; r < 3; r++) {
      expect(big.slice(r * 320, r * 320 + len)).toEqual(ref.rows[r]);
      // Padding continues the text numbering.
      expect(big[r * 320 + len]).toBe(ref.next);
    }
    expect(out.bnext).toBe(ref.next);
  });

  it('refuses a layout longer than size and bad grids', async () => {
    const long = await folder.load(manifest([{ op: 'mrope_positions', inputs: { prefix: 10, suffix: 10 }, gridHeight: 4, gridWidth: 4, size: 20, outputs: { positions: 'p' } }]));
    await expect(long.run()).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    await expect(folder.load(manifest([{ op: 'mrope_positions', gridHeight: 0, gridWidth: 4, outputs: { positions: 'p' } }]))).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    const neg = await folder.load(manifest([{ op: 'mrope_positions', inputs: { prefix: 'x' }, gridHeight: 1, gridWidth: 4, outputs: { positions: 'p' } }], { inputs: { x: { type: 'number' } } }));
    await expect(neg.run({ x: -2 })).rejects.toMatchObject({ code: 'HOST_OP_FAILED' });
  });
});
