import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeReport } from '../../lib/cli/runtime.js';
import { cli, testEnv, type TestEnv } from './helpers.js';

let env: TestEnv | undefined;
afterEach(() => env?.cleanup());

describe('qnn-node info', () => {
  it('prints libraries, how they were found, and backend facts', async () => {
    env = testEnv();
    const r = await cli(env, ['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/backend\s+bundled reference backend\s+\/x\/libQnnReference\.so/);
    expect(r.stdout).toMatch(/system\s+bundled reference backend\s+\/x\/libQnnReferenceSystem\.so/);
    expect(r.stdout).toContain('id: 4242');
    expect(r.stdout).toContain('coreApiVersion: 2.32.0');
    expect(r.stdout).toContain('os: testos');
  });

  it('--json prints the report', async () => {
    env = testEnv();
    const r = await cli(env, ['info', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as RuntimeReport;
    expect(report.qnnNode.version).toBe('9.9.9');
    expect(report.libraries.map((l) => [l.role, l.source])).toEqual([
      ['backend', 'bundled-reference'],
      ['system', 'bundled-reference'],
    ]);
    expect(report.backend).toEqual({ id: 4242, coreApiVersion: '2.32.0' });
  });

  it('prints the device platform section and keeps it in --json', async () => {
    const platform = {
      version: 1,
      devices: [
        { id: 0, type: 2, cores: [{ id: 0, type: 4 }, { id: 1, type: 4 }], hasExtension: true },
        { id: 7, type: 1, cores: [], hasExtension: false },
      ],
    };
    env = testEnv({ backend: { id: 4242, platform } });
    const r = await cli(env, ['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Device platform\n  device 0: type 2, 2 cores (types 4, 4), extension\n  device 7: type 1, 0 cores\n');
    expect(r.stdout).not.toContain('hasExtension');
    const json = await cli(env, ['info', '--json']);
    expect((JSON.parse(json.stdout) as RuntimeReport).backend?.platform).toEqual(platform);
    env.cleanup();
    env = testEnv({ backend: { id: 4242, platform: null, platformError: 'deviceGetPlatformInfo failed with QNN_DEVICE_ERROR_HARDWARE_UNAVAILABLE (14002)' } });
    const failed = await cli(env, ['info']);
    expect(failed.stdout).toContain('Device platform\n  not reported\n  error: deviceGetPlatformInfo failed with QNN_DEVICE_ERROR_HARDWARE_UNAVAILABLE (14002)\n');
  });

  it('passes --backend/--system/--log-level to the runtime', async () => {
    env = testEnv();
    let seen: unknown;
    const r = await cli({ ...env, runtime: { ...env.runtime, report: async (sel) => ((seen = sel), env!.runtime.report(sel)) } }, [
      'info',
      '--backend',
      '/opt/libQnnHtp.so',
      '--system',
      'libQnnSystem.so',
      '--log-level',
      'debug',
    ]);
    expect(r.code).toBe(0);
    expect(seen).toEqual({ backend: '/opt/libQnnHtp.so', system: 'libQnnSystem.so', logLevel: 'debug' });
  });

  it('rejects an unknown log level with exit code 2', async () => {
    env = testEnv();
    const r = await cli(env, ['info', '--log-level', 'chatty']);
    expect(r.code).toBe(2);
  });

  it('prints what it found and exits 3 when a library is missing', async () => {
    env = testEnv({
      libraries: [{ role: 'backend', requested: 'libQnnHtp.so', source: 'not-found', tried: ['/sdk/lib/libQnnHtp.so', 'libQnnHtp.so (search path)'] }],
      backend: undefined,
      error: { code: 'LIBRARY_LOAD_FAILED', message: 'libQnnHtp.so: cannot open shared object file' },
    });
    const r = await cli(env, ['info']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('libQnnHtp.so (not found)');
    expect(r.stdout).toContain('/sdk/lib/libQnnHtp.so');
    expect(r.stdout).toContain('Error [LIBRARY_LOAD_FAILED]');
    const json = await cli(env, ['info', '--json']);
    expect(json.code).toBe(3);
    expect((JSON.parse(json.stdout) as RuntimeReport).error?.code).toBe('LIBRARY_LOAD_FAILED');
  });
});
