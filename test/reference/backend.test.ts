/**
 * Runs the reference backend's native smoke test (native/reference-backend/test/smoke.cc)
 * against fixtures written by the TypeScript writer. Builds nothing: it looks for the
 * `qnnref_smoke` executable in the usual build directories (or QNNREF_SMOKE). Missing
 * executable: skipped locally, a failure when CI is set.
 *
 * Build it with:
 *   cmake -S native/reference-backend -B build-ref -G Ninja && cmake --build build-ref -j2
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFixtures } from './fixtures.js';

const root = resolve(import.meta.dirname, '../..');
const candidates = [
  process.env.QNNREF_SMOKE,
  join(root, 'build-ref/qnnref_smoke'),
  join(root, 'build/native/reference-backend/qnnref_smoke'),
  join(root, 'build/Release/qnnref_smoke'),
  join(root, 'build/qnnref_smoke'),
].filter((p): p is string => typeof p === 'string' && p.length > 0);
const smoke = candidates.find((p) => existsSync(p));

const dir = mkdtempSync(join(tmpdir(), 'qnnref-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reference backend (native smoke test)', () => {
  it('finds the smoke executable', () => {
    if (!smoke && process.env.CI) {
      expect.fail(`qnnref_smoke not found (tried ${candidates.join(', ')}); build native/reference-backend first`);
    }
  });

  it.skipIf(!smoke)('loads, describes and executes writer-made binaries under emulated QNN versions', { timeout: 120_000 }, async () => {
    await writeFixtures(dir);
    const env = { ...process.env };
    delete env.QNN_REFERENCE_API_VERSION;
    delete env.QNN_REFERENCE_FAIL;
    const result = spawnSync(smoke!, [dir], { encoding: 'utf8', env, timeout: 110_000 });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    expect(result.signal, output).toBeNull();
    expect(result.status, output).toBe(0);
    expect(result.stdout).toMatch(/\d+ checks, 0 failures/);
  });
});
