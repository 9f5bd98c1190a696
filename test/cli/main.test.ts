import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_ENVIRONMENT, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeFor } from '../../lib/cli/exit-codes.js';
import { QnnNodeError } from '../../lib/errors.js';
import { cli, testEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
beforeEach(() => {
  env = testEnv();
});
afterEach(() => env.cleanup());

describe('qnn-node main', () => {
  it('prints help with every command and exits 0', async () => {
    const r = await cli(env, ['--help']);
    expect(r.code).toBe(EXIT_OK);
    for (const cmd of ['info', 'inspect', 'run', 'bench']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    expect(r.stdout).toContain('Exit codes');
  });

  it.each([['info'], ['inspect'], ['run'], ['bench'], ['bench', 'load'], ['bench', 'run']])('has --help for %s', async (...cmd) => {
    const r = await cli(env, [...cmd, '--help']);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain(`Usage: qnn-node ${cmd.join(' ')}`);
    expect(env.counts.opened).toBe(0);
  });

  it('prints the version', async () => {
    const r = await cli(env, ['--version']);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on an unknown command', async () => {
    const r = await cli(env, ['frobnicate']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 on an unknown option', async () => {
    const r = await cli(env, ['inspect', '--frob']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain("unknown option '--frob'");
  });

  it('exits 2 on a bad option value', async () => {
    const r = await cli(env, ['bench', 'run', '--count', 'many']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain('positive integer');
  });

  it('exits 2 for bench without a subcommand', async () => {
    const r = await cli(env, ['bench']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain('Usage: qnn-node bench');
  });

  it('maps error codes to exit codes', () => {
    expect(exitCodeFor(new QnnNodeError('CLI_USAGE', 'x'))).toBe(EXIT_USAGE);
    for (const code of ['ADDON_NOT_FOUND', 'LIBRARY_LOAD_FAILED', 'SYMBOL_NOT_FOUND', 'NO_PROVIDER', 'UNSUPPORTED_VERSION'] as const) {
      expect(exitCodeFor(new QnnNodeError(code, 'x'))).toBe(EXIT_ENVIRONMENT);
    }
    for (const code of ['FILE_NOT_FOUND', 'BINARY_INVALID', 'UNKNOWN_GRAPH', 'QNN_ERROR', 'NPY_MALFORMED'] as const) {
      expect(exitCodeFor(new QnnNodeError(code, 'x'))).toBe(EXIT_FAILURE);
    }
    expect(exitCodeFor(new Error('plain'))).toBe(EXIT_FAILURE);
  });

  it('prints details and the stack with --verbose', async () => {
    const quiet = await cli(env, ['inspect', 'missing.bin']);
    expect(quiet.stderr).not.toContain('    at ');
    const loud = await cli(env, ['--verbose', 'inspect', 'missing.bin']);
    expect(loud.code).toBe(EXIT_FAILURE);
    expect(loud.stderr).toContain('details: {"path":');
    expect(loud.stderr).toContain('    at ');
  });

  it('reports an environment failure of the runtime with exit code 3', async () => {
    const r = await cli({ ...env, runtime: { ...env.runtime, openBackend: async () => Promise.reject(new QnnNodeError('ADDON_NOT_FOUND', 'no addon here')) } }, ['run']);
    expect(r.code).toBe(EXIT_ENVIRONMENT);
    expect(r.stderr).toContain('no addon here [ADDON_NOT_FOUND]');
  });
});
