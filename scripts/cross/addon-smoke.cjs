'use strict';
/*
 * A minimal end-to-end check of a prebuilt addon on a foreign platform (run by verify.cjs
 * under qemu-aarch64 / wine64 with that platform's node):
 *
 *   node addon-smoke.cjs <package-dir> <basic.bin>
 *
 * <package-dir> holds package.json + prebuilds/ (like an installed package without a build/
 * folder) and, when verify.cjs staged it, dist/native/binding.js (the package's own loader):
 * the addon then comes from its loadAddon() and the reference backend from its
 * referenceBackendPaths(); without it, from node-gyp-build and prebuilds/<platform>-<arch>/
 * directly. Then basic.bin (test/reference/fixtures.ts: graph "mlp",
 * out = Relu(x · W + b), W[i][j] = 3i + j + 1, b = [0.5, -1, 2]) is loaded and run, async
 * and sync. Prints one JSON line; exit code 0 only when the outputs match.
 */
const path = require('node:path');
const fs = require('node:fs');
const { pathToFileURL } = require('node:url');

async function main() {
  const [pkgDir, fixture] = process.argv.slice(2);
  if (!pkgDir || !fixture) throw new Error('usage: node addon-smoke.cjs <package-dir> <basic.bin>');
  const addonPath = require('node-gyp-build').path(pkgDir);
  let addon;
  let backendPath;
  let systemPath;
  let loader;
  const binding = path.join(pkgDir, 'dist', 'native', 'binding.js');
  if (fs.existsSync(binding)) {
    // The package's own loader (lib/native/binding.ts): node-gyp-build + the reference search.
    const mod = await import(pathToFileURL(binding).href);
    if (path.resolve(mod.packageRoot) !== path.resolve(pkgDir)) throw new Error(`packageRoot is ${mod.packageRoot}`);
    addon = mod.loadAddon();
    ({ backend: backendPath, system: systemPath } = mod.referenceBackendPaths());
    loader = 'dist/native/binding.js loadAddon() + referenceBackendPaths()';
  } else {
    addon = require(addonPath);
    const dir = path.join(pkgDir, 'prebuilds', `${process.platform}-${process.arch}`);
    const lib = (base) => (process.platform === 'win32' ? `${base}.dll` : process.platform === 'darwin' ? `lib${base}.dylib` : `lib${base}.so`);
    backendPath = path.join(dir, lib('QnnReference'));
    systemPath = path.join(dir, lib('QnnReferenceSystem'));
    loader = 'node-gyp-build';
  }
  for (const p of [backendPath, systemPath]) if (!fs.existsSync(p)) throw new Error(`missing ${p}`);

  const logs = [];
  const runtime = new addon.Runtime();
  const info = await runtime.load({ backendPath, systemPath, systemRequired: true, logLevel: 2, onLog: (l, m) => logs.push(`${l}:${m}`) });
  const context = new addon.Context(runtime);
  const loaded = await context.load(path.resolve(fixture));
  const graph = loaded.graphs.find((g) => g.name === 'mlp');
  if (!graph) throw new Error(`no graph "mlp" in ${fixture}: ${loaded.graphs.map((g) => g.name).join(', ')}`);

  const x = Float32Array.from([1, 2, 3, 4]);
  const W = (i, j) => 3 * i + j + 1;
  const b = [0.5, -1, 2];
  const expected = b.map((bj, j) => Math.max(0, x.reduce((s, xi, i) => s + xi * W(i, j), 0) + bj));
  const outAsync = new Float32Array(3);
  await graph.handle.run([x], [outAsync]);
  const outSync = new Float32Array(3);
  graph.handle.runSync([x], [outSync]);
  const ok = [outAsync, outSync].every((o) => o.every((v, j) => Math.abs(v - expected[j]) < 1e-5));

  // Errors must cross the boundary as JS exceptions with a code (C++ exceptions work).
  let badArg = null;
  try {
    graph.handle.runSync([new Float32Array(1)], [outSync]);
  } catch (e) {
    badArg = `${e.name}/${e.code}`;
  }
  context.dispose();
  runtime.dispose();

  const result = {
    ok: ok && badArg !== null,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loader,
    addon: path.relative(pkgDir, addonPath),
    backend: path.relative(pkgDir, backendPath),
    system: path.relative(pkgDir, systemPath),
    napiVersion: addon.napiVersion,
    provider: info.providerName,
    coreApiVersion: info.coreApiVersion,
    systemApiVersion: info.systemApiVersion,
    graphsFromSystem: loaded.graphsFromSystem,
    mapped: loaded.mapped,
    graph: { name: graph.name, inputs: graph.inputs.map((t) => `${t.name}${JSON.stringify(t.dims)}`), outputs: graph.outputs.map((t) => `${t.name}${JSON.stringify(t.dims)}`) },
    expected,
    async: Array.from(outAsync),
    sync: Array.from(outSync),
    badArg,
    logs: logs.length,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(e && e.stack ? e.stack : e), code: e && e.code })}\n`);
  process.exitCode = 1;
});
