/**
 * `qnn-node` diagnostics on the real runtime (issue 8 §3): info names a library that was
 * found but not used (with what it reported and why), the addon actually loaded, the
 * platform's library names; --no-device, --timeout and --allow-reference.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { libraryLoadError } from '../../lib/backend/qnn/libraries.js';
import { createDefaultRuntime } from '../../lib/cli/default-runtime.js';
import { captureIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import type { RuntimeReport } from '../../lib/cli/runtime.js';
import { loadedAddonPath, referenceBackendPaths } from '../../lib/native/binding.js';
import { describeNative, withEnv } from '../native/helpers.js';
import { cliChild } from './child.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-cli-diag-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  const io = captureIO({ cwd: dir });
  const code = await main(argv, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/**
 * A fake SDK whose libQnnHtp.so / libQnnSystem.so are COPIES of the reference libraries
 * (a copy loads as a library of its own), in a folder named `name`: the reference knobs
 * are scoped to it with QNN_REFERENCE_KNOBS_FOR, so the bundled reference stays healthy.
 */
function fakeSdk(name: string): { root: string; htp: string } {
  const libDir = path.join(dir, name, 'lib', 'x86_64-linux-clang');
  fs.mkdirSync(libDir, { recursive: true });
  const ref = referenceBackendPaths();
  fs.copyFileSync(ref.backend, path.join(libDir, 'libQnnHtp.so'));
  fs.copyFileSync(ref.system, path.join(libDir, 'libQnnSystem.so'));
  return { root: path.join(dir, name), htp: path.join(libDir, 'libQnnHtp.so') };
}

const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

describeNative('qnn-node info: libraries found but not used', () => {
  it.runIf(linuxX64)('--backend <refused library>: found via the flag, with its provider, versions, build id and the error', async () => {
    const sdk = fakeSdk('refused-flag');
    const r = await withEnv({ QNN_REFERENCE_KNOBS_FOR: 'refused-flag', QNN_REFERENCE_API_VERSION: 'core=2.10.0,backend=5.10.0' }, () => run(['info', '--json', '--backend', sdk.htp]));
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as RuntimeReport;
    const backend = report.libraries[0];
    expect(backend).toMatchObject({ role: 'backend', source: 'flag', path: sdk.htp, error: { code: 'UNSUPPORTED_VERSION' } });
    expect(backend.reported).toMatchObject({ stage: 'version', reportedCoreApi: '2.10.0', minimumCoreApi: '2.14.0' });
    expect(backend.reported?.buildId).toContain('core 2.10.0');
    expect(backend.reported?.providers).toContain('QNN_NODE_REFERENCE (backend id 20050, core API 2.10.0, backend API 5.10.0)');
    expect(report.backend).toMatchObject({ reportedCoreApi: '2.10.0' });
    expect(report.error?.code).toBe('UNSUPPORTED_VERSION');
    const text = await withEnv({ QNN_REFERENCE_KNOBS_FOR: 'refused-flag', QNN_REFERENCE_API_VERSION: 'core=2.10.0' }, () => run(['info', '--backend', sdk.htp]));
    expect(text.stdout).toContain(`backend ${sdk.htp} was found but not used [UNSUPPORTED_VERSION]`);
    expect(text.stdout).toMatch(/buildId: qnn-node reference .*core 2\.10\.0/);
  });

  it.runIf(linuxX64)('--backend <library whose backendCreate fails>: provider, API versions and build id', async () => {
    const sdk = fakeSdk('bcreate-flag');
    const r = await withEnv({ QNN_REFERENCE_KNOBS_FOR: 'bcreate-flag', QNN_REFERENCE_FAIL: 'backendCreate=4000' }, () => run(['info', '--json', '--backend', sdk.htp]));
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as RuntimeReport;
    expect(report.libraries[0]).toMatchObject({ source: 'flag', path: sdk.htp, error: { code: 'QNN_ERROR' } });
    expect(report.libraries[0].reported).toMatchObject({ stage: 'backendCreate', providerName: 'QNN_NODE_REFERENCE', coreApiVersion: '2.32.0', backendApiVersion: '5.43.0' });
    expect(report.libraries[0].reported?.buildId).toContain('qnn-node reference');
    expect(report.error?.message).toContain('QNN_BACKEND_ERROR_CANNOT_INITIALIZE');
  });

  it.runIf(linuxX64)('default libQnnHtp found but refused: says so and exits non-zero unless --allow-reference', async () => {
    const sdk = fakeSdk('refused-default');
    const env = { QNN_SDK_ROOT: sdk.root, QNN_REFERENCE_KNOBS_FOR: 'refused-default', QNN_REFERENCE_FAIL: 'backendCreate=4000' };
    const r = await withEnv(env, () => run(['info', '--json']));
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as RuntimeReport;
    expect(report.libraries[0]).toMatchObject({ role: 'backend', requested: 'libQnnHtp.so', path: sdk.htp, source: 'QNN_SDK_ROOT', error: { code: 'QNN_ERROR' } });
    expect(report.error?.message).toContain(`libQnnHtp.so was found at ${sdk.htp} but not used`);
    expect(report.error?.message).toContain('--allow-reference');
    expect(String(report.backend?.note)).toContain(`libQnnHtp.so was found at ${sdk.htp} but not used (QNN_ERROR)`);
    expect(String(report.backend?.note)).not.toContain('no QNN backend library found');
    expect(report.backend?.providerName).toBe('QNN_NODE_REFERENCE');
    const allowed = await withEnv(env, () => run(['info', '--json', '--allow-reference']));
    expect(allowed.code, allowed.stderr).toBe(0);
    const accepted = JSON.parse(allowed.stdout) as RuntimeReport;
    expect(accepted.error).toBeUndefined();
    expect(accepted.libraries[0].error?.code).toBe('QNN_ERROR');
    // Too old a core API is refused the same way.
    const old = await withEnv({ ...env, QNN_REFERENCE_FAIL: '', QNN_REFERENCE_API_VERSION: 'core=2.12.0' }, () => run(['info']));
    expect(old.code).toBe(3);
    expect(old.stdout).toContain('Error [UNSUPPORTED_VERSION]: libQnnHtp.so was found at');
  });

  it('with no QNN library at all, info still exits 0 on the bundled reference backend', async () => {
    const r = await withEnv({ QNN_SDK_ROOT: path.join(dir, 'empty-sdk') }, () => run(['info', '--json']));
    expect(r.code, r.stdout).toBe(0);
    expect(String((JSON.parse(r.stdout) as RuntimeReport).backend?.note)).toContain('no QNN backend library found');
  });
});

describeNative('qnn-node info: what was loaded', () => {
  it('the addon line is the file actually loaded (QNN_NODE_ADDON)', async () => {
    const loaded = loadedAddonPath();
    expect(loaded && fs.existsSync(loaded)).toBeTruthy();
    const copy = path.join(dir, 'addon-copy', 'qnn_node.node');
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.copyFileSync(loaded!, copy);
    const r = await cliChild(['info', '--json', '--backend', 'reference'], { env: { QNN_NODE_ADDON: copy }, killAfterMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as RuntimeReport).qnnNode.addon).toBe(copy);
  });

  it('library names follow the platform (QnnHtp.dll / QnnSystem.dll on Windows)', async () => {
    const runtime = await createDefaultRuntime({ platform: 'win32' });
    const report = await withEnv({ QNN_SDK_ROOT: path.join(dir, 'empty-sdk') }, () => runtime.report({}));
    expect(report.libraries.map((l) => l.requested)).toEqual(['QnnHtp.dll', 'reference', 'QnnSystem.dll']);
    expect(String(report.backend?.note)).toContain('no QNN backend library found (QnnHtp.dll)');
    const err = libraryLoadError('system', [], undefined, 'win32', 'x64');
    expect(err.message).toContain('Could not load the QNN System library (QnnSystem.dll)');
    expect(err.message).toContain('add the folder that holds QnnSystem.dll to PATH');
    expect(err.message).toContain('lib/x86_64-windows-msvc');
    expect(err.message).not.toContain('.so');
  });
});

describeNative('--no-device and --timeout', () => {
  it('--no-device loads without a device, on every command that loads libraries', async () => {
    const info = await run(['info', '--json', '--backend', 'reference', '--no-device']);
    expect(info.code, info.stderr).toBe(0);
    expect((JSON.parse(info.stdout) as RuntimeReport).backend?.device).toBe('none');
    for (const argv of [['inspect', '--no-device'], ['run', '--no-device'], ['bench', 'run', '--no-device', '-n', '1', '-w', '0', '-q']]) {
      const r = await withEnv({ QNN_REFERENCE_DELAY_MS: 'deviceCreate=20000' }, () => run([...argv, '--timeout', '5s']));
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it('--timeout gives up on a stalled load with TIMEOUT, and the process exits', async () => {
    const r = await cliChild(['info', '--backend', 'reference', '--timeout', '300ms'], { env: { QNN_REFERENCE_DELAY_MS: 'deviceCreate=30000' }, killAfterMs: 20_000 });
    expect(r.killed).toBe(false);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Error [TIMEOUT]: Qnn.load did not finish within 300 ms');
    const bad = await run(['info', '--timeout', 'soon']);
    expect(bad.code).toBe(2);
  });

  it('--timeout also limits context loads', async () => {
    const r = await cliChild(['inspect', '--timeout', '300ms'], { env: { QNN_REFERENCE_DELAY_MS: 'contextCreateFromBinary=30000' }, killAfterMs: 20_000 });
    expect(r.killed).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Qnn#loadContext did not finish within 300 ms\. .*cannot be interrupted.* \[TIMEOUT\]/);
  });
});
