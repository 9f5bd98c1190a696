/**
 * The CLI against the real runtime: the built addon and the reference backend (FAIL when
 * CI is set and they are missing, skipped locally). In process through main() with the
 * default runtime; bench load's child processes are real.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { ContextSignature } from '../../lib/backend/types.js';
import type { LoadBenchReport } from '../../lib/cli/bench/load-bench.js';
import type { BenchRunReport } from '../../lib/cli/commands/bench-run.js';
import type { RunReport } from '../../lib/cli/commands/run.js';
import { committedExamplePath, exampleDescription } from '../../lib/cli/example.js';
import { captureIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import type { RuntimeReport } from '../../lib/cli/runtime.js';
import { planReferenceBinary } from '../../lib/reference/writer.js';
import { encodeNpy, readNpySync } from '../../lib/tensor/npy.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { referenceBackendPaths } from '../../lib/native/binding.js';
import { describeNative, withEnv } from '../native/helpers.js';

/** A fake SDK: lib/<platform folder>/libQnnHtp.so and libQnnSystem.so linking to the reference backend. */
function fakeSdk(dir: string): { root: string; libDir: string } {
  const root = path.join(dir, 'sdk');
  const libDir = path.join(root, 'lib', 'x86_64-linux-clang');
  fs.mkdirSync(libDir, { recursive: true });
  const ref = referenceBackendPaths();
  fs.symlinkSync(ref.backend, path.join(libDir, 'libQnnHtp.so'));
  fs.symlinkSync(ref.system, path.join(libDir, 'libQnnSystem.so'));
  return { root, libDir };
}

async function run(argv: string[], cwd: string, env: Record<string, string> = {}) {
  const io = captureIO({ cwd, env });
  const code = await main(argv, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-cli-native-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeNative('qnn-node on the reference backend', () => {

  it('info reports the bundled reference backend and its versions', async () => {
    const r = await run(['info', '--json', '--backend', 'reference'], dir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as RuntimeReport;
    const backend = report.libraries.find((l) => l.role === 'backend')!;
    expect(backend.source).toBe('bundled-reference');
    expect(fs.existsSync(backend.path!)).toBe(true);
    expect(report.libraries.find((l) => l.role === 'system')?.source).toBe('bundled-reference');
    expect(report.backend?.providerName).toBe('QNN_NODE_REFERENCE');
    expect(report.backend?.coreApiVersion).toMatch(/^2\.\d+\.\d+$/);
    expect(String(report.backend?.buildId)).toContain('qnn-node reference');
    expect(report.backend?.platform).toEqual({ version: 1, devices: [{ id: 0, type: 0, cores: [{ id: 0, type: 0 }], hasExtension: false }] });
    expect(report.backend?.platformError).toBeUndefined();
    const text = await run(['info'], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('QNN_NODE_REFERENCE');
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('info says how the libraries were found: flag, QNN_SDK_ROOT, search path', async () => {
    const sdk = fakeSdk(dir);
    const sources = (stdout: string) => (JSON.parse(stdout) as RuntimeReport).libraries.map((l) => [l.role, l.source]);
    const viaFlag = await run(['info', '--json', '--backend', path.join(sdk.libDir, 'libQnnHtp.so'), '--system', path.join(sdk.libDir, 'libQnnSystem.so')], dir);
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    expect(sources(viaFlag.stdout)).toEqual([
      ['backend', 'flag'],
      ['system', 'flag'],
    ]);
    const viaSdk = await withEnv({ QNN_SDK_ROOT: sdk.root }, () => run(['info', '--json'], dir));
    expect(viaSdk.code, viaSdk.stderr).toBe(0);
    expect(sources(viaSdk.stdout)).toEqual([
      ['backend', 'QNN_SDK_ROOT'],
      ['system', 'QNN_SDK_ROOT'],
    ]);
    // The search path is read at process start: a child with LD_LIBRARY_PATH.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const env = { ...process.env, LD_LIBRARY_PATH: sdk.libDir, QNN_SDK_ROOT: '' };
    const child = spawnSync(process.execPath, ['--import', tsx, path.resolve(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.ts'), 'info', '--json'], { cwd: dir, env, encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(sources(child.stdout)).toEqual([
      ['backend', 'search-path'],
      ['system', 'search-path'],
    ]);
  });

  it('info exits 3 naming the paths tried when an explicit backend is missing', async () => {
    const r = await run(['info', '--backend', '/nonexistent/libQnnHtp.so'], dir);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('/nonexistent/libQnnHtp.so');
    expect(r.stdout).toContain('LIBRARY_LOAD_FAILED');
  });

  it('inspect without arguments shows the bundled example with the binary\'s tensor ids', async () => {
    const r = await run(['inspect', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const sig = JSON.parse(r.stdout) as ContextSignature;
    expect(sig.source).toBe(committedExamplePath());
    const layout = planReferenceBinary(exampleDescription());
    expect(sig.graphs.map((g) => g.name)).toEqual(['add', 'embed_head', 'dequantize']);
    for (const g of sig.graphs) for (const t of [...g.inputs, ...g.outputs]) expect(t.id, `${g.name}/${t.name}`).toBe(layout.graphs[g.name][t.name]);
    const q = sig.graphs[2].inputs[0];
    expect(q).toMatchObject({ name: 'q', dtype: 'ufixed8', dims: [1, 16], quant: { encoding: 'scale-offset', scale: 0.0078125, offset: -128 } });
    const table = await run(['inspect'], dir);
    expect(table.stdout).toMatch(/in\s+input_ids\s+\d+\s+int32\s+\[1, 4\]/);
    expect(table.stdout).toMatch(/scale=0\.0078125 offset=-128/);
  });

  it('inspect --system-only --json reads the bundled example with QnnSystem alone (same signature)', async () => {
    const example = path.join('examples', 'reference', 'example.bin');
    const full = await run(['inspect', committedExamplePath(), '--json'], dir);
    expect(full.code, full.stderr).toBe(0);
    const r = await run(['inspect', committedExamplePath(), '--system-only', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const sig = JSON.parse(r.stdout) as ContextSignature;
    expect(committedExamplePath().endsWith(example)).toBe(true);
    expect(sig.source).toBe(committedExamplePath());
    expect(sig.graphs.map((g) => g.name)).toEqual(['add', 'embed_head', 'dequantize']);
    expect(sig).toEqual(JSON.parse(full.stdout));
    // --backend is not needed (nor loaded): a missing one does not matter
    const noBackend = await run(['inspect', committedExamplePath(), '--system-only', '--json', '--backend', '/nonexistent/libQnnHtp.so'], dir);
    expect(noBackend.code, noBackend.stderr).toBe(0);
    const table = await run(['inspect', '--system-only'], dir);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/scale=0\.0078125 offset=-128/);
    const missing = await run(['inspect', committedExamplePath(), '--system-only', '--system', '/nonexistent/libQnnSystem.so'], dir);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('[LIBRARY_LOAD_FAILED]');
  });

  it('run without arguments runs every graph of the example', async () => {
    const r = await run(['run'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/qnn backend/);
    expect(r.stdout).toMatch(/load [\d.]+ ms \(map [\d.]+, create [\d.]+, retrieve [\d.]+\)/);
    for (const g of ['add', 'embed_head', 'dequantize']) expect(r.stdout).toMatch(new RegExp(`Graph ${g}: execute [\\d.]+ ms`));
  });

  it('run computes from input files and writes outputs', async () => {
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy(new Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4])));
    fs.writeFileSync(path.join(dir, 'y.txt'), '10 20 30 40');
    const r = await run(['run', committedExamplePath(), '-g', 'add', '-i', 'x=x.npy', '-i', 'y=y.txt', '-o', 'out', '--json', '--sync'], dir);
    expect(r.code, r.stderr).toBe(0);
    const z = readNpySync(path.join(dir, 'out', 'add.z.npy'));
    expect(Array.from(z.toFloat32())).toEqual([11, 22, 33, 44]);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.loadTimings?.totalMs).toBeGreaterThan(0);
    const probs = await run(['run', '-g', 'embed_head', '--json', '-o', 'out'], dir);
    expect(probs.code, probs.stderr).toBe(0);
    const p = readNpySync(path.join(dir, 'out', 'embed_head.probs.npy'));
    expect(p.dtype).toBe('float16');
    const v = p.toFloat32();
    for (let row = 0; row < 4; row++) expect(v.slice(row * 8, row * 8 + 8).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
  });

  it('fails on a corrupt binary, an unknown graph and a bad input file', async () => {
    const bytes = fs.readFileSync(committedExamplePath());
    bytes[200] ^= 0xff; // inside the checksummed metadata
    fs.writeFileSync(path.join(dir, 'corrupt.bin'), bytes);
    let r = await run(['inspect', 'corrupt.bin'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[(BINARY_INVALID|QNN_ERROR)\]/);
    r = await run(['run', '-g', 'nope'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[UNKNOWN_GRAPH]');
    fs.writeFileSync(path.join(dir, 'short.raw'), new Uint8Array(5));
    r = await run(['run', '-g', 'add', '-i', 'x=short.raw', '--fill', 'zeros'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[FILE_TRUNCATED]');
  });

  it('run of a non-reference binary without QNN libraries exits 3', async () => {
    fs.writeFileSync(path.join(dir, 'htp.bin'), Buffer.alloc(256, 1));
    const r = await run(['run', 'htp.bin', '--backend', '/nonexistent/libQnnHtp.so'], dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[LIBRARY_LOAD_FAILED]');
  });

  it('bench run measures sync and async latency per graph', async () => {
    const r = await run(['bench', 'run', '-n', '50', '-w', '5', '-g', 'add', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchRunReport;
    expect(report.backend).toBe('qnn');
    expect(report.results.map((x) => [x.graph, x.mode, x.count])).toEqual([
      ['add', 'sync', 50],
      ['add', 'async', 50],
    ]);
    expect(report.results[0].us.median).toBeGreaterThan(0);
  });

  it('bench load runs each repetition in a fresh process and reports phases and peak memory', async () => {
    const r = await run(['bench', 'load', '-r', '2', '-w', '0', '--floor', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as LoadBenchReport;
    expect(report.isolated).toBe(true);
    const load = report.results.find((x) => x.kind === 'load')!;
    expect(load.samples).toHaveLength(2);
    for (const s of load.samples) {
      expect(s.isolated).toBe(true);
      expect(s.mapMs).toBeGreaterThanOrEqual(0);
      expect(s.createMs).toBeGreaterThan(0);
      expect(s.firstExecuteGraph).toBe('add');
      expect(s.peakRssBytes).toBeGreaterThan(s.baselineRssBytes * 0.5);
    }
    // distinct processes: the pre-load resident sizes are each a fresh node's, not growing
    expect(report.results.find((x) => x.kind === 'read')!.samples).toHaveLength(2);
  });

  it('--persistent-binary / --no-persistent-binary reach the backend (run, bench load)', async () => {
    const r = await run(['run', '-g', 'add', '--persistent-binary', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    for (const [flags, expected] of [[['--persistent-binary'], true], [['--no-persistent-binary'], false], [[], true]] as const) {
      for (const isolate of [['--no-isolate'], []]) {
        const b = await run(['bench', 'load', '-r', '1', '-w', '0', ...flags, ...isolate, '--json'], dir);
        expect(b.code, b.stderr).toBe(0);
        const report = JSON.parse(b.stdout) as LoadBenchReport;
        // what the context did (QnnContext#info), not just what was asked
        expect(report.results[0].samples[0].persistentBinary, `${flags} ${isolate}`).toBe(expected);
        expect(report.persistentBinary).toBe(expected);
        expect(report.results[0].samples[0].firstExecuteGraph).toBe('add');
      }
    }
  });

  it('bench load --cold evicts the file first', async () => {
    const r = await run(['bench', 'load', '-r', '1', '-w', '0', '--cold', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as LoadBenchReport;
    if (report.cache === 'cold') {
      const cache = report.results[0].samples[0].cache!;
      expect(['fadvise', 'drop_caches']).toContain(cache.method);
      if (cache.method === 'fadvise') expect(cache.residentAfter).toBe(0);
    } else {
      expect(r.stderr).toContain('cannot evict the page cache');
    }
  });

  it('bench load fails with the child\'s error code for a corrupt binary', async () => {
    const r = await run(['bench', 'load', 'corrupt.bin', '-r', '1', '-w', '0'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[(BINARY_INVALID|QNN_ERROR)\]/);
  });
});
