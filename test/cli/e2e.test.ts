/**
 * The bin as users run it, in a child process: through tsx from the sources, and the
 * built dist/cli/main.js through a symlink as npm installs it (shebang, entry-point
 * detection through the link, exit codes). The dist run needs `npm run build:ts`: it is
 * skipped locally without a build and FAILS when CI is set.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeReady } from '../native/helpers.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const dist = path.join(root, 'dist', 'cli', 'main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-cli-e2e-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function spawnCli(command: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(command, args, { cwd: tmp, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('qnn-node bin from the sources (tsx)', () => {
  const main = path.join(root, 'lib', 'cli', 'main.ts');
  const cli = (...args: string[]) => spawnCli(process.execPath, ['--import', tsx, main, ...args]);

  it('prints the version and help, exit 0', () => {
    const v = cli('--version');
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const h = cli('bench', 'load', '--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--cold');
  });

  it('exits 2 on a usage error and 1 on a missing file', () => {
    expect(cli('--frobnicate').code).toBe(2);
    const missing = cli('inspect', 'missing.bin');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('[FILE_NOT_FOUND]');
  });

  it('exits 3 when the addon cannot be loaded', () => {
    const env = { QNN_NODE_ADDON: path.join(tmp, 'missing.node') };
    const info = spawnCli(process.execPath, ['--import', tsx, main, 'info', '--json'], env);
    expect(info.code).toBe(3);
    expect(JSON.parse(info.stdout).error.code).toBe('ADDON_NOT_FOUND');
    const run = spawnCli(process.execPath, ['--import', tsx, main, 'run'], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('[ADDON_NOT_FOUND]');
  });

  it.runIf(nativeReady || process.env.CI)('inspects the bundled example with no arguments', () => {
    const r = cli('inspect');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Graph embed_head');
  });
});

const distBuilt = fs.existsSync(dist);
describe.runIf(distBuilt || process.env.CI)('qnn-node bin from dist/ through an npm-style symlink', () => {
  const link = path.join(tmp, 'bin', 'qnn-node');

  it('is built (npm run build:ts)', () => {
    expect(fs.existsSync(dist), `${dist} missing: run npm run build:ts`).toBe(true);
    expect(fs.readFileSync(dist, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('runs through the shebang with the exit codes scripts rely on', () => {
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.chmodSync(dist, 0o755); // what npm does for "bin" entries on install
    fs.symlinkSync(dist, link);
    const v = spawnCli(link, ['--version']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    expect(spawnCli(link, ['nope']).code).toBe(2);
    expect(spawnCli(link, ['run', 'missing.bin']).code).toBe(1);
  });

  it.runIf(nativeReady || process.env.CI)('runs the bundled example with no flags', () => {
    const r = spawnCli(link, ['run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Graph add: execute/);
  });
});
