/** `bench run --profile/--trace` and `run --profile/--trace` (binaries and manifests). */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BenchRunReport } from '../../lib/cli/commands/bench-run.js';
import type { ManifestReport, RunReport } from '../../lib/cli/commands/run.js';
import { captureIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { describeNative, withEnv } from '../native/helpers.js';
import { traceShapeErrors } from '../unit/profile/trace-shape.js';
import { cli, GRAPHS, testEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
beforeEach(() => {
  env = testEnv();
});
afterEach(() => env.cleanup());

const readTrace = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as { traceEvents: { name: string; ph: string; args?: Record<string, unknown> }[]; otherData?: Record<string, unknown> };

describe('qnn-node bench run --profile (mock backend)', () => {
  it('prints a per-op table marked synthetic and writes a Chrome trace', async () => {
    const trace = path.join(env.dir, 'out.json');
    const r = await cli(env, ['bench', 'run', '-n', '3', '-w', '0', '--mode', 'sync', '-g', 'add', '--profile', 'detailed', '--profile-runs', '4', '--trace', trace, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("profile 'detailed', 4 run(s) per graph (synthetic: mock backend, JS timings): per op");
    expect(r.stdout).toMatch(/op name\s+count\s+total µs\s+mean µs\s+% of execute/);
    expect(r.stdout).toMatch(/mock:compute \(seeded\)\s+4 /);
    const t = readTrace(trace);
    expect(traceShapeErrors(t)).toEqual([]);
    expect(t.traceEvents.filter((e) => e.ph === 'X' && e.name === 'mock:graphExecute add')).toHaveLength(4);
    expect(t.otherData).toMatchObject({ level: 'detailed', backend: 'mock' });
  });

  it('--json carries the table; basic gives top-level rows; --trace needs --profile', async () => {
    const r = await cli(env, ['bench', 'run', '-n', '2', '-w', '0', '--mode', 'async', '--profile', 'basic', '--profile-runs', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchRunReport;
    expect(report.profile).toMatchObject({ level: 'basic', runs: 3, synthetic: true, table: { granularity: 'top-level' } });
    expect(report.profile!.table.rows.map((x) => [x.group, x.name, x.count])).toEqual(
      expect.arrayContaining([
        ['add', 'mock:graphExecute add', 3],
        ['dequant', 'mock:graphExecute dequant', 3],
      ]),
    );
    const noProfile = await cli(env, ['bench', 'run', '-n', '2', '--trace', path.join(env.dir, 't.json')]);
    expect(noProfile.code).not.toBe(0);
    expect(noProfile.stderr).toContain('--trace needs --profile');
    const runsAlone = await cli(env, ['bench', 'run', '-n', '2', '--profile-runs', '3']);
    expect(runsAlone.code).not.toBe(0);
    expect(runsAlone.stderr).toContain('--profile-runs needs --profile');
    const bad = await cli(env, ['bench', 'run', '--profile', 'full']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("Allowed choices are basic, detailed, optrace");
  });

  it('run manifest.json --profile: per-stage and per-op tables and a trace grouped by stage', async () => {
    env.binary('m.bin');
    env.file(
      'pipe.json',
      JSON.stringify({
        format: 'qnn-node-pipeline',
        version: 1,
        contexts: { m: { binary: 'm.bin', signature: [GRAPHS[0]] } },
        steps: [
          { op: 'fill', output: 'x', dtype: 'float32', dims: [1, 4], value: 1 },
          { loop: { count: 2 }, steps: [{ graph: 'add', inputs: { x: 'x', y: 'x' }, outputs: { z: 'x' } }] },
        ],
        outputs: { z: 'x' },
      }),
    );
    const trace = path.join(env.dir, 'pipe-trace.json');
    const r = await cli(env, ['run', 'pipe.json', '--mock', '--profile', 'detailed', '--trace', trace]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("profile 'detailed' (synthetic: mock backend, JS timings): per stage");
    expect(r.stdout).toMatch(/\/steps\/0 fill\s+host\s+1/);
    expect(r.stdout).toMatch(/\/steps\/1\/steps\/0 m\/add\s+graph\s+2/);
    expect(r.stdout).toMatch(/\/steps\/1\/steps\/0 m\/add\s+mock:latency\s+2/);
    const t = readTrace(trace);
    expect(traceShapeErrors(t)).toEqual([]);
    expect(t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name)).toEqual(['/steps/0 fill', '/steps/1/steps/0 m/add']);
    const json = await cli(env, ['run', 'pipe.json', '--mock', '--profile', 'basic', '--json']);
    const report = JSON.parse(json.stdout) as ManifestReport;
    expect(report.profile?.stages.map((s) => [s.stage, s.calls])).toEqual([
      ['/steps/0 fill', 1],
      ['/steps/1/steps/0 m/add', 2],
    ]);
    // --no-profile: a manifest that profiles every run, not this one.
    const manifest = JSON.parse(fs.readFileSync(path.join(env.dir, 'pipe.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(env.dir, 'pipe.json'), JSON.stringify({ ...manifest, profile: 'basic' }));
    const on = JSON.parse((await cli(env, ['run', 'pipe.json', '--mock', '--json'])).stdout) as ManifestReport;
    expect(on.profile).toBeDefined();
    const off = await cli(env, ['run', 'pipe.json', '--mock', '--no-profile', '--json']);
    expect(off.code, off.stderr).toBe(0);
    expect((JSON.parse(off.stdout) as ManifestReport).profile).toBeUndefined();
  });
});

describeNative('profiling from the CLI on the reference backend', () => {
  async function run(argv: string[]) {
    const io = captureIO({ cwd: env.dir, env: {} });
    const code = await main(argv, io);
    return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
  }

  it('bench run --profile detailed prints per-op times of the example and writes the trace', async () => {
    const trace = path.join(env.dir, 'bench.json');
    const r = await run(['bench', 'run', '-n', '5', '-w', '1', '--mode', 'sync', '--profile', 'detailed', '--profile-runs', '3', '--trace', trace, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("profile 'detailed', 3 run(s) per graph: per op");
    for (const op of ['ElementWiseAdd_0', 'MatMul_1', 'Softmax_2', 'Gather_0', 'Dequantize_0']) expect(r.stdout).toMatch(new RegExp(`${op}\\s+\\S+\\s+3 `));
    const t = readTrace(trace);
    expect(traceShapeErrors(t)).toEqual([]);
    expect(t.traceEvents.filter((e) => e.ph === 'X' && e.name === 'graphExecute')).toHaveLength(9);
    expect(t.traceEvents.find((e) => e.name === 'MatMul_1')?.args).toMatchObject({ type: 'node', op: 'MatMul' });
  });

  it('bench run --profile detailed with HTP-style cycle-unit node events: per-op rows in cycles, drawn in the trace', async () => {
    const trace = 'cycles.json'; // relative: resolved against the CLI's working directory
    const r = await withEnv({ QNN_REFERENCE_PROFILE_UNIT: 'cycles' }, () =>
      run(['bench', 'run', '-n', '2', '-w', '0', '--mode', 'sync', '-g', 'add', '--profile', 'detailed', '--profile-runs', '2', '--trace', trace, '-q']),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('no per-op events');
    expect(r.stdout).toMatch(/accelerator cycles/);
    expect(r.stdout).toMatch(/ElementWiseAdd_0\s+\S+\s+2\s+cycles /);
    const t = readTrace(path.join(env.dir, trace));
    expect(traceShapeErrors(t)).toEqual([]);
    const node = t.traceEvents.find((e) => e.name === 'ElementWiseAdd_0');
    expect(node).toMatchObject({ ph: 'X', args: { type: 'node', op: 'ElementWiseAdd' } });
    expect(typeof node!.args!.cycles).toBe('number');
  });

  it('bench run: the profiled pass votes --perf-profile and the report names it; --csv keeps the op table', async () => {
    const r = await run(['bench', 'run', '-n', '2', '-w', '0', '--mode', 'sync', '-g', 'add', '--perf-profile', 'burst', '--profile', 'detailed', '--profile-runs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchRunReport;
    expect(report.profile).toMatchObject({ level: 'detailed', perfProfile: 'burst' });
    const csv = await run(['bench', 'run', '-n', '2', '-w', '0', '--mode', 'sync', '-g', 'add', '--profile', 'detailed', '--profile-runs', '2', '--csv']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toContain('group,name,op,count,unit,total,mean,percent');
    expect(csv.stdout).toMatch(/,ElementWiseAdd_0,ElementWiseAdd,2,us,/);
  });

  it('run --profile of a binary: per graph and per op', async () => {
    const r = await run(['run', '--profile', 'detailed', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.profile?.stages.map((s) => [s.stage, s.calls])).toEqual([
      ['graph add', 1],
      ['graph embed_head', 1],
      ['graph dequantize', 1],
    ]);
    expect(report.profile?.ops.rows.map((x) => x.name).sort()).toEqual(['Dequantize_0', 'ElementWiseAdd_0', 'Gather_0', 'MatMul_1', 'Softmax_2']);
  });
});
