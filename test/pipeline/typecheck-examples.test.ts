/**
 * The load-time type check on the real example manifests: it knows the dtype and element
 * count of every graph input they bind (host op outputs included), and a one-field mistake
 * in them is reported by Pipeline.load with the step pointer — not by the first run.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline } from '../../lib/index.js';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { describeNative } from '../native/helpers.js';
import { CARD_MANIFESTS, TINY_MANIFESTS, prepareCardExample, prepareTinyExample } from './example-manifests.js';
import { tempDir } from './fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));
function folder(): string {
  const t = tempDir('typecheck-ex-');
  cleanups.push(t.cleanup);
  return t.dir;
}

function tally(p: Pipeline): { checked: number; partial: string[]; unknown: string[] } {
  const inputs = p.staticGraphInputs();
  const list = (s: string) => inputs.filter((g) => g.status === s).map((g) => `${g.pointer} <- ${g.value} (${g.from})`);
  return { checked: inputs.filter((g) => g.status === 'checked').length, partial: list('partial'), unknown: list('unknown') };
}

describe('every graph input of the example manifests has a known type at load', () => {
  for (const [name, file, variants] of CARD_MANIFESTS) {
    for (const variant of variants) {
      it(`${name}/${file}${variant ? ` (${variant})` : ''}`, async () => {
        const dir = folder();
        prepareCardExample(name, file, dir);
        await using p = await Pipeline.load(join(dir, file), { backend: new MockBackend(), ...(variant ? { variant } : {}) });
        const t = tally(p);
        console.log(`type check ${name}/${file}${variant ? ` ${variant}` : ''}: ${t.checked} graph inputs checked, ${t.partial.length} partly known, ${t.unknown.length} unknown`);
        expect({ partial: t.partial, unknown: t.unknown }).toEqual({ partial: [], unknown: [] });
        expect(t.checked).toBeGreaterThan(0);
      });
    }
  }

  describeNative('the tiny golden models (reference binaries)', () => {
    let qnn: Qnn;
    beforeAll(async () => {
      qnn = await Qnn.load({ backend: 'reference' });
    });
    afterAll(async () => qnn?.dispose());
    for (const [name, variants] of TINY_MANIFESTS) {
      for (const variant of variants) {
        it(`${name}${variant ? ` (${variant})` : ''}`, async () => {
          const dir = folder();
          prepareTinyExample(name, dir);
          await using p = await Pipeline.load(join(dir, 'manifest.json'), { backend: qnn, ...(variant ? { variant } : {}) });
          const t = tally(p);
          console.log(`type check ${name}${variant ? ` ${variant}` : ''}: ${t.checked} graph inputs checked, ${t.partial.length} partly known, ${t.unknown.length} unknown`);
          expect({ partial: t.partial, unknown: t.unknown }).toEqual({ partial: [], unknown: [] });
        });
      }
    }
  });
});

/** Loads `file` of example `name` after `edit`; returns the load error. */
async function loadError(name: string, file: string, edit: (m: Json) => void, variant?: string) {
  const dir = folder();
  prepareCardExample(name, file, dir, edit);
  const backend = new MockBackend();
  const e = await Pipeline.load(join(dir, file), { backend, ...(variant ? { variant } : {}) }).then(
    () => expect.fail('loaded'),
    (err: unknown) => err as { code: string; message: string; details: Json },
  );
  expect(backend.callCounts()).toEqual({});
  return e;
}

/** The step at a JSON pointer like /steps/25/steps/4. */
function step(m: Json, pointer: string): Json {
  return pointer
    .split('/')
    .slice(1)
    .reduce((o: Json, k) => o[k], m);
}

describe('a one-field mistake in an example manifest is reported at load with the step pointer', () => {
  it('qwen3-vl: a decode rope_table made float32 for the float16 graph input', async () => {
    const e = await loadError('qwen3-vl', 'manifest.json', (m) => {
      const s = step(m, '/steps/29/steps/7');
      expect(s.op).toBe('rope_table');
      s.dtype = 'float32';
    });
    expect(e.code).toBe('DTYPE_MISMATCH');
    expect(e.details).toMatchObject({ pointer: '/steps/29/steps/9/inputs/rope_cos', from: '/steps/29/steps/7 (rope_table)', expected: { dtype: 'float16' }, received: { dtype: 'float32', dims: [1, 1, 64] } });
  });

  it('qwen3-vl: a prefill rope table of the wrong width (headDim 64 -> 32 wide)', async () => {
    const e = await loadError('qwen3-vl', 'manifest.json', (m) => {
      const s = step(m, '/steps/18');
      s.headDim = 64;
      s.sections = [12, 10, 10];
    });
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details).toMatchObject({ pointer: '/steps/19/inputs/rope_cos', from: '/steps/18 (rope_table)', expected: { dims: [1, 320, 64] }, received: { dims: [1, 320, 32] } });
  });

  it('qwen3-vl: a patch-embed weight with the wrong N (1152 outputs instead of 1024)', async () => {
    const e = await loadError('qwen3-vl', 'manifest.json', (m) => {
      m.assets.patch_embed.shape = [1152, 3, 2, 16, 16];
      m.assets.patch_bias.shape = [1152];
    });
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details).toMatchObject({ pointer: '/steps/4/inputs/hidden_states', from: '/steps/3 (pos_embed_add)', expected: { dims: [1024, 1024] }, received: { dims: [1024, 1152] } });
  });

  it('qwen3-vl: an image of 448 px makes 784 patches, not the vision graph input 1024', async () => {
    const e = await loadError('qwen3-vl', 'manifest.json', (m) => {
      Object.assign(step(m, '/steps/0'), { width: 448, height: 448 });
    });
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details).toMatchObject({ pointer: '/steps/4/inputs/hidden_states', received: { dtype: 'float32', dims: [784, 1024] } });
  });

  it('qwen3-vl: patchify as float16 for the float32 vision input', async () => {
    const e = await loadError('qwen3-vl', 'manifest.json', (m) => {
      step(m, '/steps/3').dtype = 'float16';
    });
    expect(e.code).toBe('DTYPE_MISMATCH');
    expect(e.details).toMatchObject({ pointer: '/steps/4/inputs/hidden_states', from: '/steps/3 (pos_embed_add)' });
  });

  it('qwen3-vl text: the decode-over-prompt rope table twice as wide (duplicate: true)', async () => {
    // Found by what they are, not by index: steps move when the manifest changes.
    let loop = -1;
    let rope = -1;
    let decode = -1;
    const e = await loadError('qwen3-vl', 'text.manifest.json', (m) => {
      const steps = m.steps as Json[];
      loop = steps.findIndex((s) => typeof s.name === 'string' && s.name.startsWith('decode-over-prompt'));
      const body = steps[loop].steps as Json[];
      rope = body.findIndex((s) => s.op === 'rope_table');
      decode = body.findIndex((s) => typeof s.graph === 'string' && s.graph.endsWith('/decode'));
      step(m, `/steps/${loop}/steps/${rope}`).duplicate = true;
    });
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details).toMatchObject({ pointer: `/steps/${loop}/steps/${decode}/inputs/rope_cos`, received: { dims: [1, 1, 128] } });
  });

  it('smolvla: the fp32 variant with its dtype param left float16 (a "$dtype" step, from the selected variant)', async () => {
    const e = await loadError(
      'smolvla',
      'manifest.json',
      (m) => {
        m.variants.fp32.params.dtype = 'float16';
      },
      'fp32',
    );
    expect(e.code).toBe('DTYPE_MISMATCH');
    expect(e.details).toMatchObject({ pointer: '/steps/2/inputs/pixel_values', from: '/steps/0 (image)', expected: { dtype: 'float32' }, received: { dtype: 'float16' } });
  });

  it('smolvla: flow_time with dims [1, 2] for the [1] timestep input', async () => {
    const e = await loadError('smolvla', 'manifest.json', (m) => {
      step(m, '/steps/17/steps/0').dims = [1, 2];
    });
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details).toMatchObject({ pointer: '/steps/17/steps/1/inputs/timestep', from: '/steps/17/steps/0 (flow_time)' });
  });

  it('smolvla: the state normalized to float32 in the fp16 build', async () => {
    const e = await loadError('smolvla', 'manifest.json', (m) => {
      step(m, '/steps/12').dtype = 'float32';
    });
    expect(e.code).toBe('DTYPE_MISMATCH');
    expect(e.details).toMatchObject({ pointer: '/steps/14/inputs/state', from: '/steps/13 (pad)', received: { dtype: 'float32', dims: [1, 32] } });
  });
});

describe('a run that overrides a param a type depends on is checked again before any step', () => {
  it('smolvla: options.params.dtype = "float32" on the fp16 build is DTYPE_MISMATCH naming the override; the default runs the check clean', async () => {
    const dir = folder();
    prepareCardExample('smolvla', 'manifest.json', dir);
    const backend = new MockBackend();
    await using p = await Pipeline.load(join(dir, 'manifest.json'), { backend });
    const e = await p.run({}, { params: { dtype: 'float32' } }).then(
      () => expect.fail('ran'),
      (err: unknown) => err as { code: string; message: string; details: Json },
    );
    expect(e.code).toBe('DTYPE_MISMATCH');
    expect(e.message).toContain('options.params.dtype = "float32"');
    expect(e.details).toMatchObject({ params: ['dtype'], pointer: '/steps/2/inputs/pixel_values' });
    expect(backend.callCounts()).toEqual({});
    // An override no type depends on is not a type error (the run fails later, on the missing inputs).
    await expect(p.run({}, { params: { num_steps: 4 } })).rejects.not.toMatchObject({ code: 'DTYPE_MISMATCH' });
  });
});
