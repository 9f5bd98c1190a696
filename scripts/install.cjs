#!/usr/bin/env node
/*
 * npm "install" lifecycle script of qnn-node. No downloads, ever.
 *
 *  - In a clone of the repository (`npm install` / `npm ci` at its root, devDependencies
 *    present): build the addon AND the reference backend with cmake-js into build/Release.
 *    (TypeScript is compiled by the "prepare" script.)
 *  - Installed from the registry: use a prebuild from prebuilds/<platform>-<arch>/ when one
 *    loads (node-gyp-build); otherwise build the addon from source with node-gyp.
 *
 * QNN_SDK_ROOT=<sdk> compiles against the real QNN SDK headers in both builds.
 * QNN_NODE_SKIP_BUILD=1 skips the native build (e.g. a TypeScript-only checkout).
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function log(msg) {
  process.stdout.write(`qnn-node: ${msg}\n`);
}

function run(cmd, args, env) {
  log(`${path.basename(cmd)} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
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
  const parallel = process.env.CMAKE_BUILD_PARALLEL_LEVEL || String(Math.max(1, Math.min(os.cpus().length, 4)));
  return run(process.execPath, [bin, 'compile', '--out', 'build'], { CMAKE_BUILD_PARALLEL_LEVEL: parallel });
}

function prebuildLoads() {
  const ngb = resolveFrom('node-gyp-build');
  if (!ngb) return false;
  try {
    const found = require(ngb).path(root);
    log(`using ${path.relative(root, found)}`);
    return true;
  } catch {
    return false;
  }
}

function buildWithNodeGyp() {
  const gyp = process.env.npm_config_node_gyp;
  if (gyp && fs.existsSync(gyp)) return run(process.execPath, [gyp, 'rebuild'], {});
  return run(process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp', ['rebuild'], {});
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
  if (prebuildLoads()) return 0;
  log(`no prebuild for ${process.platform}-${process.arch}: building the addon with node-gyp`);
  return buildWithNodeGyp() ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`qnn-node: native build failed: ${e && e.message ? e.message : e}\n`);
  process.exitCode = 1;
}
