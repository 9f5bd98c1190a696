#!/usr/bin/env node
'use strict';
/*
 * Cross-builds what the QnnCpu.dll conformance test runs under wine64 (docs/conformance.md):
 *
 *   node scripts/cross/model-probe.cjs [--core-minor N]
 *
 *   build-cross/win32-x64/model-probe/model_probe.exe          the model probe (test/model_probe.cc)
 *   build-cross/win32-x64/model-probe/QnnNodeTestModelCore2N.dll  the test model library built
 *       for core API 2.N (default 18: what SDK 2.25's QnnCpu.dll reports; a generated model
 *       library takes the table of its SDK)
 *
 * zig c++ -target x86_64-windows-gnu, as scripts/cross/build.cjs builds win32-x64. Prints
 * the two paths as JSON on its last line.
 */
const fs = require('node:fs');
const path = require('node:path');
const { root, log, run, npmTool } = require('./tools.cjs');

function newer(out, inputs) {
  if (!fs.existsSync(out)) return false;
  const t = fs.statSync(out).mtimeMs;
  return inputs.every((f) => fs.statSync(f).mtimeMs < t);
}

function headers(dir) {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.h')).map((f) => path.join(dir, f));
}

function main(argv) {
  const i = argv.indexOf('--core-minor');
  const minor = i >= 0 ? Number(argv[i + 1]) : 18;
  if (!Number.isInteger(minor) || minor < 14 || minor > 32) throw new Error(`--core-minor must be 14..32, got ${argv[i + 1]}`);
  const zig = npmTool('zig');
  const native = path.join(root, 'native');
  const models = path.join(native, 'reference-backend', 'models');
  const out = path.join(root, 'build-cross', 'win32-x64', 'model-probe');
  fs.mkdirSync(out, { recursive: true });
  const cxx = [zig, 'c++', '-target', 'x86_64-windows-gnu', '-std=c++17', '-O2', '-s', `-I${native}`];
  const common = [...headers(path.join(native, 'qnn')), ...headers(models)];

  const probeSrc = path.join(native, 'reference-backend', 'test', 'model_probe.cc');
  const probe = path.join(out, 'model_probe.exe');
  const probeInputs = [probeSrc, ...common, ...headers(path.dirname(probeSrc))];
  if (!newer(probe, probeInputs)) {
    log(`compile win32-x64: ${path.relative(root, probe)}`);
    run('nice', ['-n', '10', ...cxx, probeSrc, '-o', probe], { quiet: true });
  }
  const libSrc = ['test_model.cc', 'graph_builder.cc', 'compose_driver.cc', 'model_log.cc'].map((f) => path.join(models, f));
  const lib = path.join(out, `QnnNodeTestModelCore2${minor}.dll`);
  if (!newer(lib, [...libSrc, ...common])) {
    log(`compile win32-x64: ${path.relative(root, lib)}`);
    run('nice', ['-n', '10', ...cxx, '-shared', '-fvisibility=hidden', `-DQNN_NODE_TEST_MODEL_CORE_MINOR=${minor}`, `-I${models}`, ...libSrc, '-o', lib], { quiet: true });
  }
  process.stdout.write(`${JSON.stringify({ probe, lib })}\n`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`cross: ${e.message}\n`);
  process.exitCode = 1;
}
