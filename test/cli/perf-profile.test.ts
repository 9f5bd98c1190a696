/**
 * `--perf-profile` of `run` (binaries and manifests) and `bench run`: the profile reaches
 * the backend with every graph run. Against the reference backend, whose call journal shows
 * the votes (switching once: every later run names the same profile).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { BenchRunReport } from '../../lib/cli/commands/bench-run.js';
import { captureIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { ADD, describeNative, writeBinary } from '../native/helpers.js';
import { withJournal, type Journal } from '../native/journal.js';

async function run(argv: string[], cwd: string) {
  const io = captureIO({ cwd, env: {} });
  const code = await main(argv, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** Each setPowerConfig as "<sleep latency>/<bus corner>" (burst 40/160, balanced 1000/112, release 65535/16). */
const votes = (j: Journal): string[] =>
  j.entries('setPowerConfig').map((e) => {
    const dcvs = (e.configs as { sleepLatency: number; busVoltageCornerMin: number }[])[0];
    return `${dcvs.sleepLatency}/${dcvs.busVoltageCornerMin}`;
  });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-cli-perf-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeNative('--perf-profile', () => {
  const bin = writeBinary(dir, 'add.bin', ADD);

  it('run <binary> --perf-profile votes it for the run, once', async () => {
    await withJournal(dir, async (j) => {
      const r = await run(['run', bin, '--backend', 'reference', '--fill', 'ones', '--perf-profile', 'burst', '--json'], dir);
      expect(r.code, r.stderr).toBe(0);
      expect(votes(j)).toEqual(['40/160', '65535/16']); // burst, then the release at exit
      j.clear();
      const plain = await run(['run', bin, '--backend', 'reference', '--fill', 'ones', '--json'], dir);
      expect(plain.code, plain.stderr).toBe(0);
      expect(votes(j)).toEqual([]);
    });
  });

  it('run <manifest> --perf-profile replaces the manifest profile; step profiles stay', async () => {
    fs.writeFileSync(
      path.join(dir, 'm.json'),
      JSON.stringify({
        format: 'qnn-node-pipeline',
        version: 1,
        perfProfile: 'balanced',
        contexts: { m: { binary: 'add.bin' } },
        steps: [
          { op: 'fill', output: 'x', dtype: 'float32', dims: [2, 3], value: 1 },
          { graph: 'add', inputs: { a: 'x', b: 'x' }, outputs: { out: 'y' } },
          { graph: 'add', inputs: { a: 'y', b: 'x' }, outputs: { out: 'z' }, perfProfile: 'burst' },
        ],
        outputs: { z: 'z' },
      }),
    );
    await withJournal(dir, async (j) => {
      const r = await run(['run', 'm.json', '--backend', 'reference', '--json'], dir);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { outputs: { z: { head: number[] } } }).outputs.z.head).toEqual([3, 3, 3, 3, 3, 3]);
      expect(votes(j)).toEqual(['1000/112', '40/160', '65535/16']);
      j.clear();
      const o = await run(['run', 'm.json', '--backend', 'reference', '--perf-profile', 'power_saver', '--json'], dir);
      expect(o.code, o.stderr).toBe(0);
      expect(votes(j)).toEqual(['1000/64', '40/160', '65535/16']);
    });
  });

  it('bench run --perf-profile votes once and reports the profile', async () => {
    await withJournal(dir, async (j) => {
      const r = await run(['bench', 'run', bin, '--backend', 'reference', '-n', '20', '-w', '2', '--perf-profile', 'balanced', '--json', '-q'], dir);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as BenchRunReport;
      expect(report.perfProfile).toBe('balanced');
      expect(report.results.map((x) => x.count)).toEqual([20, 20]);
      expect(votes(j)).toEqual(['1000/112', '65535/16']);
      const text = await run(['bench', 'run', bin, '--backend', 'reference', '-n', '2', '-w', '0', '--perf-profile', 'burst', '-q'], dir);
      expect(text.stdout).toContain('perf profile burst');
    });
  });

  it('info reports power control or why it is unavailable', async () => {
    const on = await run(['info', '--json', '--backend', 'reference'], dir);
    expect(on.code, on.stderr).toBe(0);
    expect((JSON.parse(on.stdout) as { backend: { power: string } }).backend.power).toMatch(/^perf profiles and raw configs \(dcvsV3, /);
    const off = await run(['info', '--json', '--backend', 'reference', '--no-device'], dir);
    expect((JSON.parse(off.stdout) as { backend: { power: string } }).backend.power).toBe(
      'unavailable: the runtime was loaded with device: false (power votes go to a QNN device)',
    );
  });

  it('refuses an unknown profile name (usage error)', async () => {
    const r = await run(['run', bin, '--backend', 'reference', '--perf-profile', 'warp'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--perf-profile <name>' argument 'warp' is invalid. Allowed choices are burst, /);
    const b = await run(['bench', 'run', bin, '--perf-profile', 'max'], dir);
    expect(b.code).toBe(2);
  });

  it('without power control the run fails with POWER_UNAVAILABLE naming the reason', async () => {
    const r = await run(['run', bin, '--backend', 'reference', '--no-device', '--fill', 'ones', '--perf-profile', 'burst'], dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/POWER_UNAVAILABLE|power control is unavailable \(the runtime was loaded with device: false/);
  });
});
