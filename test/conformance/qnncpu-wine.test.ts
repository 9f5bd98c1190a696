/**
 * Conformance: the real QnnCpu.dll of QNN SDK 2.25 (x86_64 Windows, lib/x86_64-windows-msvc
 * in the SDK) executes a graph composed by the test model library, under wine64, and its
 * outputs match the reference backend's within fp32 tolerance. Opt-in: needs
 * QNN_CONFORMANCE_QNNCPU_DLL=<path to QnnCpu.dll> and wine64 (docs/conformance.md); the
 * win32-x64 model probe and a test model library built for QnnCpu's core API are
 * cross-built by scripts/cross/model-probe.cjs (zig). Nothing Qualcomm is committed.
 *
 * The probe (test/model_probe.cc) does what a QNN client does: QnnInterface_getProviders,
 * backendCreate, contextCreate, QnnModel_composeGraphs with a by-value table of the size
 * QnnCpu's core version has, graphFinalize, graphExecute; then contextGetBinarySize (QnnCpu
 * does not serialize). Measurements are printed (console.info) for the record.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceBackendPaths } from '../../lib/native/binding.js';
import { modelProbe, runProbe, type ProbeEvent } from '../reference/model-probe.js';
import { expectedMlp } from '../reference/test-model-spec.js';
import { REPO_ROOT } from './helpers.js';

const DLL = process.env.QNN_CONFORMANCE_QNNCPU_DLL;
const WINE = ['/usr/lib/wine/wine64', '/usr/bin/wine64'].find((p) => existsSync(p));
const CACHE = process.env.QNN_NODE_CROSS_CACHE ?? join(process.env.HOME ?? '', '.cache', 'qnn-node-cross');
const ready = Boolean(DLL && existsSync(DLL)) && WINE !== undefined && process.platform === 'linux' && modelProbe !== undefined;

const winePath = (p: string): string => `Z:${p.replace(/\//g, '\\')}`;

interface WineRun {
  status: number | null;
  ms: number;
  events: ProbeEvent[];
  of<K extends ProbeEvent['event']>(kind: K): Extract<ProbeEvent, { event: K }>[];
}

describe.skipIf(!ready)('conformance: the real QnnCpu.dll (SDK 2.25, x86_64 Windows) under wine64', () => {
  let work = '';
  let probe = '';
  let lib = '';
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'qnn-node-qnncpu-'));
    const built = execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'cross', 'model-probe.cjs'), '--core-minor', '18'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 1_500_000 });
    const paths = JSON.parse(built.trim().split('\n').pop()!) as { probe: string; lib: string };
    // Everything side by side: Windows finds a DLL's dependencies next to the executable.
    for (const f of [paths.probe, paths.lib, DLL!]) copyFileSync(f, join(work, basename(f)));
    probe = join(work, basename(paths.probe));
    lib = join(work, basename(paths.lib));
  }, 1_600_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function underWine(args: string[], graphs: string): WineRun {
    const out = join(work, 'probe.out');
    const fd = openSync(out, 'w');
    const started = performance.now();
    const r = spawnSync(WINE!, [probe, ...args], {
      cwd: work,
      stdio: ['ignore', fd, 'ignore'], // wine's console is unreliable on pipes: stdout to a file
      env: { ...process.env, WINEPREFIX: join(CACHE, 'wineprefix'), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', QNN_NODE_TEST_MODEL_GRAPHS: graphs },
      timeout: 300_000,
    });
    closeSync(fd);
    const ms = performance.now() - started;
    const events = readFileSync(out, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as ProbeEvent);
    return { status: r.status, ms, events, of: (kind) => events.filter((e) => e.event === kind) as never };
  }

  it('composes f32_mlp, executes it, and matches the reference backend within fp32 tolerance', () => {
    const cpu = underWine(['--model', winePath(lib), '--backend', winePath(join(work, basename(DLL!))), '--execute', '--binary', winePath(join(work, 'ctx.bin')), '--log-level', '2', '--backend-log', '2'], 'f32_mlp');
    const backend = cpu.of('backend')[0];
    expect(backend, JSON.stringify(cpu.events)).toBeDefined();
    const compose = cpu.of('compose')[0];
    expect(compose, JSON.stringify(cpu.events)).toMatchObject({ rc: 0 });
    const finalize = cpu.of('finalize')[0];
    expect(finalize.rc).toBe(0);
    const run = cpu.of('execute')[0];
    expect(run.rc).toBe(0);
    const got = run.outputs[0].values;
    // The reference backend, same library (its own table size), same deterministic inputs.
    const ref = runProbe(['--model', referenceBackendPaths().testModel, '--backend', referenceBackendPaths().backend, '--execute'], {
      QNN_NODE_TEST_MODEL_GRAPHS: 'f32_mlp',
      QNN_REFERENCE_API_VERSION: undefined,
    });
    const refRun = ref.of('execute')[0];
    expect(refRun.inputs).toEqual(run.inputs);
    const want = refRun.outputs[0].values;
    const maxAbsDiff = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
    const formulaDiff = Math.max(...expectedMlp(run.inputs[0].values).map((v, i) => Math.abs(v - got[i])));
    const binary = cpu.of('binary')[0];
    console.info(
      [
        `QnnCpu.dll ${cpu.of('buildId')[0]?.id}: provider ${backend.provider}, backendId ${backend.backendId}, core ${backend.core}, backend API ${backend.backendApi}`,
        `table ${compose.slots} slots; setup ${cpu.of('setup')[0].ms.toFixed(2)} ms, compose ${compose.ms.toFixed(2)} ms, finalize ${finalize.ms.toFixed(2)} ms, execute ${run.ms.toFixed(3)} ms (wine process ${cpu.ms.toFixed(0)} ms)`,
        `f32_mlp output ${JSON.stringify(got)}; reference ${JSON.stringify(want)}; max |QnnCpu - reference| = ${maxAbsDiff}, max |QnnCpu - formula| = ${formulaDiff}`,
        `contextGetBinarySize: rc ${binary?.rc}`,
      ].join('\n'),
    );
    expect(maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(formulaDiff).toBeLessThanOrEqual(1e-5);
    // QnnCpu composes and executes but does not serialize contexts.
    expect(binary.rc).not.toBe(0);
  }, 600_000);

  it('reports what QnnCpu does with the quantized and fp16 graphs (measured, not required)', () => {
    for (const graph of ['u8_add', 'f16_mul']) {
      const cpu = underWine(['--model', winePath(lib), '--backend', winePath(join(work, basename(DLL!))), '--execute', '--log-level', '1', '--backend-log', '1'], graph);
      const compose = cpu.of('compose')[0];
      const run = cpu.of('execute')[0];
      console.info(`QnnCpu ${graph}: compose rc ${compose?.rc}, finalize rc ${cpu.of('finalize')[0]?.rc}, execute rc ${run?.rc}; outputs ${JSON.stringify(run?.outputs[0]?.values ?? null)}; logs ${JSON.stringify(cpu.of('log').concat(cpu.of('backendLog')).map((l) => l.message).slice(0, 3))}`);
      // Whatever QnnCpu answers, the library came back with a status (no crash under wine).
      expect(compose, JSON.stringify(cpu.events)).toBeDefined();
    }
  }, 600_000);
});
