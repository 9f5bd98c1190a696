/**
 * Graph construction on the reference backend (native/reference-backend/test/compose.cc):
 * runs the `qnnref_compose` executable, which composes three graphs through the QNN table
 * (fp32 MatMul + bias + Softmax, uint8-quantized add, fp16 multiply + Transpose), finalizes,
 * executes, serializes, reloads and executes again, and checks every refusal, the journal
 * and the emulated versions. Then reads the composed binary it wrote with the TypeScript
 * reader. Missing executable: skipped locally, a failure when CI is set.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseReferenceBinary } from '../../lib/reference/reader.js';

const root = resolve(import.meta.dirname, '../..');
const candidates = [
  process.env.QNNREF_COMPOSE,
  join(root, 'build-ref/qnnref_compose'),
  join(root, 'build/native/reference-backend/qnnref_compose'),
  join(root, 'build/Release/qnnref_compose'),
].filter((p): p is string => typeof p === 'string' && p.length > 0);
const compose = candidates.find((p) => existsSync(p));

const dir = mkdtempSync(join(tmpdir(), 'qnnref-compose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reference backend graph construction (native compose test)', () => {
  it('finds the compose executable', () => {
    if (!compose && process.env.CI) expect.fail(`qnnref_compose not found (tried ${candidates.join(', ')}); build native/reference-backend first`);
  });

  it.skipIf(!compose)('composes, finalizes, runs, serializes and reloads through the QNN table; refuses like a real backend', { timeout: 60_000 }, () => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('QNN_REFERENCE_')) delete env[k];
    const result = spawnSync(compose!, [dir], { encoding: 'utf8', env, timeout: 55_000 });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    expect(result.signal, output).toBeNull();
    expect(result.status, output).toBe(0);
    expect(result.stdout).toMatch(/\d+ checks, 0 failures/);

    // The composed context as lib/reference/reader.ts sees it.
    const info = parseReferenceBinary(new Uint8Array(readFileSync(join(dir, 'composed.bin'))));
    expect(info.graphs.map((g) => g.name)).toEqual(['f32_mlp', 'u8_add', 'f16_mul']);
    expect(info.statics.map((s) => s.name)).toEqual(['w', 'b', 'c']); // the unconsumed NATIVE 'unused' is left out
    const [mlp, add, mul] = info.graphs;
    expect(mlp.inputs.map((t) => [t.name, t.dtype, t.dims])).toEqual([['x', 'float32', [1, 8]]]);
    expect(mlp.nodes.map((n) => [n.op, n.name, n.params])).toEqual([
      ['MatMul', 'matmul', { transpose_in0: false, transpose_in1: false }],
      ['ElementWiseAdd', 'bias', {}],
      ['Softmax', 'softmax', { axis: 1, beta: 1 }],
    ]);
    expect(add.outputs[0]).toMatchObject({ name: 'sum', dtype: 'ufixed8', quant: { encoding: 'scale-offset', scale: 0.5, offset: 0 } });
    expect(mul.nodes[1]).toMatchObject({ op: 'Transpose', params: { perm: [1, 0] } });
    expect(mul.outputs[0]).toMatchObject({ name: 'pq_t', dtype: 'float16', dims: [3, 2] });
  });
});
