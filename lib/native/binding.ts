/**
 * The one place that loads the native addon (node-gyp-build: build/Release, build/Debug,
 * then prebuilds/<platform>-<arch>/), and finds the reference backend libraries built or
 * shipped next to it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QnnNodeError } from '../errors.js';
import type { NativeAddon } from './AddonTypes.js';

const require = createRequire(import.meta.url);

/** The package root (this file is lib/native/binding.ts or dist/native/binding.js). */
export const packageRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const ADDON_NAME = 'qnn_node.node';
let cached: NativeAddon | undefined;
let cachedPath: string | undefined;

/** The file the addon was loaded from (after loadAddon() succeeded), else undefined. */
export function loadedAddonPath(): string | undefined {
  return cachedPath;
}

function prebuildDir(root: string): string {
  return path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/**
 * True in a development clone (its own node_modules holds the devDependency cmake-js);
 * false in an installed package, whose dependencies sit beside it.
 */
export function isDevelopmentClone(root = packageRoot): boolean {
  return existsSync(path.join(root, 'node_modules', 'cmake-js', 'package.json'));
}

/**
 * The build commands that work where this package is: an installed package has no
 * devDependencies (cmake-js), so there the fix is npm's own rebuild, which runs
 * scripts/install.cjs (a prebuild when it loads here, else a node-gyp source build of the
 * addon and the reference backend).
 */
export function buildFixes(root = packageRoot): string[] {
  if (isDevelopmentClone(root)) {
    return ['  - in this clone: npm run build:native (cmake-js builds the addon and the reference backend into build/Release)'];
  }
  return [
    '  - npm rebuild qnn-node (in your project\'s folder): uses the prebuild when it loads here, else builds the addon and the reference backend from source (needs Python 3, make and a C++17 compiler)',
    '  - if npm skipped qnn-node\'s install script (--ignore-scripts, or install scripts not allowed), allow it, then run npm rebuild qnn-node',
  ];
}

/** Where the addon may be, in the order node-gyp-build looks. */
export function addonCandidates(root = packageRoot): string[] {
  const list = [path.join(root, 'build', 'Release', ADDON_NAME), path.join(root, 'build', 'Debug', ADDON_NAME)];
  const pre = prebuildDir(root);
  let files: string[] = [];
  try {
    files = readdirSync(pre).filter((f) => f.endsWith('.node'));
  } catch {
    /* no prebuilds for this platform */
  }
  if (files.length === 0) list.push(path.join(pre, '*.node'));
  else for (const f of files) list.push(path.join(pre, f));
  return list;
}

/**
 * The native module. Throws ADDON_NOT_FOUND (listing the paths tried and the fixes) when
 * there is no build for this platform. QNN_NODE_ADDON=<path> loads a specific file.
 */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const override = process.env.QNN_NODE_ADDON;
  const tried: string[] = [];
  let cause: unknown;
  if (override) {
    try {
      cached = require(path.resolve(override)) as NativeAddon;
      cachedPath = path.resolve(override);
      return cached;
    } catch (e) {
      tried.push(`${override} (QNN_NODE_ADDON): ${(e as Error).message.split('\n')[0]}`);
      cause = e;
    }
  } else {
    try {
      const nodeGypBuild = require('node-gyp-build') as ((dir: string) => unknown) & { resolve(dir: string): string };
      const file = nodeGypBuild.resolve(packageRoot);
      cached = require(file) as NativeAddon;
      cachedPath = file;
      return cached;
    } catch (e) {
      cause = e;
      const msg = (e as Error).message.split('\n')[0];
      for (const c of addonCandidates()) tried.push(`${c}: ${existsSync(c) ? `failed to load (${msg})` : 'not found'}`);
    }
  }
  const message = [
    `The qnn-node native addon could not be loaded for ${process.platform}-${process.arch} (Node-API 8, Node ${process.versions.node}).`,
    'Tried:',
    ...tried.map((t) => `  - ${t}`),
    'Possible fixes:',
    ...buildFixes(),
    '  - set QNN_NODE_ADDON=/path/to/qnn_node.node to use a specific build',
  ].join('\n');
  throw new QnnNodeError('ADDON_NOT_FOUND', message, { cause, details: { tried, platform: process.platform, arch: process.arch } });
}

/** True when the addon can be loaded (tests use it to decide whether native suites run). */
export function addonAvailable(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false;
  }
}

function sharedLibraryName(base: string): string {
  if (process.platform === 'win32') return `${base}.dll`;
  if (process.platform === 'darwin') return `lib${base}.dylib`;
  return `lib${base}.so`;
}

export interface ReferenceBackendPaths {
  readonly backend: string;
  readonly system: string;
  /**
   * The rpcmem stand-in (libcdsprpc's rpcmem API over host shared memory) built with the
   * reference backend: `rpcmem/libcdsprpc.so` (Windows `rpcmem/libcdsprpc.dll`) in the same
   * folder. Always set; the file may be missing from builds that predate it.
   */
  readonly rpcmem: string;
  /**
   * The test model library (docs/models.md): `testmodel/libQnnNodeTestModel.so` (Windows
   * `testmodel/QnnNodeTestModel.dll`), exporting QnnModel_composeGraphs / freeGraphsInfo like
   * a qnn-model-lib-generator library; it composes the graphs f32_mlp, u8_add and f16_mul.
   */
  readonly testModel: string;
  /** The same library compiled for the core API 2.14 table (55 slots): `testmodel/libQnnNodeTestModelCore214.so`. */
  readonly testModelOldCore: string;
  /**
   * The reference QnnModelDlc stand-in: `modeldlc/libQnnModelDlc.so` (Windows
   * `modeldlc/QnnModelDlc.dll`), composing reference DLC files (QNNRDLC1, lib/reference/dlc.ts).
   * These three are always set; the files may be missing from builds that predate them.
   */
  readonly modelDlc: string;
}

/** Folders that may hold the reference backend, in search order. */
export function referenceBackendDirs(root = packageRoot): string[] {
  const dirs: string[] = [];
  if (process.env.QNN_NODE_REFERENCE_DIR) dirs.push(path.resolve(process.env.QNN_NODE_REFERENCE_DIR));
  dirs.push(path.join(root, 'build', 'Release'), path.join(root, 'build', 'Debug'), prebuildDir(root));
  return dirs;
}

/**
 * libQnnReference + libQnnReferenceSystem (the project's CPU implementation of the QNN C
 * API; a test double and demo backend), from build/Release (cmake-js in a clone, node-gyp
 * in an installed package: binding.gyp builds them too), build/Debug or
 * prebuilds/<platform>-<arch>/. `QNN_NODE_REFERENCE_DIR` puts another folder first.
 * Throws LIBRARY_LOAD_FAILED listing the folders searched.
 */
export function referenceBackendPaths(root = packageRoot): ReferenceBackendPaths {
  const backendName = sharedLibraryName('QnnReference');
  const systemName = sharedLibraryName('QnnReferenceSystem');
  const dirs = referenceBackendDirs(root);
  for (const dir of dirs) {
    const backend = path.join(dir, backendName);
    const system = path.join(dir, systemName);
    if (existsSync(backend) && existsSync(system)) {
      return {
        backend,
        system,
        rpcmem: path.join(dir, 'rpcmem', sharedLibraryName('cdsprpc')),
        testModel: path.join(dir, 'testmodel', sharedLibraryName('QnnNodeTestModel')),
        testModelOldCore: path.join(dir, 'testmodel', sharedLibraryName('QnnNodeTestModelCore214')),
        modelDlc: path.join(dir, 'modeldlc', sharedLibraryName('QnnModelDlc')),
      };
    }
  }
  throw new QnnNodeError(
    'LIBRARY_LOAD_FAILED',
    [
      `The reference backend (${backendName} + ${systemName}) was not found.`,
      'Tried:',
      ...dirs.map((d) => `  - ${d}`),
      'Possible fixes:',
      ...buildFixes(root),
      '  - set QNN_NODE_REFERENCE_DIR to the folder that holds both libraries',
    ].join('\n'),
    { details: { tried: dirs, library: 'reference' } },
  );
}
