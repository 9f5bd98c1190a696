/** `qnn-node run manifest.json --adapter <name>`: the LoRA adapter of a run, on the mock backend. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, GRAPHS, testEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
beforeEach(() => {
  env = testEnv();
  env.binary('m.bin');
  env.file('fr.sec', 'french adapter section');
  env.file('base.sec', 'base weights section');
  env.file(
    'pipe.json',
    JSON.stringify({
      format: 'qnn-node-pipeline',
      version: 1,
      contexts: { m: { binary: 'm.bin', signature: [GRAPHS[0]], adapters: { fr: 'fr.sec', base: { path: 'base.sec', base: true } } } },
      steps: [
        { op: 'fill', output: 'x', dtype: 'float32', dims: [1, 4], value: 1 },
        { graph: 'add', inputs: { x: 'x', y: 'x' }, outputs: { z: 'z' } },
      ],
      outputs: { z: 'z' },
    }),
  );
});
afterEach(() => env.cleanup());

describe('qnn-node run manifest.json --adapter', () => {
  it('runs with the adapter and reports the adapter in effect (JSON and text)', async () => {
    const r = await cli(env, ['run', 'pipe.json', '--mock', '--adapter', 'fr', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).adapters).toEqual({ m: 'fr' });
    const t = await cli(env, ['run', 'pipe.json', '--mock', '--adapter', 'fr']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('adapters: m=fr');
    const none = await cli(env, ['run', 'pipe.json', '--mock', '--json']);
    expect(JSON.parse(none.stdout).adapters).toEqual({ m: null });
  });

  it('an adapter no context declares is UNKNOWN_ADAPTER; --adapter on a binary is a usage error', async () => {
    const r = await cli(env, ['run', 'pipe.json', '--mock', '--adapter', 'es']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('No context of the manifest declares adapter "es"; the adapters are "m/fr", "m/base"');
    const b = await cli(env, ['run', 'm.bin', '--mock', '--adapter', 'fr']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--adapter applies to pipeline manifests');
  });
});
