/**
 * The golden tiny Qwen3 (examples/tiny-qwen3): the generator's reference-backend binaries
 * run by examples/tiny-qwen3/manifest.json through the addon (Qnn + the reference
 * backend) must produce the greedy tokens and per-step logits of an independent float64
 * implementation (./golden/qwen3-f64.ts) — for prompts of 1, 7 and 320 tokens (one
 * prefill) and 400 tokens (prefill of 320 + decode-over-prompt of 80).
 *
 * Needs the built addon + reference backend (npm run build:native): skipped without them
 * locally, FAILS when CI is set.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { Pipeline } from '../../lib/pipeline/runner.js';
import { generateTinyQwen3 } from '../../examples/tiny-qwen3/generate.js';
import { describeNative } from '../native/helpers.js';
import { tempDir } from './fixtures.js';
import { GoldenQwen3, argmax64, readNpy64, type GoldenConfig } from './golden/qwen3-f64.js';

// The model as its README states it (not imported from the generator).
const CONFIG: GoldenConfig = { layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 320, hidden: 64, theta: 1_000_000, eps: 1e-6 };
const NEW_TOKENS = 8;

/**
 * Bound on |Δlogit|. The pipeline keeps every graph boundary in f16, as the card does:
 * the logits themselves (|logit| < 8 here → f16 spacing 2^-8, rounding ≤ 2^-9 ≈ 0.002),
 * hidden states, rope tables and the KV cache (relative rounding 2^-11 ≈ 4.9e-4 each,
 * propagated through two layers and the lm-head's 64-term dot products: ~1e-3). Inside
 * the graphs it computes in f32 (relative ~1e-7, negligible). Measured: 2.3e-3 to 2.6e-3
 * over the four prompts; 0.01 leaves 4× margin, while a wiring error (a wrong slot,
 * position or mask) moves logits by O(0.1–1) (the old-KV-order case below: > 0.1).
 */
const LOGIT_BOUND = 0.01;

function promptIds(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % CONFIG.vocab;
  });
}

interface Run {
  tokens: readonly number[];
  logits: Float64Array<ArrayBufferLike>[];
}

const { dir, cleanup } = tempDir('tiny-qwen3-');
let recordCount = 0;

async function runPipeline(qnn: Qnn, manifest: string, ids: number[]): Promise<Run> {
  const pipeline = await Pipeline.load(manifest, { backend: qnn });
  const record = join(dir, `rec-${recordCount++}`);
  try {
    const result = await pipeline.run({ prompt: ids.map((i) => `t${i}`).join(' ') }, { record, params: { max_new_tokens: NEW_TOKENS } });
    const index = JSON.parse(readFileSync(join(record, 'index.json'), 'utf8')) as { calls: { graph: string; outputs: Record<string, { file: string }> }[] };
    const logits = index.calls.filter((c) => c.graph === 'lm_head').map((c) => readNpy64(join(record, c.outputs.logits.file)).data);
    return { tokens: result.tokens, logits };
  } finally {
    await pipeline.dispose();
  }
}

function golden(ids: number[]): Run {
  const model = new GoldenQwen3(dir, CONFIG);
  let logits: Float64Array<ArrayBufferLike> = new Float64Array(0);
  for (const id of ids) logits = model.step(id);
  const tokens: number[] = [];
  const all: Float64Array<ArrayBufferLike>[] = [];
  for (let i = 0; i < NEW_TOKENS; i++) {
    all.push(logits);
    tokens.push(argmax64(logits));
    if (i + 1 < NEW_TOKENS) logits = model.step(tokens[i]);
  }
  return { tokens, logits: all };
}

function maxDelta(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  let m = 0;
  for (let s = 0; s < Math.min(a.length, b.length); s++) for (let i = 0; i < a[s].length; i++) m = Math.max(m, Math.abs(a[s][i] - b[s][i]));
  return m;
}

describeNative('golden tiny Qwen3 on the reference backend', () => {
  let qnn: Qnn;
  beforeAll(async () => {
    generateTinyQwen3(dir);
    qnn = await Qnn.load({ backend: 'reference' });
  });
  afterAll(async () => {
    await qnn?.dispose();
    cleanup();
  });

  for (const n of [1, 7, 320, 400]) {
    it(`prompt of ${n} tokens: greedy tokens and every step's logits match the float64 model`, async () => {
      const ids = promptIds(n, n);
      const got = await runPipeline(qnn, join(dir, 'manifest.json'), ids);
      const want = golden(ids);
      const delta = maxDelta(got.logits, want.logits);
      console.log(`tiny-qwen3 prompt ${n}: max |Δlogit| = ${delta.toExponential(3)} over ${got.logits.length} steps; tokens ${got.tokens.join(' ')}`);
      expect(got.logits.length).toBe(NEW_TOKENS);
      expect(got.tokens).toEqual(want.tokens);
      expect(delta).toBeLessThan(LOGIT_BOUND);
    });
  }

  it('catches the old KV write order: a decode mask that turns on the slot being written is far off the float64 model', async () => {
    // Today's qwen3-vl order: the mask of the step at slot s has length s + 1, so slot s
    // (a prefill pad row's KV, written only after the call) is attended.
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const decode = m.steps.find((s: { loop?: unknown; name?: string }) => s.loop && s.name?.startsWith('decode'));
    decode.steps.splice(decode.steps.findIndex((s: { op?: string }) => s.op === 'attention_mask'), 0, { op: 'add', inputs: { a: 'slot', b: 1 }, output: 'slot_next' });
    decode.steps.find((s: { op?: string }) => s.op === 'attention_mask').inputs.length = 'slot_next';
    writeFileSync(join(dir, 'old-order.json'), JSON.stringify(m));
    const ids = promptIds(7, 7);
    const got = await runPipeline(qnn, join(dir, 'old-order.json'), ids);
    const want = golden(ids);
    expect(maxDelta(got.logits.slice(0, 1), want.logits.slice(0, 1))).toBeLessThan(LOGIT_BOUND); // prefill is unaffected
    const delta = maxDelta(got.logits, want.logits);
    console.log(`tiny-qwen3 with the old KV write order: max |Δlogit| = ${delta.toExponential(3)}`);
    expect(delta).toBeGreaterThan(10 * LOGIT_BOUND);
  });

  it('the name table resolves against the real binary: steps may use their own names; a wrong binary name fails at load listing the binary\'s names', async () => {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    // Steps call the cos table "cos_table"; the table maps it to the binary's "rope_cos".
    delete m.contexts.llm.names.rope_cos;
    m.contexts.llm.names.cos_table = 'rope_cos';
    const rename = (steps: { graph?: string; inputs?: Record<string, unknown>; steps?: unknown[] }[]): void => {
      for (const s of steps) {
        if (s.steps) rename(s.steps as typeof steps);
        if (s.graph?.startsWith('llm/') && s.inputs && 'rope_cos' in s.inputs) {
          s.inputs.cos_table = s.inputs.rope_cos;
          delete s.inputs.rope_cos;
        }
      }
    };
    rename(m.steps);
    writeFileSync(join(dir, 'renamed.json'), JSON.stringify(m));
    const ids = promptIds(7, 7);
    const got = await runPipeline(qnn, join(dir, 'renamed.json'), ids);
    expect(got.tokens).toEqual(golden(ids).tokens);

    m.contexts.llm.names.cos_table = 'rope_cos_0';
    writeFileSync(join(dir, 'wrong-name.json'), JSON.stringify(m));
    const err = await Pipeline.load(join(dir, 'wrong-name.json'), { backend: qnn }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/contexts/llm/names/cos_table' } });
    expect((err as Error).message).toContain('"rope_cos"');
  });

  it('an empty prompt is a typed error (slice refuses the computed start -1), not an answer from a padding row', async () => {
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend: qnn });
    try {
      const err = await pipeline.run({ prompt: '' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('expected a start from 0 to 320') });
      expect((err as Error).message).toContain('but received -1');
    } finally {
      await pipeline.dispose();
    }
  });

  it('a prompt longer than the KV cache (513 tokens) fails with a typed error naming the cache position', async () => {
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend: qnn });
    try {
      await expect(pipeline.run({ prompt: promptIds(513, 3).map((i) => `t${i}`).join(' ') })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/position.*512/s) });
      // 512 prompt tokens fill the cache: one token is generated, then generation stops.
      const full = await pipeline.run({ prompt: promptIds(512, 4).map((i) => `t${i}`).join(' ') });
      expect(full.tokens.length).toBe(1);
    } finally {
      await pipeline.dispose();
    }
  });
});
