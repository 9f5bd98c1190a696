/** `qnn-node run manifest.json --allow-root <dir>`: the CLI side of path confinement. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GRAPHS, cli, testEnv, type TestEnv } from '../cli/helpers.js';

let env: TestEnv;
beforeEach(() => {
  env = testEnv();
});
afterEach(() => env.cleanup());

describe('run --allow-root', () => {
  it('rejects a manifest file outside its folder unless the folder is allowed', async () => {
    env.binary('pipe/m.bin');
    const data = env.file('data/table.bin', 'outside the manifest folder');
    env.file(
      'pipe/manifest.json',
      JSON.stringify({
        format: 'qnn-node-pipeline',
        version: 1,
        contexts: { m: { binary: 'm.bin', signature: GRAPHS } },
        assets: { table: { type: 'file', path: data } },
        steps: [],
      }),
    );
    const denied = await cli(env, ['run', 'pipe/manifest.json']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('[PATH_NOT_ALLOWED]');
    expect(denied.stderr).toContain('/assets/table/path');
    const allowed = await cli(env, ['run', 'pipe/manifest.json', '--allow-root', 'data', '--json']);
    expect(allowed.code, allowed.stderr).toBe(0);
    const misuse = await cli(env, ['run', 'pipe/m.bin', '--allow-root', 'data']);
    expect(misuse.code).toBe(2);
    const missing = await cli(env, ['run', 'pipe/manifest.json', '--allow-root', 'nowhere']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--allow-root "nowhere"');
  });
});
