/**
 * scripts/check-native.mjs, the install-time load check, where dist/ does not exist yet: a
 * checkout installed from a workspace root runs `install` before `prepare` compiles the
 * TypeScript, so the check looks at the native files directly.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { installSuitesSupported, repoRoot } from './helpers.js';

const release = path.join(repoRoot, 'build', 'Release');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-check-native-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function check(): { ok: boolean; error?: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'check-native.mjs'), root], { encoding: 'utf8' });
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as { ok: boolean; error?: string };
}

it.skipIf(!installSuitesSupported || !fs.existsSync(path.join(release, 'qnn_node.node')))('without dist/: checks the addon and the reference backend beside it', () => {
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'qnn-node', version: '0.0.0' }));
  fs.mkdirSync(path.join(root, 'node_modules'));
  fs.symlinkSync(path.join(repoRoot, 'node_modules', 'node-gyp-build'), path.join(root, 'node_modules', 'node-gyp-build'));
  fs.mkdirSync(path.join(root, 'build', 'Release'), { recursive: true });
  for (const f of ['qnn_node.node', 'libQnnReference.so', 'libQnnReferenceSystem.so']) {
    fs.copyFileSync(path.join(release, f), path.join(root, 'build', 'Release', f));
  }
  expect(check()).toMatchObject({ ok: true });
  fs.rmSync(path.join(root, 'build', 'Release', 'libQnnReferenceSystem.so'));
  const missing = check();
  expect(missing.ok).toBe(false);
  expect(missing.error).toMatch(/libQnnReferenceSystem\.so/);
});
