/**
 * Conformance: power votes against the real libQnnSaver (x86_64 Linux host library of the
 * SDK in $QNN_SDK_ROOT). Opt-in: skipped unless QNN_SDK_ROOT is set (docs/conformance.md).
 *
 * Measured with SDK 2.25: Saver's table has deviceGetInfrastructure, Saver records the call,
 * and it answers QNN_SAVER_ERROR_DUMMY_RETVALUE (4950) with no infrastructure, so nothing of
 * the perf infrastructure can be recorded through it. The runtime must therefore report
 * power control as unavailable with that status, refuse profiles with POWER_UNAVAILABLE,
 * and never call a perf function (Saver's recording shows no such call).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { addonAvailable } from '../../lib/native/binding.js';
import { HOST_RUNS_SDK_LIBS, SDK_ROOT, sdkLibrary } from './helpers.js';

const SAVER = sdkLibrary('libQnnSaver.so');
const ready = Boolean(SDK_ROOT) && HOST_RUNS_SDK_LIBS && Boolean(SAVER) && addonAvailable();

describe.skipIf(!ready)('conformance: power votes through the real libQnnSaver', () => {
  let cwd = '';
  let work = '';
  beforeAll(() => {
    cwd = process.cwd();
    work = mkdtempSync(join(tmpdir(), 'qnn-node-power-conformance-'));
    process.chdir(work); // Saver writes saver_output/ here
  });
  afterAll(() => {
    if (cwd) process.chdir(cwd);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('reports why power control is unavailable, refuses profiles, and calls no perf function', async () => {
    const refused = await Qnn.load({ backend: SAVER!, system: false, perfProfile: 'burst' }).catch((e: unknown) => e);
    const qnn = await Qnn.load({ backend: SAVER!, system: false });
    const power = qnn.info.power;
    console.info(`libQnnSaver ${qnn.info.buildId}: power ${power.available ? 'available' : `unavailable: ${power.reason}`}`);
    try {
      if (power.available) {
        // A Saver that hands out the HTP perf infrastructure: a vote must be recorded.
        await qnn.setPerfProfile('burst');
      } else {
        expect(power.reason).toMatch(/deviceGetInfrastructure failed with \w+ \(\d+\)/);
        expect(refused).toMatchObject({ code: 'POWER_UNAVAILABLE' });
        await expect(qnn.setPerfProfile('balanced')).rejects.toMatchObject({ code: 'POWER_UNAVAILABLE' });
      }
    } finally {
      await qnn.dispose();
    }
    const source = readFileSync(join(work, 'saver_output', 'saver_output.c'), 'utf8');
    const calls = [...source.matchAll(/interface\.(\w+)\(/g)].map((m) => m[1]);
    expect(calls).toContain('deviceGetInfrastructure');
    if (!power.available) expect(source).not.toMatch(/PowerConfig/);
    else expect(source).toMatch(/PowerConfig/);
  });
});
