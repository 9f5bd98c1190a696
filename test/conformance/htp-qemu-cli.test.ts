/**
 * Conformance: the real libQnnHtpQemu (SDK host library) through the CLI. Its deviceCreate
 * never returns on a host without the emulated DSP (it forks the process and waits for a
 * child that deadlocks before it can exec), so:
 *   - `--no-device` loads it and reports what it says about itself;
 *   - `--timeout` gives up with TIMEOUT and the CLI exits (ending the forked child) instead
 *     of hanging.
 * Opt-in: skipped unless QNN_SDK_ROOT holds lib/x86_64-linux-clang/libQnnHtpQemu.so.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RuntimeReport } from '../../lib/cli/runtime.js';
import { addonAvailable } from '../../lib/native/binding.js';
import { cliChild } from '../cli/child.js';
import { HOST_RUNS_SDK_LIBS, sdkLibrary } from './helpers.js';

const HTP_QEMU = sdkLibrary('libQnnHtpQemu.so');
const SYSTEM = sdkLibrary('libQnnSystem.so');
const ready = Boolean(HTP_QEMU) && HOST_RUNS_SDK_LIBS && addonAvailable();

/** Live processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(!ready)('conformance: libQnnHtpQemu through the CLI (--no-device, --timeout)', () => {
  it('info --no-device loads it and reports its provider, versions and build id', async () => {
    const r = await cliChild(['info', '--json', '--backend', HTP_QEMU!, ...(SYSTEM ? ['--system', SYSTEM] : []), '--no-device', '--timeout', '60s'], { killAfterMs: 90_000 });
    expect(r.killed).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as RuntimeReport;
    expect(report.libraries[0]).toMatchObject({ role: 'backend', source: 'flag', path: HTP_QEMU });
    expect(report.backend?.device).toBe('none');
    expect(String(report.backend?.providerName)).toMatch(/HTP/);
    expect(String(report.backend?.buildId)).toMatch(/^v2\.\d+\.\d+/);
    console.info(`libQnnHtpQemu --no-device: ${report.backend?.providerName}, core ${report.backend?.coreApiVersion}, ${report.backend?.buildId}`);
  }, 120_000);

  it('info --timeout gives up on the hanging deviceCreate with TIMEOUT and exits, leaving no child behind', async () => {
    // A limit no other process uses marks the CLI's command line (and its forked copy's).
    const limit = `${3000 + Math.floor(Math.random() * 997)}ms`;
    const r = await cliChild(['info', '--backend', HTP_QEMU!, '--timeout', limit], { killAfterMs: 60_000 });
    expect(r.killed, 'the CLI hung after the timeout').toBe(false);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Error [TIMEOUT]: Qnn.load did not finish within ${limit.replace('ms', ' ms')}`);
    expect(r.stdout).toContain(`backend ${HTP_QEMU} was found but not used [TIMEOUT]`);
    // The forked copy of the CLI was ended, not left as an orphan.
    await new Promise((done) => setTimeout(done, 200));
    expect(processesWith(`--timeout\0${limit}`)).toEqual([]);
    console.info(`libQnnHtpQemu --timeout ${limit}: exit ${r.code} after ${r.ms} ms`);
  }, 90_000);
});
