#!/usr/bin/env node
/*
 * Maintainers: make prebuilds/<platform>-<arch>/ for the registry package
 * (`npm run make-prebuilds`).
 *   1. prebuildify --napi --strip   → prebuilds/<platform>-<arch>/qnn-node.node (node-gyp)
 *   2. cmake-js compile             → build/Release (addon + reference backend)
 *   3. copy libQnnReference + libQnnReferenceSystem next to the prebuilt addon, so that
 *      Qnn.load({ backend: 'reference' }) works for users installing from the registry.
 * QNN_SDK_ROOT is honoured by both builds.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);

function run(args) {
  process.stdout.write(`qnn-node: node ${args.map((a) => path.relative(root, a) || a).join(' ')}\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// Run through npm (`npm run make-prebuilds`), which puts node-gyp on PATH and passes
// nodedir; the target is this Node (Node-API: one build serves every later version).
run([require.resolve('prebuildify/bin.js', { paths: [root] }), '--napi', '--strip', '-t', `node@${process.versions.node}`]);
run([path.join(path.dirname(require.resolve('cmake-js/package.json', { paths: [root] })), 'bin', 'cmake-js'), 'compile', '--out', 'build']);
const names =
  process.platform === 'win32'
    ? ['QnnReference.dll', 'QnnReferenceSystem.dll']
    : process.platform === 'darwin'
      ? ['libQnnReference.dylib', 'libQnnReferenceSystem.dylib']
      : ['libQnnReference.so', 'libQnnReferenceSystem.so'];
fs.mkdirSync(target, { recursive: true });
for (const name of names) {
  const dest = path.join(target, name);
  fs.copyFileSync(path.join(root, 'build', 'Release', name), dest);
  // Ship them stripped like the addon (prebuildify --strip); a missing strip is not fatal.
  if (process.platform === 'linux') spawnSync('strip', ['--strip-unneeded', dest], { stdio: 'inherit' });
  process.stdout.write(`qnn-node: ${path.relative(root, path.join(target, name))}\n`);
}
