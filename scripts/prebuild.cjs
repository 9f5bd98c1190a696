#!/usr/bin/env node
/*
 * Maintainers: make prebuilds/<platform>-<arch>/ for the registry package
 * (`npm run make-prebuilds`).
 *   1. prebuildify --napi --strip   → prebuilds/<platform>-<arch>/qnn-node.node; its node-gyp
 *      build (binding.gyp) also builds the reference backend into build/Release
 *   2. copy libQnnReference + libQnnReferenceSystem (and the rpcmem stand-in,
 *      rpcmem/libcdsprpc.*, the test model libraries testmodel/* and the QnnModelDlc
 *      stand-in modeldlc/*) from that build next to the prebuilt
 *      addon, so that Qnn.load({ backend: 'reference' }) works for users installing from
 *      the registry (scripts/install.cjs checks that both load before using them)
 *   3. cmake-js compile             → build/Release again: the clone's everyday build
 * Headers: as in the end-user source build (scripts/nodedir.cjs), never downloaded.
 * QNN_SDK_ROOT is honoured by both builds.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { nodedirArgs } = require('./nodedir.cjs');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);

function run(args, env = {}) {
  process.stdout.write(`qnn-node: node ${args.map((a) => path.relative(root, a) || a).join(' ')}\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// Run through npm (`npm run make-prebuilds`), which puts node-gyp on PATH. prebuildify passes
// no nodedir of its own: node-gyp reads it from npm_config_nodedir. The target is this Node
// (Node-API: one build serves every later version).
const nodedir = nodedirArgs(root).args.find((a) => a.startsWith('--nodedir='));
run([require.resolve('prebuildify/bin.js', { paths: [root] }), '--napi', '--strip', '-t', `node@${process.versions.node}`], nodedir ? { npm_config_nodedir: nodedir.slice('--nodedir='.length) } : {});
const names =
  process.platform === 'win32'
    ? ['QnnReference.dll', 'QnnReferenceSystem.dll', path.join('rpcmem', 'libcdsprpc.dll'),
        path.join('testmodel', 'QnnNodeTestModel.dll'), path.join('testmodel', 'QnnNodeTestModelCore214.dll'), path.join('modeldlc', 'QnnModelDlc.dll')]
    : process.platform === 'darwin'
      ? ['libQnnReference.dylib', 'libQnnReferenceSystem.dylib', path.join('rpcmem', 'libcdsprpc.dylib'),
          path.join('testmodel', 'libQnnNodeTestModel.dylib'), path.join('testmodel', 'libQnnNodeTestModelCore214.dylib'), path.join('modeldlc', 'libQnnModelDlc.dylib')]
      : ['libQnnReference.so', 'libQnnReferenceSystem.so', path.join('rpcmem', 'libcdsprpc.so'),
          path.join('testmodel', 'libQnnNodeTestModel.so'), path.join('testmodel', 'libQnnNodeTestModelCore214.so'), path.join('modeldlc', 'libQnnModelDlc.so')];
for (const sub of ['rpcmem', 'testmodel', 'modeldlc']) fs.mkdirSync(path.join(target, sub), { recursive: true });
for (const name of names) {
  const dest = path.join(target, name);
  fs.copyFileSync(path.join(root, 'build', 'Release', name), dest);
  // Ship them stripped like the addon (prebuildify --strip); a missing strip is not fatal.
  if (process.platform === 'linux') spawnSync('strip', ['--strip-unneeded', dest], { stdio: 'inherit' });
  process.stdout.write(`qnn-node: ${path.relative(root, path.join(target, name))}\n`);
}
run([path.join(path.dirname(require.resolve('cmake-js/package.json', { paths: [root] })), 'bin', 'cmake-js'), 'compile', '--out', 'build']);
