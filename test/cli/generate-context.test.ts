/**
 * generate-context, and inspect / run / bench load of models: the built dist/ bin on the
 * reference backend (the bundled example DLC, the test model library), a manifest whose
 * stages are models on two backends with a first-run cache, and the mock backend in process.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContextSignature } from '../../lib/backend/types.js';
import type { LoadBenchReport } from '../../lib/cli/bench/load-bench.js';
import type { GenerateReport } from '../../lib/cli/commands/generate-context.js';
import type { RunReport } from '../../lib/cli/commands/run.js';
import { committedExampleDlcPath } from '../../lib/cli/example-dlc.js';
import { exampleDescription } from '../../lib/cli/example.js';
import { referenceBackendPaths } from '../../lib/native/binding.js';
import { nativeReady } from '../native/helpers.js';
import { testEnv } from './helpers.js';
import { captureIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const dist = path.join(root, 'dist', 'cli', 'main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-cli-generate-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function bin(args: string[], cwd = tmp) {
  const r = spawnSync(process.execPath, [dist, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const exampleGraphs = exampleDescription().graphs.map((g) => g.name);

describe.runIf((nativeReady && fs.existsSync(dist)) || process.env.CI)('dist/ bin: models on the reference backend', () => {
  it('generate-context without a model writes the bundled example DLC as a binary that inspect and run accept', () => {
    const g = bin(['generate-context', '-o', 'example.bin', '--json']);
    expect(bin(['generate-context', '-o', 'sub/dir/example.bin', '-q']).code).toBe(0);
    expect(g.code, g.stderr).toBe(0);
    const report = JSON.parse(g.stdout) as GenerateReport;
    expect(report).toMatchObject({ model: committedExampleDlcPath(), format: 'dlc', output: path.join(tmp, 'example.bin'), graphs: exampleGraphs });
    expect(report.bytes).toBe(fs.statSync(path.join(tmp, 'example.bin')).size);
    expect(report.backend).toMatchObject({ kind: 'qnn', library: referenceBackendPaths().backend });
    for (const k of ['composeMs', 'finalizeMs', 'serializeMs', 'totalMs'] as const) expect(report.timings[k]).toBeGreaterThanOrEqual(0);
    const text = bin(['generate-context', '-o', 'again.bin']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(/^compose: example\.dlc$/m);
    expect(text.stderr).toMatch(/finalize: 3\/3 dequantize/);
    expect(text.stderr).toMatch(/serialize: .*again\.bin/);
    expect(text.stdout).toMatch(/compose [\d.]+ ms, finalize [\d.]+ ms, serialize [\d.]+ ms \(total [\d.]+ ms\)/);

    const inspected = bin(['inspect', 'example.bin', '--json']);
    expect(inspected.code, inspected.stderr).toBe(0);
    const sig = JSON.parse(inspected.stdout) as ContextSignature;
    expect(sig.graphs.map((x) => x.name)).toEqual(exampleGraphs);
    // The same graphs as composing the DLC directly.
    const fromDlc = bin(['inspect', committedExampleDlcPath(), '--json']);
    expect(fromDlc.code, fromDlc.stderr).toBe(0);
    expect((JSON.parse(fromDlc.stdout) as ContextSignature).graphs).toEqual(sig.graphs);
    const text2 = bin(['inspect', committedExampleDlcPath()]);
    expect(text2.stdout).toMatch(/^composed from a DLC on the backend \(not a context binary/);

    const fromBinary = bin(['run', 'example.bin', '--json', '--fill', 'ones']);
    const fromModel = bin(['run', committedExampleDlcPath(), '--json', '--fill', 'ones']);
    expect(fromBinary.code, fromBinary.stderr).toBe(0);
    expect(fromModel.code, fromModel.stderr).toBe(0);
    const a = JSON.parse(fromBinary.stdout) as RunReport;
    const b = JSON.parse(fromModel.stdout) as RunReport;
    expect(a.origin).toEqual({ kind: 'binary', path: path.join(tmp, 'example.bin') });
    expect(b.origin).toEqual({ kind: 'dlc', path: committedExampleDlcPath() });
    expect(b.composeTimings?.totalMs).toBeGreaterThanOrEqual(0);
    expect(b.graphs.map((x) => x.outputs)).toEqual(a.graphs.map((x) => x.outputs));
    expect(bin(['run', committedExampleDlcPath(), '--fill', 'ones']).stdout).toMatch(/composed from a DLC on the backend[^\n]*\ncompose [\d.]+ ms \(compose/);
  });

  it('generate-context of the test model library, with graph/context configs; errors are typed', () => {
    const lib = referenceBackendPaths().testModel;
    const g = bin(['generate-context', lib, '--backend', 'reference', '-o', 'testmodel.bin', '--priority', 'high', '--graph-priority', 'low', '--json']);
    expect(g.code, g.stderr).toBe(0);
    const report = JSON.parse(g.stdout) as GenerateReport;
    expect(report.format).toBe('library');
    expect(report.graphs).toEqual(expect.arrayContaining(['f32_mlp', 'u8_add', 'f16_mul']));
    const missing = bin(['generate-context', 'nope.dlc']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('[FILE_NOT_FOUND]');
    expect(bin(['generate-context', lib, '--format', 'onnx']).code).toBe(2);
    expect(bin(['generate-context', '--persistent-binary']).code).toBe(2);
  });

  it('bench load reports compose / finalize / serialize for a model', () => {
    const r = bin(['bench', 'load', committedExampleDlcPath(), '-r', '2', '-w', '0', '--no-isolate', '--json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as LoadBenchReport;
    const summary = report.results[0].summary;
    for (const k of ['composeMs', 'finalizeMs', 'serializeMs'] as const) expect(summary[k]?.median).toBeGreaterThanOrEqual(0);
    expect(summary.createMs).toBeUndefined();
    const text = bin(['bench', 'load', committedExampleDlcPath(), '-r', '1', '-w', '0', '-q']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/compose \(model\)/);
    expect(text.stdout).toMatch(/serialize \(model\)/);
  });

  it('a manifest of model stages on two backends caches the first run (run twice: created, then hit)', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'manifest-'));
    fs.copyFileSync(committedExampleDlcPath(), path.join(dir, 'example.dlc'));
    const manifest = {
      format: 'qnn-node-pipeline',
      version: 1,
      backends: { first: { backend: 'reference' }, second: { backend: 'reference' } },
      contexts: {
        a: { model: 'example.dlc', cache: 'cache/a.bin', backend: 'first' },
        b: { model: 'example.dlc', backend: 'second', graphConfigs: { add: { priority: 'high' } } },
      },
      inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 4] } },
      steps: [
        { graph: 'a/add', inputs: { x: 'x', y: 'x' }, outputs: { z: 'twice' } },
        { graph: 'b/add', inputs: { x: 'twice', y: 'x' }, outputs: { z: 'thrice' } },
      ],
      outputs: { thrice: 'thrice' },
    };
    fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(manifest));
    fs.writeFileSync(path.join(dir, 'x.npy'), npyF32([1, 2, 3, 4]));
    const first = bin(['run', 'pipeline.json', '--input', 'x=x.npy', '--json'], dir);
    expect(first.code, first.stderr).toBe(0);
    expect((JSON.parse(first.stdout) as { outputs: { thrice: { head: number[] } } }).outputs.thrice.head).toEqual([3, 6, 9, 12]);
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'cache', 'a.bin.json'), 'utf8')) as { source: { path: string }; backend: { kind: string } };
    expect(record.source.path).toBe(path.join(dir, 'example.dlc'));
    const mtime = fs.statSync(path.join(dir, 'cache', 'a.bin')).mtimeMs;
    const second = bin(['run', 'pipeline.json', '--input', 'x=x.npy', '--json', '--stage-backend', 'second=reference'], dir);
    expect(second.code, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout) as { outputs: { thrice: { head: number[] } } }).outputs.thrice.head).toEqual([3, 6, 9, 12]);
    expect(fs.statSync(path.join(dir, 'cache', 'a.bin')).mtimeMs).toBe(mtime); // a hit: not rewritten
    expect(bin(['run', 'pipeline.json', '--stage-backend', 'oops'], dir).code).toBe(2);
  });
});

/** A float32 .npy of one row. */
function npyF32(values: number[]): Buffer {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (1, ${values.length}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = Buffer.from(`${header}${' '.repeat(pad)}\n`, 'latin1');
  const pre = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length & 0xff, h.length >> 8]);
  return Buffer.concat([pre, h, Buffer.from(Float32Array.from(values).buffer)]);
}

describe('generate-context on the mock backend (in process)', () => {
  it('composes the signature file\'s graphs and writes a mock binary; run accepts the model too', async () => {
    const env = testEnv();
    try {
      const sig: ContextSignature = { format: 'qnn-node-signature', version: 1, graphs: [{ name: 'g', inputs: [{ name: 'a', dtype: 'float32', dims: [1, 2] }], outputs: [{ name: 'b', dtype: 'float32', dims: [1, 2] }] }] };
      env.file('sig.json', JSON.stringify(sig));
      env.file('model.dlc', 'a model');
      // The default runtime (the test runtime knows no models): its mock composes the signature's graphs.
      const cli = async (argv: string[]) => {
        const io = captureIO({ cwd: env.dir });
        const code = await main(argv, io);
        return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
      };
      const r = await cli(['generate-context', 'model.dlc', '--mock', 'sig.json', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as GenerateReport;
      expect(report).toMatchObject({ format: 'dlc', output: path.join(env.dir, 'model.bin'), graphs: ['g'], backend: { kind: 'mock' } });
      expect(fs.readFileSync(path.join(env.dir, 'model.bin')).subarray(0, 8).toString('latin1')).toBe('QNNMOCK1');
      // A manifest of model stages on two (forked) mock backends: the first run writes the cache.
      env.file('pipeline.json', JSON.stringify({
        format: 'qnn-node-pipeline',
        version: 1,
        backends: { htp: { backend: 'QnnHtp' }, cpu: { backend: 'QnnCpu' } },
        contexts: { a: { model: 'model.dlc', cache: 'cache/a.bin', backend: 'htp', signature: 'sig.json' }, b: { model: 'model.dlc', backend: 'cpu' } },
        inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 2] } },
        steps: [{ graph: 'a/g', inputs: { a: 'x' }, outputs: { b: 'h' } }, { graph: 'b/g', inputs: { a: 'h' }, outputs: { b: 'out' } }],
        outputs: { out: 'out' },
      }));
      const npy = await cli(['run', 'model.dlc', '--mock', 'sig.json', '--fill', 'zeros', '-o', 'outs']);
      expect(npy.code, npy.stderr).toBe(0);
      const piped = await cli(['run', 'pipeline.json', '--mock', 'sig.json', '--input', 'x=outs/g.b.npy', '--json']);
      expect(piped.code, piped.stderr).toBe(0);
      expect(fs.readFileSync(path.join(env.dir, 'cache', 'a.bin')).subarray(0, 8).toString('latin1')).toBe('QNNMOCK1');
      expect(JSON.parse(fs.readFileSync(path.join(env.dir, 'cache', 'a.bin.json'), 'utf8'))).toMatchObject({ backend: { kind: 'mock', library: 'mock:htp' } });
      const run = await cli(['run', 'model.dlc', '--mock', 'sig.json', '--fill', 'zeros', '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect((JSON.parse(run.stdout) as RunReport).origin).toEqual({ kind: 'dlc', path: path.join(env.dir, 'model.dlc') });
    } finally {
      env.cleanup();
    }
  });
});
