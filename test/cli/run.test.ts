import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../lib/cli/commands/run.js';
import { encodeNpy, readNpySync } from '../../lib/tensor/npy.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { cli, GRAPHS, testEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
beforeEach(() => {
  env = testEnv();
});
afterEach(() => env.cleanup());

const SIG = JSON.stringify({ format: 'qnn-node-signature', version: 1, graphs: GRAPHS });

function npy(name: string, t: Tensor): string {
  return env.file(name, encodeNpy(t));
}

describe('qnn-node run', () => {
  it('runs the bundled example with generated inputs and no flags', async () => {
    const r = await cli(env, ['run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(env.example);
    expect(r.stdout).toMatch(/Graph add: execute [\d.]+ ms/);
    expect(r.stdout).toMatch(/Graph dequant: execute [\d.]+ ms/);
    expect(r.stdout).toContain('input x: generated (random, seed 0)');
    expect(r.stdout).toMatch(/z\s+float32\s+\[1, 4\]/);
    expect(env.counts).toEqual({ opened: 1, disposed: 1 });
  });

  it('--json reports graphs, inputs, outputs and timings', async () => {
    const r = await cli(env, ['run', '--json', '--graph', 'add']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.backend).toBe('mock');
    expect(report.mode).toBe('async');
    expect(report.loadMs).toBeGreaterThanOrEqual(0);
    expect(report.graphs).toHaveLength(1);
    const [g] = report.graphs;
    expect(g.graph).toBe('add');
    expect(g.executeMs).toBeGreaterThanOrEqual(0);
    expect(g.inputs.map((i) => i.name)).toEqual(['x', 'y']);
    expect(g.outputs[0]).toMatchObject({ name: 'z', dtype: 'float32', dims: [1, 4] });
    expect(g.outputs[0].head).toHaveLength(4);
    expect(g.outputs[0].min).toBeLessThanOrEqual(g.outputs[0].max);
  });

  it('requires inputs for a user binary unless --fill is given', async () => {
    env.binary('m.bin');
    const r = await cli(env, ['run', 'm.bin', '--graph', 'add']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[MISSING_INPUT]');
    expect(r.stderr).toContain('--input x=<file>');
    const ok = await cli(env, ['run', 'm.bin', '--graph', 'add', '--fill', 'zeros', '--json']);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as RunReport).graphs[0].inputs[0].source).toBe('generated (zeros)');
  });

  it('reads .npy, .raw, .txt and .json inputs and writes outputs as .npy', async () => {
    env.binary('m.bin');
    npy('x.npy', new Tensor('float32', new Float32Array([1, 2, 3, 4]), [4])); // reshaped to [1,4]
    env.file('y.raw', new Uint8Array(new Float32Array([10, 20, 30, 40]).buffer));
    env.file('q.txt', '1 2 3\n4,5,6 7 8');
    const r = await cli(env, ['run', 'm.bin', '-i', 'x=x.npy', '-i', 'y=y.raw', '-i', 'dequant/q=q.txt', '-o', 'out', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.graphs[0].inputs).toEqual([
      { name: 'x', source: path.join(env.dir, 'x.npy') },
      { name: 'y', source: path.join(env.dir, 'y.raw') },
    ]);
    const z = readNpySync(path.join(env.dir, 'out', 'add.z.npy'));
    expect(z.dtype).toBe('float32');
    expect(z.dims).toEqual([1, 4]);
    expect(report.graphs[0].outputs[0].file).toBe(path.join(env.dir, 'out', 'add.z.npy'));
    expect(fs.existsSync(path.join(env.dir, 'out', 'dequant.r.npy'))).toBe(true);
  });

  it('feeds a PNG image to an image-shaped input', async () => {
    const png = new PNG({ width: 4, height: 2 });
    png.data.fill(255);
    env.file('img.png', PNG.sync.write(png));
    env.file('img-sig.json', JSON.stringify({
      format: 'qnn-node-signature',
      version: 1,
      graphs: [{ name: 'vision', inputs: [{ name: 'pixels', dtype: 'float32', dims: [1, 3, 4, 8] }], outputs: [{ name: 'emb', dtype: 'float32', dims: [1, 2] }] }],
    }));
    env.binary('v.bin');
    const r = await cli(env, ['run', 'v.bin', '--mock', 'img-sig.json', '-i', 'pixels=img.png', '--record', 'rec', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const index = JSON.parse(fs.readFileSync(path.join(env.dir, 'rec', 'index.json'), 'utf8')) as { calls: { inputs: Record<string, { file: string }> }[] };
    const pixels = readNpySync(path.join(env.dir, 'rec', index.calls[0].inputs.pixels.file));
    expect(pixels.dims).toEqual([1, 3, 4, 8]);
    expect(Array.from(pixels.toFloat32()).every((v) => v === 1)).toBe(true);
  });

  it('fails on an image that is not one, or for a non-image input', async () => {
    env.file('img-sig.json', JSON.stringify({
      format: 'qnn-node-signature',
      version: 1,
      graphs: [{ name: 'vision', inputs: [{ name: 'pixels', dtype: 'uint8', dims: [1, 2, 2, 3] }], outputs: [{ name: 'o', dtype: 'float32', dims: [1] }] }],
    }));
    env.binary('v.bin');
    env.file('fake.png', 'not a png');
    let r = await cli(env, ['run', 'v.bin', '--mock', 'img-sig.json', '-i', 'pixels=fake.png']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[ASSET_INVALID]');
    const png = new PNG({ width: 3, height: 3 });
    png.data.fill(200);
    env.file('ok.png', PNG.sync.write(png));
    r = await cli(env, ['run', 'v.bin', '--mock', 'img-sig.json', '-i', 'pixels=ok.png', '--record', 'rec8', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const index = JSON.parse(fs.readFileSync(path.join(env.dir, 'rec8', 'index.json'), 'utf8')) as { calls: { inputs: Record<string, { file: string }> }[] };
    expect(Array.from(readNpySync(path.join(env.dir, 'rec8', index.calls[0].inputs.pixels.file)).data as Uint8Array)).toEqual(new Array(12).fill(200));
    env.binary('m.bin');
    r = await cli(env, ['run', 'm.bin', '--graph', 'add', '--fill', 'zeros', '-i', 'x=ok.png']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[SHAPE_MISMATCH]');
  });

  it('fails on a bad input file', async () => {
    env.binary('m.bin');
    env.file('short.raw', new Uint8Array(3));
    env.file('bad.npy', 'not an npy file at all');
    env.file('bad.txt', '1 2 three 4');
    env.file('x.xyz', '');
    const cases: [string, string, number][] = [
      ['x=short.raw', 'FILE_TRUNCATED', 1],
      ['x=bad.npy', 'NPY_MALFORMED', 1],
      ['x=bad.txt', 'ASSET_INVALID', 1],
      ['x=nothere.npy', 'FILE_NOT_FOUND', 1],
      ['x=x.xyz', 'CLI_USAGE', 2],
    ];
    for (const [input, code, exit] of cases) {
      const r = await cli(env, ['run', 'm.bin', '--graph', 'add', '--fill', 'zeros', '-i', input]);
      expect(r.code, input).toBe(exit);
      expect(r.stderr, input).toContain(`[${code}]`);
    }
    expect(env.counts.opened).toBe(env.counts.disposed);
  });

  it('fails on a wrong shape, an unknown input and an unknown graph', async () => {
    env.binary('m.bin');
    npy('big.npy', Tensor.zeros('float32', [2, 4]));
    let r = await cli(env, ['run', 'm.bin', '--graph', 'add', '--fill', 'zeros', '-i', 'x=big.npy']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[SHAPE_MISMATCH]');
    r = await cli(env, ['run', 'm.bin', '--fill', 'zeros', '-i', 'nope=big.npy']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[UNKNOWN_INPUT]');
    expect(r.stderr).toContain('add/x');
    r = await cli(env, ['run', 'm.bin', '--graph', 'missing']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[UNKNOWN_GRAPH]');
  });

  it('fails on a missing or corrupt binary', async () => {
    let r = await cli(env, ['run', 'missing.bin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[FILE_NOT_FOUND]');
    env.file('corrupt.bin', 'xx');
    r = await cli(env, ['run', 'corrupt.bin', '--fill', 'zeros']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[BINARY_INVALID]');
    expect(env.counts.opened).toBe(env.counts.disposed);
  });

  it('records a run that the mock backend replays with the same outputs', async () => {
    env.binary('m.bin');
    const first = await cli(env, ['run', 'm.bin', '--fill', 'random', '--seed', '7', '--record', 'rec', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.existsSync(path.join(env.dir, 'rec', 'signature.json'))).toBe(true);
    const replay = await cli(env, ['run', 'm.bin', '--fill', 'random', '--seed', '7', '--mock', 'rec/signature.json', '--replay', 'rec', '--json']);
    expect(replay.code, replay.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as RunReport;
    const b = JSON.parse(replay.stdout) as RunReport;
    expect(b.graphs.map((g) => g.outputs.map((o) => o.head))).toEqual(a.graphs.map((g) => g.outputs.map((o) => o.head)));
    // different inputs no longer match the recording
    const mismatch = await cli(env, ['run', 'm.bin', '--fill', 'random', '--seed', '8', '--mock', 'rec/signature.json', '--replay', 'rec']);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('[RECORDING_MISMATCH]');
  });

  it('--replay without --mock is a usage error', async () => {
    const r = await cli(env, ['run', '--replay', 'rec']);
    expect(r.code).toBe(2);
  });

  it('runs with runSync under --sync', async () => {
    const r = await cli(env, ['run', '--sync', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as RunReport).mode).toBe('sync');
  });

  it('fails on a malformed --mock signature', async () => {
    env.file('bad-sig.json', '{"format":"other"}');
    const r = await cli(env, ['run', '--mock', 'bad-sig.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[BINARY_INVALID]');
  });

  it('runs a manifest through the pipeline runner with typed --input values', async () => {
    env.binary('m.bin');
    env.file('sig.json', SIG);
    npy('x.npy', new Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4]));
    npy('y.npy', new Tensor('float32', new Float32Array([1, 1, 1, 1]), [1, 4]));
    env.file(
      'pipe.json',
      JSON.stringify({
        format: 'qnn-node-pipeline',
        version: 1,
        contexts: { m: { binary: 'm.bin', signature: 'sig.json' } },
        inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 4] }, y: { type: 'tensor', dtype: 'float32', shape: [1, 4] } },
        steps: [{ graph: 'add', context: 'm', inputs: { x: 'x', y: 'y' }, outputs: { z: 'z' } }],
        outputs: { z: 'z' },
      }),
    );
    const r = await cli(env, ['run', 'pipe.json', '-i', 'x=x.npy', '-i', 'y=y.npy', '-o', 'out', '--record', 'rec']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/z\s+float32\s+\[1, 4\]/);
    expect(r.stdout).toMatch(/\/steps\/0\s+graph\s+m\/add\s+1/);
    expect(readNpySync(path.join(env.dir, 'out', 'z.npy')).dims).toEqual([1, 4]);
    expect(fs.existsSync(path.join(env.dir, 'rec', 'index.json'))).toBe(true);
    const json = await cli(env, ['run', 'pipe.json', '-i', 'x=x.npy', '-i', 'y=y.npy', '--json']);
    const report = JSON.parse(json.stdout) as { outputs: { z: { dims: number[] } }; timings: { steps: unknown[] } };
    expect(report.outputs.z.dims).toEqual([1, 4]);
    expect(report.timings.steps).toHaveLength(1);
    // replaying the recording answers with the recorded outputs
    const replay = await cli(env, ['run', 'pipe.json', '-i', 'x=x.npy', '-i', 'y=y.npy', '--replay', 'rec', '--json']);
    expect(replay.code, replay.stderr).toBe(0);
    expect((JSON.parse(replay.stdout) as { outputs: { z: { head: number[] } } }).outputs.z.head).toEqual(
      (report.outputs.z as unknown as { head: number[] }).head,
    );
    const other = await cli(env, ['run', 'pipe.json', '-i', 'x=y.npy', '-i', 'y=y.npy', '--replay', 'rec']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('[RECORDING_MISMATCH]');
  });

  it('reports manifest errors: missing manifest, unknown input, bad number, flags for binaries', async () => {
    let r = await cli(env, ['run', 'nope.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[FILE_NOT_FOUND]');
    env.file('bad.json', '{ not json');
    r = await cli(env, ['run', 'bad.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[MANIFEST_INVALID]');
    env.file('n.json', JSON.stringify({ format: 'qnn-node-pipeline', version: 1, contexts: {}, inputs: { n: { type: 'number' } }, steps: [] }));
    r = await cli(env, ['run', 'n.json', '-i', 'n=many']);
    expect(r.code).toBe(2);
    r = await cli(env, ['run', 'n.json', '--graph', 'add']);
    expect(r.code).toBe(2);
    r = await cli(env, ['run', 'n.json', '-i', 'novel']);
    expect(r.code).toBe(2);
  });
});
