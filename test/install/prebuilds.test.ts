/**
 * Installing the packed tarball WITH prebuilds (official Node, no network to nodejs.org):
 *  - a prebuild that loads here is used as is: no compiler runs;
 *  - a prebuild that cannot load here (here: it needs a library this machine lacks, as a
 *    prebuild made for a newer glibc/libstdc++ or for glibc on musl does) is detected at
 *    install time, and the install compiles from source instead;
 *  - when the reference backend next to a prebuild is missing, the error names
 *    `npm rebuild qnn-node`, and that command does repair the installation.
 *
 * Slow (two source builds): ~3-6 minutes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  enginesFloor,
  installSuitesSupported,
  installTarball,
  installedPackage,
  makeApp,
  minutes,
  npm,
  npx,
  officialNode,
  packRepository,
  packageJson,
  releaseFiles,
  repoRoot,
  tempDir,
  withPrebuilds,
} from './helpers.js';

const PREBUILD = 'qnn-node.node'; // the name prebuildify --napi gives
const LIBS = ['libQnnReference.so', 'libQnnReferenceSystem.so'];
/** The rpcmem stand-in scripts/prebuild.cjs ships beside the reference backend. */
const RPCMEM = path.join('rpcmem', 'libcdsprpc.so');
const PREBUILD_DIR = path.join('prebuilds', 'linux-x64');

/** The repository's own build (npm ci), laid out as `npm run make-prebuilds` lays it out. */
function workingPrebuild(): Record<string, Uint8Array> {
  const release = path.join(repoRoot, 'build', 'Release');
  const files: Record<string, Uint8Array> = { [PREBUILD]: fs.readFileSync(path.join(release, 'qnn_node.node')) };
  for (const lib of [...LIBS, RPCMEM]) files[lib] = fs.readFileSync(path.join(release, lib));
  return files;
}

/**
 * A well-formed ELF shared object that dlopen refuses here: it needs a library this
 * machine does not have, the way a prebuild linked against GLIBCXX_3.4.32 fails on an
 * older libstdc++ ("version `GLIBCXX_3.4.32' not found").
 */
function unloadablePrebuild(dir: string): Uint8Array {
  fs.mkdirSync(dir, { recursive: true });
  const cc = (args: string[]) => {
    const r = spawnSync('cc', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cc ${args.join(' ')}: ${r.stderr}`);
  };
  fs.writeFileSync(path.join(dir, 'dep.c'), 'int qnn_node_test_dep(void) { return 1; }\n');
  fs.writeFileSync(path.join(dir, 'mod.c'), 'int qnn_node_test_dep(void);\nint qnn_node_test_entry(void) { return qnn_node_test_dep(); }\n');
  cc(['-shared', '-fPIC', '-o', 'libqnn_node_test_absent.so', 'dep.c']);
  cc(['-shared', '-fPIC', '-o', PREBUILD, 'mod.c', '-L.', '-lqnn_node_test_absent']);
  return fs.readFileSync(path.join(dir, PREBUILD));
}

describe.skipIf(!installSuitesSupported)('npm install <tarball> with prebuilds (official Node)', () => {
  let work: string;
  let node: string;
  let env: NodeJS.ProcessEnv;
  let tarball: string;

  beforeAll(() => {
    work = tempDir('qnn-node-prebuilds-');
    // The official build with its include/node next to bin/node (as unpacked from nodejs.org).
    node = officialNode(enginesFloor(packageJson().engines.node)).bin;
    env = cleanEnv(node, path.join(work, 'home'));
    tarball = packRepository(path.join(work, 'pack'));
  }, minutes(5));

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  describe('a prebuild that loads', () => {
    let app: string;
    beforeAll(() => {
      app = makeApp(path.join(work, 'app-prebuild'));
      const install = installTarball(node, app, env, withPrebuilds(tarball, work, workingPrebuild()));
      expect(install.status, install.output).toBe(0);
      expect(install.output).toContain(`using ${path.join(PREBUILD_DIR, PREBUILD)}`);
    }, minutes(10));

    it('is used without compiling anything', () => {
      expect(releaseFiles(app)).toEqual([]);
    }, minutes(2));

    it('npx qnn-node run, inspect and info exit 0 with the prebuilt addon and reference backend', () => {
      for (const args of [['run'], ['inspect'], ['info']]) {
        const r = npx(node, app, env, args);
        expect(r.status, `qnn-node ${args.join(' ')}\n${r.output}`).toBe(0);
      }
      const info = npx(node, app, env, ['info']).stdout;
      expect(info).toContain(path.join(installedPackage(app), PREBUILD_DIR, PREBUILD));
      expect(info).toContain(path.join(installedPackage(app), PREBUILD_DIR, LIBS[0]));
    }, minutes(2));

    it('ships the rpcmem stand-in: info --json reports shared memory through it', () => {
      expect(fs.existsSync(path.join(installedPackage(app), PREBUILD_DIR, RPCMEM))).toBe(true);
      const r = npx(node, app, env, ['info', '--json']);
      expect(r.status, r.output).toBe(0);
      const shared = (JSON.parse(r.stdout) as { backend: { sharedMemory: string } }).backend.sharedMemory;
      expect(shared).toBe(`rpcmem tensors, registered as shared-buffer (${path.join(installedPackage(app), PREBUILD_DIR, RPCMEM)})`);
    }, minutes(2));

    it('without its reference backend, run names npm rebuild qnn-node, which repairs the install', () => {
      for (const lib of LIBS) fs.rmSync(path.join(installedPackage(app), PREBUILD_DIR, lib));
      const broken = npx(node, app, env, ['run']);
      expect(broken.status, broken.output).toBe(3);
      expect(broken.output).toContain('npm rebuild qnn-node');
      expect(broken.output).not.toContain('build:native');

      const rebuild = npm(node, app, env, ['rebuild', 'qnn-node', '--foreground-scripts']);
      expect(rebuild.status, rebuild.output).toBe(0);
      expect(rebuild.output).toContain('does not load here');
      expect(rebuild.output).toContain('Node headers: the headers next to');
      expect(releaseFiles(app)).toEqual(expect.arrayContaining(['qnn_node.node', ...LIBS]));
      const fixed = npx(node, app, env, ['run']);
      expect(fixed.status, fixed.output).toBe(0);
    }, minutes(15));
  });

  describe('a prebuild that cannot load here', () => {
    let app: string;
    let output: string;
    beforeAll(() => {
      app = makeApp(path.join(work, 'app-unloadable'));
      const files = { ...workingPrebuild(), [PREBUILD]: unloadablePrebuild(path.join(work, 'elf')) };
      const install = installTarball(node, app, env, withPrebuilds(tarball, work, files));
      output = install.output;
      expect(install.status, install.output).toBe(0);
    }, minutes(15));

    it('is detected at install time, and the install compiles from source instead', () => {
      expect(output).toMatch(/prebuilds\/linux-x64\/qnn-node\.node does not load here: .*libqnn_node_test_absent\.so/);
      expect(output).toContain('building the addon and the reference backend from source with node-gyp');
      expect(releaseFiles(app)).toEqual(expect.arrayContaining(['qnn_node.node', ...LIBS]));
    }, minutes(2));

    it('npx qnn-node run, inspect and info exit 0 with the source build', () => {
      for (const args of [['run'], ['inspect'], ['info']]) {
        const r = npx(node, app, env, args);
        expect(r.status, `qnn-node ${args.join(' ')}\n${r.output}`).toBe(0);
      }
      expect(npx(node, app, env, ['info']).stdout).toContain(path.join(installedPackage(app), 'build', 'Release', 'qnn_node.node'));
    }, minutes(2));
  });
});
