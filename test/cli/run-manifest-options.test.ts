/** `qnn-node run manifest.json`: --param overrides and a bare --mock for manifests that carry their signatures. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, GRAPHS, testEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
beforeEach(() => {
  env = testEnv();
  env.binary('m.bin');
});
afterEach(() => env.cleanup());

const ADD = GRAPHS[0];

function writeManifest(name: string, context: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  env.file(
    name,
    JSON.stringify({
      ...extra,
      format: 'qnn-node-pipeline',
      version: 1,
      params: { n: 3, scale: 2.5, label: 'a', ids: [1, 2], greedy: true },
      contexts: { m: { binary: 'm.bin', ...context } },
      steps: [
        { op: 'set', value: [], output: 'list' },
        { loop: { count: '$n' }, steps: [{ op: 'append', inputs: { list: 'list', value: 1 } }] },
        { op: 'set', value: '$label', output: 'label' },
        { op: 'set', value: '$scale', output: 'scale' },
        { op: 'set', value: '$ids', output: 'ids' },
        { op: 'fill', output: 'x', dtype: 'float32', dims: [1, 4], value: '$scale' },
        { graph: 'add', inputs: { x: 'x', y: 'x' }, outputs: { z: 'z' } },
      ],
      outputs: { list: 'list', label: 'label', scale: 'scale', ids: 'ids', z: 'z' },
    }),
  );
}

type Outputs = { list: number[]; label: string; scale: number; ids: number[]; z: { head: number[] } };
async function outputs(args: string[]): Promise<Outputs> {
  const r = await cli(env, [...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { outputs: Outputs }).outputs;
}

describe('qnn-node run manifest.json --param', () => {
  beforeEach(() => writeManifest('pipe.json', { signature: [ADD] }));

  it('overrides params: numbers, text, lists (JSON when it parses, else text)', async () => {
    const base = await outputs(['run', 'pipe.json', '--mock']);
    expect(base).toMatchObject({ list: [1, 1, 1], label: 'a', scale: 2.5, ids: [1, 2] });
    const o = await outputs(['run', 'pipe.json', '--mock', '--param', 'n=5', '--param', 'label=hello world', '--param', 'scale=0.5', '--param', 'ids=[7,8,9]']);
    expect(o).toMatchObject({ list: [1, 1, 1, 1, 1], label: 'hello world', scale: 0.5, ids: [7, 8, 9] });
    expect(o.z.head).toHaveLength(4); // the graph ran on the mock backend from the inline signature
    // A text default takes the text as typed, even when it would parse as JSON.
    expect((await outputs(['run', 'pipe.json', '--mock', '--param', 'label=12'])).label).toBe('12');
  });

  it('rejects an unknown param, a wrong type and a malformed flag with the offending value', async () => {
    let r = await cli(env, ['run', 'pipe.json', '--mock', '--param', 'steps=4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--param steps: expected a param of the manifest (n, scale, label, ids, greedy) but received "steps"');
    r = await cli(env, ['run', 'pipe.json', '--mock', '--param', 'n=many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--param n: expected a number like the default (3) but received "many"');
    r = await cli(env, ['run', 'pipe.json', '--mock', '--param', 'ids=[1,"x"]']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected a list of numbers like the default ([1,2])');
    r = await cli(env, ['run', 'pipe.json', '--mock', '--param', 'greedy=1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected a boolean');
    r = await cli(env, ['run', 'pipe.json', '--mock', '--param', 'n']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--param "n": expected name=value');
    // Checked like the API: a loop bound must be a whole number >= 0.
    r = await cli(env, ['run', 'pipe.json', '--mock', '--param', 'n=-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('options.params.n');
  });

  it('is for manifests only', async () => {
    const r = await cli(env, ['run', 'm.bin', '--param', 'n=1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--param applies to pipeline manifests');
  });
});

describe('qnn-node run manifest.json --mock (no signature file)', () => {
  it('uses the signatures the manifest names: inline or a signature file of the context', async () => {
    writeManifest('inline.json', { signature: [ADD] });
    expect((await outputs(['run', 'inline.json', '--mock'])).list).toEqual([1, 1, 1]);
    // Also before the manifest (commander takes the optional value; the runner sees it is a manifest).
    expect((await outputs(['run', '--mock', 'inline.json'])).list).toEqual([1, 1, 1]);
    env.file('sig.json', JSON.stringify({ format: 'qnn-node-signature', version: 1, graphs: [ADD] }));
    writeManifest('file.json', { signature: 'sig.json' });
    expect((await outputs(['run', 'file.json', '--mock'])).list).toEqual([1, 1, 1]);
  });

  it('a context without a signature needs --mock <signature.json>, said clearly', async () => {
    writeManifest('bare.json', {});
    const r = await cli(env, ['run', 'bare.json', '--mock']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--mock without a signature file: context "m" of');
    env.file('sig.json', JSON.stringify({ format: 'qnn-node-signature', version: 1, graphs: [ADD] }));
    expect((await outputs(['run', 'bare.json', '--mock', 'sig.json'])).list).toEqual([1, 1, 1]);
  });

  it('a manifest with variants: the selected variant\'s signatures count; a variant whose context has none is CLI_USAGE naming it', async () => {
    const variants = { signed: { contexts: { m: { signature: [ADD] } } }, bare: { params: { n: 2 } } };
    writeManifest('variants.json', {}, { variants, defaultVariant: 'signed' });
    expect((await outputs(['run', 'variants.json', '--mock'])).list).toEqual([1, 1, 1]);
    expect((await outputs(['run', 'variants.json', '--mock', '--variant', 'signed'])).list).toEqual([1, 1, 1]);
    const r = await cli(env, ['run', 'variants.json', '--mock', '--variant', 'bare']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--mock without a signature file: context "m" of');
    expect(r.stderr).toContain('names no signature in variant "bare"');
    // The manifest's own signature holds for a variant that does not replace it.
    writeManifest('base-signed.json', { signature: [ADD] }, { variants: { other: { params: { n: 1 } } } });
    expect((await outputs(['run', 'base-signed.json', '--mock', '--variant', 'other'])).list).toEqual([1]);
    // An unknown variant is the runner's clear error, not a signature complaint.
    const unknown = await cli(env, ['run', 'variants.json', '--mock', '--variant', 'int8']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('"signed", "bare"');
  });

  it('a context binary still needs the signature file', async () => {
    const r = await cli(env, ['run', 'm.bin', '--mock']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--mock needs a signature file');
  });
});
