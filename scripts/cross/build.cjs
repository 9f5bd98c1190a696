#!/usr/bin/env node
'use strict';
/*
 * Cross-builds the addon and the reference backend into prebuilds/<platform>-<arch>/
 * (release-time only; see docs/building.md):
 *
 *   node scripts/cross/build.cjs [linux-arm64] [win32-x64] [win32-arm64] | all
 *
 *   linux-arm64  aarch64-linux-gnu-g++ (Debian g++-aarch64-linux-gnu)
 *   win32-x64    zig c++ -target x86_64-windows-gnu   + node.lib from node_api.def
 *   win32-arm64  zig c++ -target aarch64-windows-gnu  + node.lib from node_api.def
 *
 * Output per target, in the layout node-gyp-build and lib/native/binding.ts expect:
 *   prebuilds/<platform>-<arch>/qnn-node.node          (the name prebuildify --napi gives)
 *   prebuilds/<platform>-<arch>/libQnnReference.so + libQnnReferenceSystem.so   (linux)
 *   prebuilds/<platform>-<arch>/QnnReference.dll  + QnnReferenceSystem.dll      (win32)
 *   prebuilds/<platform>-<arch>/rpcmem/libcdsprpc.so | rpcmem/libcdsprpc.dll  (rpcmem stand-in)
 *   prebuilds/<platform>-<arch>/testmodel/libQnnNodeTestModel.so (+ ...Core214.so) | testmodel/QnnNodeTestModel.dll (+ ...Core214.dll)
 *   prebuilds/<platform>-<arch>/modeldlc/libQnnModelDlc.so | modeldlc/QnnModelDlc.dll  (QnnModelDlc stand-in)
 * Objects and unstripped files stay in build-cross/<target>/ (git-ignored as build-*).
 *
 * Direct compiler invocations (no cmake): the flags mirror CMakeLists.txt / binding.gyp
 * and native/reference-backend/CMakeLists.txt. Compilers run under `nice -n 10`, at most
 * CROSS_JOBS (default 2) at a time. QNN_SDK_ROOT=<sdk> compiles the addon against the SDK
 * headers, as the other builds do.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { root, log, run, ensureApt, npmTool, nodeApi } = require('./tools.cjs');

const ADDON_FILE = 'qnn-node.node';
const native = path.join(root, 'native');
const refSrc = path.join(native, 'reference-backend', 'src');

const versionScript = (symbols) => `{\n  global: ${symbols.join('; ')};\n  local: *;\n};\n`;

const TARGETS = {
  'linux-arm64': {
    platform: 'linux',
    arch: 'arm64',
    apt: { 'aarch64-linux-gnu-g++': 'g++-aarch64-linux-gnu' },
    cxx: () => ['aarch64-linux-gnu-g++'],
    strip: (file) => run('aarch64-linux-gnu-strip', ['--strip-unneeded', file], { quiet: true }),
    lib: (base) => `lib${base}.so`,
    cflags: ['-fPIC'],
    // Every symbol but the entry points hidden (version scripts; also hides libstdc++'s
    // weak template instances). libstdc++ stays shared: linking it statically would raise
    // the glibc floor from 2.34 to 2.36 (arc4random, _dl_find_object). Floor as built on
    // Debian 12: glibc >= 2.34 and GCC 12's libstdc++ (GLIBCXX_3.4.30).
    addonLink: ['-ldl', '-pthread'],
    addonMap: versionScript(['napi_register_module_v1', 'node_api_module_get_api_version_v1']),
    refLink: (base) => ({
      map: versionScript([base === 'QnnReference' ? 'QnnInterface_getProviders' : 'QnnSystemInterface_getProviders']),
      flags: ['-pthread', '-Wl,--no-undefined'],
    }),
    modelMap: (dlc) => versionScript([...(dlc ? ['QnnModel_composeGraphsFromDlc'] : []), 'QnnModel_composeGraphs', 'QnnModel_freeGraphsInfo']),
    rpcmemMap: versionScript(['rpcmem_init', 'rpcmem_deinit', 'rpcmem_alloc', 'rpcmem_alloc2', 'rpcmem_free', 'rpcmem_to_fd', 'qnnref_rpcmem_lookup']),
  },
  'win32-x64': windowsTarget('x64', 'x86_64-windows-gnu', 'i386:x86-64'),
  'win32-arm64': windowsTarget('arm64', 'aarch64-windows-gnu', 'arm64'),
};

function windowsTarget(arch, triple, machine) {
  return {
    platform: 'win32',
    arch,
    triple,
    machine,
    cxx: () => [npmTool('zig'), 'c++', '-target', triple],
    strip: null, // linked with -s (no debug info in the DLL)
    lib: (base) => `${base}.dll`,
    // native/qnn declares the getProviders entry points without dllexport and the reference
    // backend adds it on the definition: MSVC accepts that silently, MinGW clang warns.
    cflags: ['-Wno-dll-attribute-on-redeclaration'],
    defines: ['WIN32_LEAN_AND_MEAN', 'NOMINMAX', 'UNICODE', '_UNICODE'],
    addonLink: ['-s'],
    refLink: () => ({ flags: ['-s'] }),
  };
}

const jobs = Math.max(1, Number(process.env.CROSS_JOBS || 2));

/** Runs commands (arrays) with at most `jobs` at once, each under nice -n 10. */
async function runParallel(commands) {
  let next = 0;
  let failed;
  async function worker() {
    while (next < commands.length && !failed) {
      const { argv, label } = commands[next++];
      log(`compile ${label}`);
      await new Promise((resolve) => {
        const child = spawn('nice', ['-n', '10', ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('close', (code) => {
          if (out.trim()) process.stdout.write(out);
          if (code !== 0) failed = new Error(`compile failed (exit ${code}): ${label}\n  ${argv.join(' ')}`);
          resolve();
        });
      });
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, commands.length) }, worker));
  if (failed) throw failed;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (/\.(h|hh|hpp)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Compiles sources to objects in objDir (skipping up-to-date ones); returns the objects. */
async function compile(t, sources, objDir, flags) {
  fs.mkdirSync(objDir, { recursive: true });
  const headers = Math.max(newestMtime(native), newestMtime(path.join(root, 'node_modules', 'node-addon-api')));
  // Changed flags make every object of this folder stale.
  const stamp = path.join(objDir, `flags-${path.basename(sources[0])}.txt`);
  const argv = JSON.stringify([...t.cxx(), ...flags]);
  const sameFlags = fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === argv;
  const commands = [];
  const objects = sources.map((src) => {
    const obj = path.join(objDir, `${path.basename(src)}.o`);
    let fresh = false;
    try {
      const m = fs.statSync(obj).mtimeMs;
      fresh = sameFlags && m > fs.statSync(src).mtimeMs && m > headers;
    } catch {
      /* not built yet */
    }
    if (!fresh) commands.push({ argv: [...t.cxx(), ...flags, '-c', src, '-o', obj], label: `${t.name}: ${path.relative(root, src)}` });
    return obj;
  });
  await runParallel(commands);
  fs.writeFileSync(stamp, argv);
  return objects;
}

function link(t, objects, out, flags) {
  log(`link ${t.name}: ${path.relative(root, out)}`);
  run('nice', ['-n', '10', ...t.cxx(), '-shared', '-o', out, ...objects, ...flags], { quiet: true });
}

function commonFlags(t) {
  return ['-std=c++17', '-O2', '-fexceptions', '-fvisibility=hidden', '-fvisibility-inlines-hidden',
    '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-missing-field-initializers',
    ...t.cflags, ...(t.defines || []).map((d) => `-D${d}`)];
}

/** node.lib: the import library of node.exe's Node-API exports, from node-api-headers. */
function importLibrary(t, dir) {
  const out = path.join(dir, 'node.lib');
  const { def } = nodeApi();
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(def).mtimeMs) {
    run(npmTool('zig'), ['dlltool', '-m', t.machine, '-d', def, '-l', out]);
  }
  return out;
}

async function buildReference(t, work, dest) {
  const flags = [...commonFlags(t), `-I${native}`, `-I${refSrc}`];
  const core = await compile(t, ['common.cc', 'model.cc', 'model_parse.cc', 'model_nodes.cc', 'model_write.cc', 'kernels.cc', 'kernels_math.cc', 'budget.cc', 'section.cc'].map((f) => path.join(refSrc, f)), path.join(work, 'ref'), flags);
  const outputs = [];
  const backend = ['backend.cc', 'backend_registry.cc', 'backend_lifecycle.cc', 'backend_device.cc', 'backend_perf.cc', 'backend_profile.cc', 'backend_context.cc', 'backend_execute.cc', 'backend_errors.cc', 'backend_journal.cc', 'backend_configs.cc', 'backend_sections.cc', 'backend_mem.cc', 'backend_compose.cc', 'backend_opconfig.cc'];
  for (const [base, sources] of [['QnnReference', backend], ['QnnReferenceSystem', ['system.cc']]]) {
    const objects = await compile(t, sources.map((f) => path.join(refSrc, f)), path.join(work, 'ref'), flags);
    const out = path.join(work, t.lib(base));
    const { map, flags: linkFlags } = t.refLink(base);
    const extra = [];
    if (map) {
      const mapFile = path.join(work, `${base}.map`);
      fs.writeFileSync(mapFile, map);
      extra.push(`-Wl,--version-script=${mapFile}`);
    }
    link(t, [...objects, ...core], out, [...extra, ...linkFlags]);
    outputs.push(install(t, out, path.join(dest, t.lib(base))));
  }
  // The rpcmem stand-in, rpcmem/libcdsprpc.<so|dll> beside the reference backend.
  const rpcmemObjects = await compile(t, [path.join(native, 'reference-backend', 'rpcmem', 'rpcmem_ref.cc')], path.join(work, 'rpcmem'), flags);
  const rpcmemName = t.platform === 'win32' ? 'libcdsprpc.dll' : 'libcdsprpc.so';
  fs.mkdirSync(path.join(work, 'rpcmem'), { recursive: true });
  fs.mkdirSync(path.join(dest, 'rpcmem'), { recursive: true });
  const rpcmemOut = path.join(work, 'rpcmem', rpcmemName);
  const rpcmemLink = [];
  if (t.rpcmemMap) {
    const mapFile = path.join(work, 'libcdsprpc.map');
    fs.writeFileSync(mapFile, t.rpcmemMap);
    rpcmemLink.push(`-Wl,--version-script=${mapFile}`);
  }
  link(t, rpcmemObjects, rpcmemOut, [...rpcmemLink, ...t.refLink('cdsprpc').flags]);
  outputs.push(install(t, rpcmemOut, path.join(dest, 'rpcmem', rpcmemName)));
  outputs.push(...(await buildModelLibraries(t, work, dest, core)));
  return outputs;
}

/** The model libraries (native/reference-backend/models/models.cmake): testmodel/*, modeldlc/*. */
async function buildModelLibraries(t, work, dest, refCore) {
  const models = path.join(native, 'reference-backend', 'models');
  const kit = ['graph_builder.cc', 'compose_driver.cc', 'model_log.cc'].map((f) => path.join(models, f));
  const base = [...commonFlags(t), `-I${native}`, `-I${refSrc}`, `-I${models}`];
  const libs = [
    { base: 'QnnNodeTestModel', dir: 'testmodel', sources: [path.join(models, 'test_model.cc'), ...kit], flags: base, extra: [] },
    { base: 'QnnNodeTestModelCore214', dir: 'testmodel', sources: [path.join(models, 'test_model.cc'), ...kit], flags: [...base, '-DQNN_NODE_TEST_MODEL_CORE_MINOR=14'], extra: [] },
    { base: 'QnnModelDlc', dir: 'modeldlc', sources: [path.join(models, 'model_dlc.cc'), path.join(models, 'dlc_container.cc'), ...kit], flags: base, extra: refCore, dlc: true },
  ];
  const outputs = [];
  for (const l of libs) {
    const objects = await compile(t, l.sources, path.join(work, 'models', l.base), l.flags);
    fs.mkdirSync(path.join(work, l.dir), { recursive: true });
    fs.mkdirSync(path.join(dest, l.dir), { recursive: true });
    const out = path.join(work, l.dir, t.lib(l.base));
    const linkFlags = [...t.refLink(l.base).flags];
    if (t.modelMap) {
      const mapFile = path.join(work, `${l.base}.map`);
      fs.writeFileSync(mapFile, t.modelMap(l.dlc));
      linkFlags.push(`-Wl,--version-script=${mapFile}`, '-ldl');
    }
    link(t, [...objects, ...l.extra], out, linkFlags);
    outputs.push(install(t, out, path.join(dest, l.dir, t.lib(l.base))));
  }
  return outputs;
}

async function buildAddon(t, work, dest) {
  const api = nodeApi();
  const defines = ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED', 'NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS'];
  const flags = [...commonFlags(t), ...defines.map((d) => `-D${d}`), ...api.include.map((i) => `-I${i}`), `-I${native}`];
  const sdk = process.env.QNN_SDK_ROOT;
  if (sdk) flags.push('-DQNN_NODE_USE_SDK_HEADERS', `-I${path.join(sdk, 'include', 'QNN')}`, `-I${path.join(sdk, 'include', 'QNN', 'System')}`);
  const dir = path.join(native, 'addon');
  const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.cc')).sort().map((f) => path.join(dir, f));
  const objects = await compile(t, sources, path.join(work, 'addon'), flags);
  const out = path.join(work, ADDON_FILE);
  const libs = t.platform === 'win32' ? [importLibrary(t, work)] : [];
  if (t.addonMap) {
    const mapFile = path.join(work, 'qnn-node.map');
    fs.writeFileSync(mapFile, t.addonMap);
    libs.push(`-Wl,--version-script=${mapFile}`);
  }
  link(t, objects, out, [...libs, ...t.addonLink]);
  return install(t, out, path.join(dest, ADDON_FILE));
}

function install(t, from, to) {
  fs.copyFileSync(from, to);
  if (t.strip) t.strip(to);
  log(`${path.relative(root, to)} (${fs.statSync(to).size} bytes)`);
  return to;
}

async function build(name) {
  const t = { name, ...TARGETS[name] };
  if (!TARGETS[name]) throw new Error(`unknown target ${name}; known: ${Object.keys(TARGETS).join(', ')}`);
  if (t.apt) ensureApt(t.apt);
  const work = path.join(root, 'build-cross', name);
  const dest = path.join(root, 'prebuilds', `${t.platform}-${t.arch}`);
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(dest, { recursive: true });
  const started = Date.now();
  const reference = await buildReference(t, work, dest);
  const addon = await buildAddon(t, work, dest);
  log(`${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { target: name, work, dest, addon, reference };
}

/** Compiles and links an executable for a target (used by verify.cjs for the smoke test). */
async function buildExecutable(name, sources, out, extraFlags, linkFlags) {
  const t = { name, ...TARGETS[name] };
  if (t.apt) ensureApt(t.apt);
  const objects = await compile(t, sources, path.join(path.dirname(out), 'exe'), [...commonFlags(t), `-I${native}`, ...extraFlags]);
  log(`link ${name}: ${path.relative(root, out)}`);
  run('nice', ['-n', '10', ...t.cxx(), '-o', out, ...objects, ...linkFlags], { quiet: true });
  return out;
}

async function main(argv) {
  let names = argv.filter((a) => !a.startsWith('-'));
  if (names.length === 0 || names.includes('all')) names = Object.keys(TARGETS);
  for (const n of names) if (!TARGETS[n]) throw new Error(`unknown target ${n}; known: ${Object.keys(TARGETS).join(', ')}, all`);
  const results = [];
  for (const n of names) results.push(await build(n));
  return results;
}

module.exports = { TARGETS, ADDON_FILE, build, buildExecutable };

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`cross: ${e.message}\n`);
    process.exitCode = 1;
  });
}
