/**
 * LoRA adapters in manifests on the mock backend: contexts.<c>.adapters registered at
 * load, the adapter in effect per step (step > run > context default), switches only on
 * a change, and every bad reference refused before anything runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockBackend } from '../../lib/backend/mock/MockBackend.js';
import { QnnNodeError } from '../../lib/errors.js';
import { Pipeline, runManifest } from '../../lib/pipeline/runner.js';
import { Tensor } from '../../lib/tensor/Tensor.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'qnn-node-adapters-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'lm.bin'), new Uint8Array(16));
for (const f of ['base.sec', 'fr.sec', 'de.sec']) writeFileSync(path.join(dir, f), new Uint8Array(f.length * 8));

const sig = { name: 'decode', inputs: [{ name: 'x', dtype: 'float32', dims: [1, 2] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1, 2] }] };

function manifest(extra: { steps?: unknown[]; context?: Record<string, unknown>; params?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    format: 'qnn-node-pipeline',
    version: 1,
    ...(extra.params ? { params: extra.params } : {}),
    contexts: {
      lm: {
        binary: 'lm.bin',
        signature: [sig],
        adapters: { base: { path: 'base.sec', base: true }, fr: 'fr.sec', de: { path: 'de.sec', graph: 'decode' } },
        ...extra.context,
      },
    },
    inputs: { x: { type: 'tensor', dtype: 'float32', shape: [1, 2] } },
    steps: extra.steps ?? [
      { graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'a' } },
      { graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'b' }, adapter: 'de' },
      { graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'c' }, adapter: null },
    ],
    outputs: { a: 'a' },
  };
}

function recordingBackend(): { backend: MockBackend; seen: (string | null)[] } {
  const seen: (string | null)[] = [];
  const backend = new MockBackend({ graphs: { decode: (_i, _o, call) => void seen.push(call.adapter) } });
  return { backend, seen };
}

const x = (): Tensor => new Tensor('float32', [1, 2], [1, 2]);

describe('pipeline adapters (mock backend)', () => {
  it('step adapters win over the run adapter; results report the adapter in effect; switches only on a change', async () => {
    const { backend, seen } = recordingBackend();
    await using pipeline = await Pipeline.load(manifest(), { backend, baseDir: dir });
    const r1 = await pipeline.run({ x: x() }, { adapter: 'fr' });
    expect(seen).toEqual(['fr', 'de', null]);
    expect(r1.adapters).toEqual({ lm: null });
    // Without a run adapter the first step keeps what is in effect (the base, from step 3).
    await pipeline.run({ x: x() });
    expect(seen.slice(3)).toEqual([null, 'de', null]);
    expect(backend.sectionLog.map((s) => s.adapter)).toEqual(['fr', 'de', null, 'de', null]);
    expect(backend.sectionLog[1]).toMatchObject({ graph: 'decode', sectionBytes: 'de.sec'.length * 8 });
    expect(backend.sectionLog[2]).toMatchObject({ adapter: null, sectionBytes: 'base.sec'.length * 8 });
  });

  it('a context default adapter, a "$param" step adapter, and no switch when nothing changes', async () => {
    const { backend, seen } = recordingBackend();
    const m = manifest({
      context: { adapter: 'fr' },
      params: { which: 'de' },
      steps: [
        { graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'a' } },
        { graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'a' } },
        { graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'b' }, adapter: '$which' },
      ],
    });
    const r = await runManifest(m, { backend, baseDir: dir, inputs: { x: x() }, params: { which: 'fr' } });
    expect(seen).toEqual(['fr', 'fr', 'fr']);
    expect(backend.sectionLog).toHaveLength(1);
    expect(r.adapters).toEqual({ lm: 'fr' });
  });

  it('a manifest without adapters reports none and costs no switch', async () => {
    const { backend, seen } = recordingBackend();
    const m = manifest({ context: { adapters: undefined }, steps: [{ graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'a' } }] });
    const r = await runManifest(JSON.parse(JSON.stringify(m)), { backend, baseDir: dir, inputs: { x: x() } });
    expect(r.adapters).toBeUndefined();
    expect(seen).toEqual([null]);
    expect(backend.sectionLog).toEqual([]);
  });

  it('bad adapter references are refused at load or at the run start, before any graph runs', async () => {
    const { backend, seen } = recordingBackend();
    const bad: [string, Record<string, unknown>, string, RegExp][] = [
      ['unknown step adapter', manifest({ steps: [{ graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'a' }, adapter: 'es' }] }), 'MANIFEST_INVALID', /\/steps\/0\/adapter/],
      ['missing file', manifest({ context: { adapters: { fr: 'nope.sec' } } }), 'ASSET_MISSING', /nope\.sec/],
      ['two bases', manifest({ context: { adapters: { a: { path: 'fr.sec', base: true }, b: { path: 'de.sec', base: true } } }, steps: [{ graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'a' } }] }), 'MANIFEST_INVALID', /at most one adapter with base: true/],
      ['unknown graph', manifest({ context: { adapters: { fr: { path: 'fr.sec', graph: 'prefill' } } }, steps: [{ graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'a' } }] }), 'MANIFEST_INVALID', /\/contexts\/lm\/adapters\/fr\/graph/],
      ['unknown default', manifest({ context: { adapter: 'es' } }), 'MANIFEST_INVALID', /\/contexts\/lm\/adapter/],
      ['schema', manifest({ context: { adapters: { fr: 42 } } }), 'MANIFEST_INVALID', /adapters/],
      ['outside the folder', manifest({ context: { adapters: { fr: '../escape.sec' } } }), 'PATH_NOT_ALLOWED', /escape/],
    ];
    for (const [name, m, code, message] of bad) {
      const e = await Pipeline.load(m, { backend, baseDir: dir }).catch((err) => err);
      expect(e, name).toBeInstanceOf(QnnNodeError);
      expect(e.code, name).toBe(code);
      expect(e.message, name).toMatch(message);
    }
    await using pipeline = await Pipeline.load(manifest(), { backend, baseDir: dir });
    await expect(pipeline.run({ x: x() }, { adapter: 'es' })).rejects.toMatchObject({ code: 'UNKNOWN_ADAPTER' });
    await expect(pipeline.run({ x: x() }, { adapter: 7 as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    expect(seen).toEqual([]);
  });

  it('switching back to the base without a base adapter names the step', async () => {
    const { backend } = recordingBackend();
    const m = manifest({ context: { adapters: { fr: 'fr.sec' } } });
    (m.steps as Record<string, unknown>[])[1] = { graph: 'decode', inputs: { x: 'x' }, outputs: { y: 'b' }, adapter: 'fr' };
    await using pipeline = await Pipeline.load(m, { backend, baseDir: dir });
    const e = await pipeline.run({ x: x() }).catch((err) => err);
    expect(e.code).toBe('NO_BASE_ADAPTER');
    expect(e.message).toContain('/steps/2');
  });
});
