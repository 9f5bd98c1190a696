/** Manifest variants: validation, selection (Pipeline.load / runManifest / CLI --variant), and what a variant changes. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, QnnNodeError, Tensor, runManifest, validateManifest } from '../../lib/index.js';
import { GRAPHS, cli, testEnv, type TestEnv } from '../cli/helpers.js';
import { tempDir } from './fixtures.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

const SIG = (dtype: 'float16' | 'float32') => [{ name: 'g', inputs: [{ name: 'x', dtype, dims: [1, 2] }], outputs: [{ name: 'y', dtype, dims: [1, 2] }] }];

function manifest(): Record<string, unknown> {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    params: { steps: 2, dtype: 'float16', label: 'half' },
    contexts: { m: { binary: 'half.bin', signature: SIG('float16') } },
    defaultVariant: 'fp16',
    variants: {
      fp16: {},
      fp32: { params: { dtype: 'float32', label: 'single', steps: 3 }, contexts: { m: { binary: 'single.bin', signature: SIG('float32') } } },
    },
    steps: [
      { op: 'fill', output: 'x', value: 1, dtype: '$dtype', dims: [1, 2] },
      { loop: { count: '$steps' }, steps: [{ graph: 'm/g', inputs: { x: 'x' }, outputs: { y: 'x' } }] },
      { op: 'set', value: '$label', output: 'label' },
    ],
    outputs: { x: 'x', label: 'label' },
  };
}

function issuesOf(m: unknown): { path: string }[] {
  try {
    validateManifest(m);
  } catch (e) {
    expect((e as QnnNodeError).code).toBe('MANIFEST_INVALID');
    return ((e as QnnNodeError).details as { issues: { path: string }[] }).issues;
  }
  return [];
}

describe('manifest variants', () => {
  const { dir, cleanup } = tempDir('variants-');
  cleanups.push(cleanup);
  writeFileSync(join(dir, 'half.bin'), 'placeholder');
  writeFileSync(join(dir, 'single.bin'), 'placeholder');
  const calls: string[] = [];
  const backend = (): MockBackend =>
    new MockBackend({
      graphs: {
        g: (inputs, outputs) => {
          calls.push(inputs.x.dtype);
          outputs.y.bytes.set(Tensor.fromFloat32(inputs.x.dtype, inputs.x.toFloat32().map((v) => v * 2), [1, 2]).bytes);
        },
      },
    });

  it('validates: known contexts and params of the same type, an existing defaultVariant, dtype params that are dtypes', () => {
    expect(issuesOf(manifest())).toEqual([]);
    const m = manifest();
    m.defaultVariant = 'fp8';
    (m.variants as Record<string, unknown>).bad = { params: { nope: 1, steps: 'two', dtype: 'float99' }, contexts: { other: { binary: 'x.bin' } } };
    expect(issuesOf(m).map((i) => i.path).sort()).toEqual(['/defaultVariant', '/variants/bad/contexts/other', '/variants/bad/params/dtype', '/variants/bad/params/nope', '/variants/bad/params/steps']);
    // The schema: a variant may change binary, signature and names of a context, nothing else.
    const s = manifest();
    (s.variants as Record<string, Record<string, unknown>>).fp32.contexts = { m: { graphs: ['g'] } };
    expect(issuesOf(s).map((i) => i.path)).toContain('/variants/fp32/contexts/m/graphs');
  });

  it('loads the default variant, or the one asked for: binaries, signatures and params switch together', async () => {
    calls.length = 0;
    await using half = await Pipeline.load(manifest(), { backend: backend(), baseDir: dir });
    expect(half.variant).toBe('fp16');
    const r16 = await half.run();
    expect(r16.outputs.label).toBe('half');
    expect((r16.outputs.x as Tensor).dtype).toBe('float16');
    expect(calls).toEqual(['float16', 'float16']);

    calls.length = 0;
    const loaded: string[] = [];
    const b = backend();
    const load = b.loadContext.bind(b);
    b.loadContext = (p, o) => (loaded.push(String(p)), load(p, o));
    const r32 = await runManifest(manifest(), { backend: b, baseDir: dir, variant: 'fp32' });
    expect(loaded).toEqual([join(dir, 'single.bin')]);
    expect(r32.outputs.label).toBe('single');
    expect([...(r32.outputs.x as Tensor).toFloat32()]).toEqual([8, 8]);
    expect(calls).toEqual(['float32', 'float32', 'float32']);
  });

  it('a variant can bring its own name table (a build whose binary names its tensors differently)', async () => {
    const m = manifest();
    const renamed = [{ name: 'g', inputs: [{ name: 'input_1', dtype: 'float32', dims: [1, 2] }], outputs: [{ name: 'output_1', dtype: 'float32', dims: [1, 2] }] }];
    (m.variants as Record<string, unknown>).exported = { params: { dtype: 'float32' }, contexts: { m: { binary: 'single.bin', signature: renamed, names: { x: 'input_1', y: 'output_1' } } } };
    const b = new MockBackend({ graphs: { g: (inputs, outputs) => outputs.output_1.bytes.set(Tensor.fromFloat32('float32', inputs.input_1.toFloat32().map((v) => v + 1), [1, 2]).bytes) } });
    const r = await runManifest(m, { backend: b, baseDir: dir, variant: 'exported' });
    expect([...(r.outputs.x as Tensor).toFloat32()]).toEqual([3, 3]);
  });

  it('checks only the selected variant\'s files, and rejects a variant the manifest does not declare', async () => {
    const m = manifest();
    ((m.variants as Record<string, Record<string, Record<string, Record<string, string>>>>).fp32.contexts.m).binary = 'missing.bin';
    await using ok = await Pipeline.load(m, { backend: backend(), baseDir: dir });
    expect(ok.variant).toBe('fp16');
    await expect(Pipeline.load(m, { backend: backend(), baseDir: dir, variant: 'fp32' })).rejects.toMatchObject({ code: 'ASSET_MISSING', message: expect.stringContaining('missing.bin') });
    await expect(Pipeline.load(m, { backend: backend(), baseDir: dir, variant: 'int8' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: 'Expected one of the manifest\'s variants ("fp16", "fp32") for options.variant but received "int8"',
    });
    // Names are data: a context called "__proto__" is switched like any other.
    const proto = JSON.parse(JSON.stringify(manifest()).replaceAll('"m/g"', '"__proto__/g"').replaceAll('"m":', '"__proto__":')) as Record<string, unknown>;
    await using p = await Pipeline.load(proto, { backend: backend(), baseDir: dir, variant: 'fp32' });
    expect(Object.hasOwn(p.manifest.contexts, '__proto__')).toBe(true);
    expect(p.manifest.contexts.__proto__.binary).toBe('single.bin');
    expect(((await p.run()).outputs.x as Tensor).dtype).toBe('float32');
    const plain = manifest();
    delete plain.variants;
    delete plain.defaultVariant;
    await expect(Pipeline.load(plain, { backend: backend(), baseDir: dir, variant: 'fp32' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('no variant') });
    await using none = await Pipeline.load(plain, { backend: backend(), baseDir: dir });
    expect(none.variant).toBeUndefined();
  });
});

describe('run --variant', () => {
  let env: TestEnv;
  beforeEach(() => {
    env = testEnv();
  });
  afterEach(() => env.cleanup());

  it('selects the variant on the command line', async () => {
    env.binary('pipe/m.bin');
    env.file(
      'pipe/manifest.json',
      JSON.stringify({
        format: 'qnn-node-pipeline',
        version: 1,
        params: { label: 'default' },
        contexts: { m: { binary: 'm.bin', signature: GRAPHS } },
        variants: { other: { params: { label: 'other' } }, broken: { contexts: { m: { binary: 'gone.bin' } } } },
        steps: [{ op: 'set', value: '$label', output: 'label' }],
        outputs: { label: 'label' },
      }),
    );
    const plain = await cli(env, ['run', 'pipe/manifest.json', '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('default');
    const other = await cli(env, ['run', 'pipe/manifest.json', '--variant', 'other', '--json']);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('other');
    const broken = await cli(env, ['run', 'pipe/manifest.json', '--variant', 'broken']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('gone.bin');
    const unknown = await cli(env, ['run', 'pipe/manifest.json', '--variant', 'fp64']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('"other", "broken"');
    const misuse = await cli(env, ['run', 'pipe/m.bin', '--variant', 'other']);
    expect(misuse.code).toBe(2);
  });
});
