/**
 * The first hour of a new user, on a machine without network access to nodejs.org: pack
 * the repository, install the tarball WITHOUT prebuilds into an empty project with the
 * official Node binary (at the lowest version "engines" admits, with no headers next to
 * it), then use it: `npx qnn-node run | inspect | info`, an ESM and a CommonJS consumer,
 * and every code snippet of README.md and docs/*.md.
 *
 * Slow (one source build of the addon and the reference backend): ~2-4 minutes.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bareNode,
  cleanEnv,
  enginesFloor,
  installSuitesSupported,
  installTarball,
  installedPackage,
  makeApp,
  minutes,
  npmCli,
  npx,
  officialNode,
  packRepository,
  packageJson,
  releaseFiles,
  repoRoot,
  run,
  tempDir,
  withPrebuilds,
  type Run,
} from './helpers.js';
import { documentationSnippets, snippetFileName, type Snippet } from './snippets.js';

const LIBS = ['libQnnReference.so', 'libQnnReferenceSystem.so'];

describe.skipIf(!installSuitesSupported)('npm install <tarball> without prebuilds, official Node, no header download', () => {
  let work: string;
  let node: string;
  let floor: string;
  let env: NodeJS.ProcessEnv;
  let app: string;
  let install: Run;

  beforeAll(() => {
    work = tempDir('qnn-node-new-user-');
    floor = enginesFloor(packageJson().engines.node);
    // The official build, copied alone: node-gyp finds no headers next to it and would
    // download them from nodejs.org (blocked here) unless the package brings its own.
    node = bareNode(officialNode(floor).bin, path.join(work, 'node'));
    env = cleanEnv(node, path.join(work, 'home'));
    const tarball = withPrebuilds(packRepository(path.join(work, 'pack')), work);
    app = makeApp(path.join(work, 'app'));
    install = installTarball(node, app, env, tarball);
  }, minutes(25));

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('the test environment really blocks the header download', () => {
    const nodeGyp = path.join(path.dirname(npmCli()), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    // Its own HOME: node-gyp creates its header cache folder before it tries the download.
    const probeEnv = { ...env, HOME: path.join(work, 'home-probe') };
    const r = run(node, [nodeGyp, 'install'], { cwd: work, env: probeEnv, timeoutMs: 60_000 });
    expect(r.status, r.output).not.toBe(0);
    expect(r.output).toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  }, minutes(2));

  it('builds the addon and the reference backend from source with the node-api-headers package', () => {
    expect(install.status, install.output).toBe(0);
    expect(install.output).toContain('no prebuild for linux-x64');
    expect(install.output).toContain('Node headers: the node-api-headers package');
    expect(releaseFiles(app)).toEqual(expect.arrayContaining(['qnn_node.node', ...LIBS]));
    // Nothing was downloaded into node-gyp's header cache.
    expect(fs.existsSync(path.join(env.HOME!, '.cache', 'node-gyp'))).toBe(false);
  }, minutes(2));

  it('npx qnn-node run (the bundled example) exits 0', () => {
    const r = npx(node, app, env, ['run']);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toMatch(/Graph \w+/);
  }, minutes(2));

  it('npx qnn-node inspect exits 0 and lists the bundled example graphs', () => {
    const r = npx(node, app, env, ['inspect', '--json']);
    expect(r.status, r.output).toBe(0);
    const sig = JSON.parse(r.stdout) as { graphs: { name: string }[] };
    expect(sig.graphs.map((g) => g.name)).toEqual(['add', 'embed_head', 'dequantize']);
  }, minutes(2));

  it('npx qnn-node info exits 0 and reports the reference backend built in build/Release', () => {
    const r = npx(node, app, env, ['info']);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain(path.join(installedPackage(app), 'build', 'Release', 'qnn_node.node'));
    expect(r.stdout).toContain(path.join(installedPackage(app), 'build', 'Release', 'libQnnReference.so'));
  }, minutes(2));

  it('builds the rpcmem stand-in: info --json reports shared memory through it', () => {
    const rpcmem = path.join(installedPackage(app), 'build', 'Release', 'rpcmem', 'libcdsprpc.so');
    expect(fs.existsSync(rpcmem)).toBe(true);
    const r = npx(node, app, env, ['info', '--json']);
    expect(r.status, r.output).toBe(0);
    const shared = (JSON.parse(r.stdout) as { backend: { sharedMemory: string } }).backend.sharedMemory;
    expect(shared).toBe(`rpcmem tensors, registered as shared-buffer (${rpcmem})`);
  }, minutes(2));

  it(`an ES module and a CommonJS consumer both work on the oldest Node "engines" admits`, () => {
    const esm = path.join(app, 'consumer.mjs');
    const cjs = path.join(app, 'consumer.cjs');
    // Both run the same graph of a reference binary they write themselves.
    const body = (imports: string) => `${imports}
const file = path.join(os.tmpdir(), 'qnn-node-consumer-' + process.pid + '.bin');
(async () => {
  await writeReferenceBinary(file, { graphs: [{ name: 'add',
    inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }, { name: 'y', dtype: 'float32', dims: [1, 4] }],
    outputs: [{ name: 'z', dtype: 'float32', dims: [1, 4] }],
    nodes: [{ op: 'ElementWiseAdd', inputs: ['x', 'y'], outputs: ['z'] }] }] });
  const qnn = await Qnn.load({ backend: 'reference' });
  const ctx = await qnn.loadContext(file);
  const x = Tensor.fromFloat32('float32', [1, 2, 3, 4], [1, 4]);
  const { z } = await ctx.graph('add').run({ x, y: x });
  console.log(JSON.stringify(Array.from(z.toFloat32())));
  await ctx.dispose();
  await qnn.dispose();
  fs.rmSync(file);
})().catch((e) => { console.error(e); process.exitCode = 1; });
`;
    fs.writeFileSync(esm, body("import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';\nimport { Qnn, Tensor } from 'qnn-node';\nimport { writeReferenceBinary } from 'qnn-node/reference';"));
    fs.writeFileSync(cjs, body("const fs = require('node:fs'); const os = require('node:os'); const path = require('node:path');\nconst { Qnn, Tensor } = require('qnn-node');\nconst { writeReferenceBinary } = require('qnn-node/reference');"));
    expect(run(node, ['--version'], { cwd: app, env }).stdout.trim()).toBe(`v${floor}`);
    for (const file of [esm, cjs]) {
      const r = run(node, [file], { cwd: app, env, timeoutMs: 60_000 });
      expect(r.status, `${path.basename(file)} on Node ${floor}:\n${r.output}`).toBe(0);
      expect(r.stdout.trim()).toBe('[2,4,6,8]');
    }
  }, minutes(2));

  it('a missing reference backend or addon names a fix that works in an installed package', () => {
    const release = path.join(installedPackage(app), 'build', 'Release');
    const aside = path.join(work, 'aside');
    fs.mkdirSync(aside, { recursive: true });
    const check = (files: string[], code: string) => {
      for (const f of files) fs.renameSync(path.join(release, f), path.join(aside, f));
      try {
        const r = npx(node, app, env, ['run']);
        expect(r.status, r.output).toBe(3);
        expect(r.output).toContain(code);
        expect(r.output).toContain('npm rebuild qnn-node');
        expect(r.output).not.toContain('build:native');
      } finally {
        for (const f of files) fs.renameSync(path.join(aside, f), path.join(release, f));
      }
    };
    check(LIBS, 'LIBRARY_LOAD_FAILED');
    check(['qnn_node.node'], 'ADDON_NOT_FOUND');
  }, minutes(2));

  describe('every code snippet of README.md and docs/*.md', () => {
    const snippets = documentationSnippets(repoRoot);
    const checked = snippets.filter((s) => s.kind !== 'api');
    const dirOf = (s: Snippet) => path.join(app, 'snippets', s.id);

    beforeAll(() => {
      // The type checker and vitest come from the repository (devDependencies).
      const nm = path.join(app, 'node_modules');
      fs.mkdirSync(path.join(nm, '@types'), { recursive: true });
      fs.symlinkSync(path.join(repoRoot, 'node_modules', 'vitest'), path.join(nm, 'vitest'), 'dir');
      fs.symlinkSync(path.join(repoRoot, 'node_modules', '@types', 'node'), path.join(nm, '@types', 'node'), 'dir');
      for (const s of checked) {
        fs.mkdirSync(dirOf(s), { recursive: true });
        fs.writeFileSync(path.join(dirOf(s), snippetFileName(s)), s.code);
      }
      fs.writeFileSync(
        path.join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2022', 'ESNext.Disposable'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
          },
          include: ['snippets/**/*.mts'],
        }),
      );
    });

    it('finds the snippets', () => {
      expect(snippets.length).toBeGreaterThanOrEqual(15);
      expect(snippets.filter((s) => s.kind === 'program').length).toBeGreaterThanOrEqual(6);
    });

    it('every TypeScript snippet (device-only ones too) type-checks against the installed package', () => {
      const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      const r = run(process.execPath, [tsc, '-p', app], { cwd: app, env, timeoutMs: minutes(3) });
      const located = r.stdout.replace(/snippets\/([^/]+)\/snippet\.(?:test\.)?mts\((\d+),\d+\)/g, (_m, id: string, line: string) => {
        const s = checked.find((x) => x.id === id);
        return s ? `${s.file}:${s.line + Number(line)}` : _m;
      });
      expect(r.status, located).toBe(0);
    }, minutes(3));

    for (const s of snippets.filter((x) => x.kind === 'program' || x.kind === 'test')) {
      it(`${s.file}:${s.line} runs as written (${s.kind})`, () => {
        const dir = dirOf(s);
        let r: Run;
        if (s.kind === 'test') {
          const vitest = path.join(app, 'node_modules', 'vitest', 'vitest.mjs');
          r = run(node, [vitest, 'run', '--root', dir], { cwd: dir, env, timeoutMs: minutes(2) });
        } else {
          // TypeScript as tsc/tsx compile it for Node 20 (ES2022: `await using` is lowered);
          // a js snippet runs untouched.
          const file = path.join(dir, 'snippet.mjs');
          const source = fs.readFileSync(path.join(dir, snippetFileName(s)), 'utf8');
          const js = s.lang === 'ts' ? ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText : source;
          fs.writeFileSync(file, js);
          r = run(node, [file], { cwd: dir, env, timeoutMs: minutes(2) });
        }
        expect(r.status, `${s.file}:${s.line}\n${r.output}`).toBe(0);
      }, minutes(3));
    }
  });
});
