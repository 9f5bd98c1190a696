#!/usr/bin/env node
/*
 * npm "install" lifecycle script of qnn-node. It downloads nothing itself (a Windows source
 * build is the one exception: node-gyp fetches node.lib there, see docs/building.md).
 *
 *  - In a clone of the repository (`npm install` / `npm ci` at its root, devDependencies
 *    present): build the addon AND the reference backend with cmake-js into build/Release.
 *    (TypeScript is compiled by the "prepare" script.)
 *  - Installed as a package: check, in a child process, that the native code node-gyp-build
 *    would load (a prebuild from prebuilds/<platform>-<arch>/, or an earlier build/Release)
 *    loads here together with the reference backend (scripts/check-native.mjs). When it does
 *    not (no prebuild for this platform, or one made for a newer glibc/libstdc++, or for
 *    glibc on musl), build the addon and the reference backend from source with node-gyp
 *    (binding.gyp), against local headers (scripts/nodedir.cjs), and check the result.
 *
 * QNN_SDK_ROOT=<sdk> compiles against the real QNN SDK headers in both builds.
 * QNN_NODE_SKIP_BUILD=1 skips the native build (e.g. a TypeScript-only checkout).
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { nodedirArgs } = require('./nodedir.cjs');

const root = path.resolve(__dirname, '..');
const CHECK_TIMEOUT_MS = 60_000;

function log(msg) {
  process.stdout.write(`qnn-node: ${msg}\n`);
}

function run(cmd, args, env, shell = false) {
  log(`${path.basename(cmd)} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env }, shell });
  if (r.error) throw r.error;
  return r.status === 0;
}

function resolveFrom(id) {
  try {
    return require.resolve(id, { paths: [root] });
  } catch {
    return undefined;
  }
}

function parallelism() {
  const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return String(Math.max(1, Math.min(cpus, 4)));
}

function isRepositoryCheckout() {
  // npm sets INIT_CWD to where it was invoked: equal to the package root only when the
  // package itself is being installed (not when it is someone's dependency).
  const initCwd = process.env.INIT_CWD ? path.resolve(process.env.INIT_CWD) : undefined;
  return (
    initCwd === root &&
    fs.existsSync(path.join(root, 'CMakeLists.txt')) &&
    fs.existsSync(path.join(root, 'lib', 'index.ts')) &&
    resolveFrom('cmake-js/package.json') !== undefined
  );
}

function buildWithCmakeJs() {
  const pkg = resolveFrom('cmake-js/package.json');
  const bin = path.join(path.dirname(pkg), 'bin', 'cmake-js');
  return run(process.execPath, [bin, 'compile', '--out', 'build'], { CMAKE_BUILD_PARALLEL_LEVEL: process.env.CMAKE_BUILD_PARALLEL_LEVEL || parallelism() });
}

/** The addon node-gyp-build would load here, or undefined. */
function addonToLoad() {
  const ngb = resolveFrom('node-gyp-build');
  if (!ngb) return undefined;
  try {
    return require(ngb).path(root);
  } catch {
    return undefined;
  }
}

/**
 * Loads the addon and the reference backend in a child process (a library that cannot be
 * loaded, or crashes while loading, must not take the install down with it).
 */
function nativeCodeLoads() {
  const env = { ...process.env };
  // The package's own files are checked, not a user's override.
  delete env.QNN_NODE_ADDON;
  delete env.QNN_NODE_REFERENCE_DIR;
  const r = spawnSync(process.execPath, [path.join(__dirname, 'check-native.mjs'), root], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: CHECK_TIMEOUT_MS,
  });
  if (r.error) return { ok: false, error: r.error.message };
  const line = (r.stdout || '').trim().split('\n').pop() || '';
  try {
    return JSON.parse(line);
  } catch {
    return { ok: false, error: `the load check exited with ${r.status ?? r.signal}: ${(r.stderr || r.stdout || '').trim().split('\n')[0]}` };
  }
}

function buildWithNodeGyp() {
  const headers = nodedirArgs(root);
  log(`Node headers: ${headers.source}`);
  const jobs = process.env.JOBS || process.env.npm_config_jobs ? [] : [`--jobs=${parallelism()}`];
  const args = ['rebuild', ...headers.args, ...jobs];
  const gyp = process.env.npm_config_node_gyp;
  if (gyp && fs.existsSync(gyp)) return run(process.execPath, [gyp, ...args], {});
  // A .cmd file only runs through a shell (Node refuses to spawn it directly since 20.12.2).
  if (process.platform === 'win32') return run('node-gyp.cmd', args, {}, true);
  return run('node-gyp', args, {});
}

function main() {
  if (process.env.QNN_NODE_SKIP_BUILD) {
    log('QNN_NODE_SKIP_BUILD is set: skipping the native build');
    return 0;
  }
  if (isRepositoryCheckout()) {
    log('repository checkout: building the addon and the reference backend with cmake-js');
    return buildWithCmakeJs() ? 0 : 1;
  }
  const target = `${process.platform}-${process.arch}`;
  const existing = addonToLoad();
  if (existing) {
    const check = nativeCodeLoads();
    if (check.ok) {
      log(`using ${path.relative(root, existing)} (loads here, with the reference backend ${path.relative(root, check.backend)})`);
      return 0;
    }
    log(`${path.relative(root, existing)} does not load here: ${check.error}`);
    log(`building the addon and the reference backend from source with node-gyp instead`);
  } else {
    log(`no prebuild for ${target}: building the addon and the reference backend from source with node-gyp`);
  }
  if (!buildWithNodeGyp()) {
    process.stderr.write(
      'qnn-node: the source build failed. It needs Python 3, make and a C++17 compiler (g++ or clang++;\n' +
        '  Termux: pkg install clang make python; Debian/Ubuntu: apt-get install python3 make g++).\n',
    );
    return 1;
  }
  const built = nativeCodeLoads();
  if (!built.ok) {
    process.stderr.write(`qnn-node: the source build finished but does not load: ${built.error}\n${built.detail ?? ''}\n`);
    return 1;
  }
  log(`built ${path.relative(root, addonToLoad() ?? 'build/Release')} and ${path.relative(root, built.backend)}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`qnn-node: native build failed: ${e && e.message ? e.message : e}\n`);
  process.exitCode = 1;
}
