/**
 * The example manifests (examples/*) end to end on the mock backend, at their real
 * shapes, with small generated assets: a tokenizer.json built here, PNGs encoded with
 * pngjs and sparse embedding tables of the full size. The mock graphs compute simple
 * functions of their inputs; each test recomputes the same math in plain TS, so the
 * wiring (embedding rows, KV cache positions, masks, loop counts, timesteps) is checked.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor, preprocessImage, type MockGraphFn } from '../../lib/index.js';
import { halfToNumber, numberToHalf } from '../../lib/tensor/fp16.js';
import { copyExample, pngBytes, tempDir, writeEmbeddingTable, writeTokenizer } from './fixtures.js';
import { writeSafetensors } from './safetensors-fixture.js';

const q16 = (x: number): number => Math.round(x * 16) / 16;
const half = (x: number): number => halfToNumber(numberToHalf(x));
const embedValue = (id: number, d: number): number => ((id * 5 + d * 3) % 16) / 16;

/** Byte equality without vitest's element-by-element diffing (slow on megabytes). */
function sameBytes(a: Tensor | undefined, b: Tensor): boolean {
  return a !== undefined && Buffer.compare(a.bytes, b.bytes) === 0;
}

function mean(t: Tensor): number {
  const f = t.toFloat32();
  let s = 0;
  for (const v of f) s += v;
  return s / f.length;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

/*
 * Qwen3-VL Stage F weights at the card's shapes, generated with structure so the expected
 * vision input has a closed form: the patch-embed kernel [1024, 3, 2, 16, 16] has 1/64 at
 * flat index j of output d when j % 1024 = d; bias[d] = (d % 8) / 64; the position table
 * (48 x 48 grid) is linear in its grid coordinates, E[gr, gc, d] = (gr/100 + gc/1000)·(d % 4 + 1),
 * so its align-corners bilinear resize to 32 x 32 is that function at (r·47/31, c·47/31).
 */
const F_GRID = 48;
const posValue = (y: number, x: number, d: number): number => (y / 100 + x / 1000) * ((d % 4) + 1);

function writeStageFAssets(dir: string): void {
  const kernel = new Float32Array(1024 * 1536);
  for (let d = 0; d < 1024; d++) for (let j = d; j < 1536; j += 1024) kernel[d * 1536 + j] = 1 / 64;
  const bias = Float32Array.from({ length: 1024 }, (_, d) => (d % 8) / 64);
  const table = new Float32Array(F_GRID * F_GRID * 1024);
  for (let gr = 0; gr < F_GRID; gr++) for (let gc = 0; gc < F_GRID; gc++) for (let d = 0; d < 1024; d++) table[(gr * F_GRID + gc) * 1024 + d] = posValue(gr, gc, d);
  for (const [name, data] of [['vis_patch_embed_f32.bin', kernel], ['vis_patch_embed_bias_f32.bin', bias], ['vis_pos_embed_f32.bin', table]] as const) {
    writeFileSync(join(dir, name), new Uint8Array(data.buffer));
  }
}

/** The vision graph's expected input from the [3, 512, 512] pixels: patches (processor order) · kernel + bias + pos. */
function stageFReference(pixels: Float32Array): Float64Array {
  const out = new Float64Array(1024 * 1024);
  for (let t = 0; t < 1024; t++) {
    // Token t of the merge-window order: window (t >> 2) of a 16 x 16 grid of windows, cell t & 3.
    const win = t >> 2;
    const r = (win >> 4) * 2 + ((t >> 1) & 1);
    const c = (win & 15) * 2 + (t & 1);
    // Patch vector index j = ((channel·2 + frame)·16 + y)·16 + x; both frames are the image.
    const patch = (j: number): number => pixels[((j >> 9) * 512 + r * 16 + ((j >> 4) & 15)) * 512 + c * 16 + (j & 15)];
    for (let d = 0; d < 1024; d++) {
      let v = (d % 8) / 64 + patch(d) / 64;
      if (d + 1024 < 1536) v += patch(d + 1024) / 64;
      out[t * 1024 + d] = v + posValue((r * 47) / 31, (c * 47) / 31, d);
    }
  }
  return out;
}

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

describe('examples/qwen3-vl on the mock backend', () => {
  const SPECIAL = { '<|endoftext|>': 151643, '<|im_start|>': 151644, '<|im_end|>': 151645, '<|vision_start|>': 151652, '<|vision_end|>': 151653 };
  const WORDS = ['user', 'assistant', 'describe', 'this', 'image', 'a', 'red', 'square', 'on', 'blue', 'sky', 'with', 'cloud', 'and', 'sun', 'tree', 'grass', 'the', 'is', 'in'];
  const WORD_ID = Object.fromEntries(WORDS.map((w, i) => [w, i + 1]));
  const STOP = SPECIAL['<|im_end|>'];
  let dir: string;
  const image = pngBytes(24, 16, (x, y) => [x * 10, y * 15, (x + y) * 4]);

  beforeAll(() => {
    const t = tempDir('qwen3vl-');
    dir = t.dir;
    cleanups.push(t.cleanup);
    copyExample('qwen3-vl', dir);
    writeTokenizer(join(dir, 'tokenizer.json'), { words: WORD_ID, specials: SPECIAL });
    writeEmbeddingTable(join(dir, 'embed_f16.bin'), 151936, 2048, 'float16', [0, ...Object.values(WORD_ID), ...Object.values(SPECIAL)], embedValue);
    writeStageFAssets(dir);
  });

  const lmHead = (h0: number, h1: number): number => {
    const t = (((Math.round(h0 * 16) + 3 * Math.round(h1 * 16)) % 24) + 24) % 24;
    return t < 20 ? t + 1 : STOP;
  };

  /** What the mock graphs observed: the decode graph checks its own inputs (masks, rope) against the slot it must be at. */
  interface Seen {
    /** The vision graph's input (Stage F output). */
    hidden?: Tensor;
    prefillN?: number;
    decodeCalls?: number;
    kvBuffers: Set<ArrayBufferLike>;
    maskErrors: string[];
    ropeErrors: string[];
  }
  const newSeen = (): Seen => ({ kvBuffers: new Set(), maskErrors: [], ropeErrors: [] });
  /** Decode positions continue the text numbering: slot + delta, delta = next − n = 19 − 259 (3 prefix tokens, a 16×16 grid at 3..18). */
  const ROPE_DELTA = 3 + 16 - (3 + 256);

  /** Graph implementations: simple, input-dependent, exact in fp16. */
  function graphs(seen: Seen): Record<string, MockGraphFn> {
    return {
      vision_encoder: (inputs, outputs) => {
        seen.hidden = inputs.hidden_states.clone();
        const bias = q16(mean(inputs.hidden_states));
        const f = new Float32Array(256 * 2048);
        for (let j = 0; j < 256; j++) for (let d = 0; d < 2048; d++) f[j * 2048 + d] = bias + ((j + d) % 16) / 16;
        outputs.image_embeds.bytes.set(Tensor.fromFloat32('float16', f, [1, 256, 2048]).bytes);
      },
      prefill: (inputs, outputs) => {
        const e = inputs.inputs_embeds.toFloat32();
        const mask = inputs.attention_mask.toFloat32();
        seen.prefillN = mask.reduce((a, v) => a + v, 0);
        seen.decodeCalls = 0;
        // Row 300 (text after the image when the prompt reaches it) has t = h = w = 300 + delta: cos(position · inv_freq[0] = 1).
        if (seen.prefillN > 300 && Math.abs(inputs.rope_cos.toFloat32()[300 * 64] - Math.cos(300 + ROPE_DELTA)) > 1e-3) seen.ropeErrors.push('prefill row 300');
        const h = new Float32Array(e.length);
        for (let p = 0; p < 320; p++) for (let d = 0; d < 2048; d++) h[p * 2048 + d] = e[p * 2048 + d] * mask[p];
        outputs.hidden_states.bytes.set(Tensor.fromFloat32('float16', h, [1, 320, 2048]).bytes);
        // present_kv[0, 0, 0, p, d] = embeds[p, d]
        const kv = outputs.present_kv.data as Uint16Array;
        const eh = inputs.inputs_embeds.data as Uint16Array;
        for (let p = 0; p < 320; p++) kv.set(eh.subarray(p * 2048, p * 2048 + 128), p * 128);
      },
      decode: (inputs, outputs) => {
        seen.kvBuffers.add(inputs.past_kv.data.buffer);
        // The k-th decode call of a run is at slot (prefill rows) + k.
        const slot = seen.prefillN! + seen.decodeCalls!++;
        const e = inputs.inputs_embeds.toFloat32();
        const mask = inputs.attention_mask.toFloat32();
        // Slots [0, slot) hold KV; slot itself is written after this call, so it must be off.
        for (let j = 0; j < 512; j++) if (mask[j] !== (j < slot ? 1 : 0)) seen.maskErrors.push(`slot ${slot}: mask[${j}] = ${mask[j]}`);
        const cos = inputs.rope_cos.toFloat32();
        const sin = inputs.rope_sin.toFloat32();
        if (Math.abs(cos[0] - Math.cos(slot + ROPE_DELTA)) > 1e-3 || Math.abs(sin[0] - Math.sin(slot + ROPE_DELTA)) > 1e-3) seen.ropeErrors.push(`slot ${slot}: cos ${cos[0]} sin ${sin[0]}`);
        const kvPrev = halfToNumber((inputs.past_kv.data as Uint16Array)[(slot - 1) * 128]);
        const h = new Float32Array(2048);
        h[0] = e[0] + kvPrev + slot / 16;
        h[1] = e[1];
        outputs.hidden_states.bytes.set(Tensor.fromFloat32('float16', h, [1, 1, 2048]).bytes);
        (outputs.new_kv.data as Uint16Array).set((inputs.inputs_embeds.data as Uint16Array).subarray(0, 128), 0);
      },
      lm_head: (inputs, outputs) => {
        const h = inputs.hidden_states.toFloat32();
        const logits = outputs.logits.data as Uint16Array;
        logits.fill(0);
        logits[lmHead(h[0], h[1])] = numberToHalf(8);
        // a second candidate so that sampling with a temperature has a choice
        logits[(lmHead(h[0], h[1]) % 20) + 1] = numberToHalf(7.5);
      },
    };
  }

  /** The same pipeline in plain TS: prefill of up to 320 rows, decode-over-prompt for the rest, then generation. */
  function expected(prompt: string, pixelMean: number, max: number): { tokens: number[]; decodes: number } {
    const prefix = [SPECIAL['<|im_start|>'], WORD_ID.user, SPECIAL['<|vision_start|>']];
    // Whitespace pre-tokenizer: words and punctuation apart; unknown pieces ('.') are <unk> = 0.
    const words = prompt.toLowerCase().match(/\w+|[^\w\s]+/g)!.map((w) => WORD_ID[w] ?? 0);
    const suffix = [SPECIAL['<|vision_end|>'], ...words, SPECIAL['<|im_end|>'], SPECIAL['<|im_start|>'], WORD_ID.assistant];
    const bias = q16(pixelMean);
    const rows: [number, number][] = [...prefix.map((id): [number, number] => [embedValue(id, 0), embedValue(id, 1)]), ...Array.from({ length: 256 }, (_, j): [number, number] => [half(bias + (j % 16) / 16), half(bias + ((j + 1) % 16) / 16)]), ...suffix.map((id): [number, number] => [embedValue(id, 0), embedValue(id, 1)])];
    const n = rows.length;
    const kv0 = rows.map((r) => r[0]);
    let decodes = 0;
    const decode = (e0: number, e1: number, slot: number): [number, number] => {
      decodes++;
      const h0 = half(e0 + kv0[slot - 1] + slot / 16);
      kv0[slot] = e0;
      return [h0, e1];
    };
    let last: [number, number] = rows[Math.min(n, 320) - 1];
    for (let slot = 320; slot < n; slot++) last = decode(rows[slot][0], rows[slot][1], slot);
    let next = lmHead(last[0], last[1]);
    const tokens: number[] = [];
    let slot = n;
    while (tokens.length < max && next !== STOP) {
      tokens.push(next);
      if (tokens.length >= max || slot >= 512) break;
      const [h0, h1] = decode(embedValue(next, 0), embedValue(next, 1), slot++);
      next = lmHead(h0, h1);
    }
    return { tokens, decodes };
  }

  it('generates greedily with prefill, KV write-in-place and decode, as the plain TS computation', async () => {
    const seen = newSeen();
    const backend = new MockBackend({ graphs: graphs(seen) });
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend });
    const prompt = 'Describe this image.';
    const tokens: number[] = [];
    let text = '';
    for await (const e of pipeline.stream({ image }, { params: { max_new_tokens: 12 } })) {
      if (e.type === 'token') {
        tokens.push(e.id);
        text += e.text;
      }
    }
    // Stage F: the vision graph got the host patch embeddings + position embeddings.
    const pixels = preprocessImage(image, { width: 512, height: 512, resize: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], dtype: 'float32' });
    expect(seen.hidden!.dims).toEqual([1024, 1024]);
    expect(maxDiff(seen.hidden!.data as Float32Array, stageFReference(pixels.data as Float32Array))).toBeLessThan(1e-5);
    const want = expected(prompt, mean(seen.hidden!), 12);
    expect(want.decodes).toBeGreaterThanOrEqual(3); // the data exercises several decode steps
    expect(tokens).toEqual(want.tokens);
    expect(text).toBe(want.tokens.map((t) => WORDS[t - 1]).join(' '));
    expect(seen.maskErrors).toEqual([]);
    expect(seen.ropeErrors).toEqual([]);
    expect(seen.kvBuffers.size).toBe(1); // one cache for the whole run
    expect(backend.callCounts()).toEqual({ vision_encoder: 1, prefill: 1, decode: want.decodes, lm_head: want.decodes + 1 });
    await pipeline.dispose();
  });

  it('continues a prompt longer than the 320-row prefill decode-over-prompt, stops when the 512 KV slots are full, and refuses a prompt over 512', async () => {
    const seen = newSeen();
    const backend = new MockBackend({ graphs: graphs(seen) });
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend });
    const words = (count: number): string => Array.from({ length: count }, (_, i) => WORDS[(i * 7) % WORDS.length]).join(' ');
    // 70 words: 3 + 256 + 74 = 333 prompt tokens, 13 past the prefill.
    const long = await pipeline.run({ image, prompt: words(70) }, { params: { max_new_tokens: 6 } });
    const want = expected(words(70), mean(seen.hidden!), 6);
    expect(seen.prefillN).toBe(320);
    expect(long.tokens).toEqual(want.tokens);
    expect(backend.callCounts().decode).toBe(want.decodes);
    expect(want.decodes).toBeGreaterThanOrEqual(13 + 1);
    // 243 words: 506 prompt tokens; generation stops when slot 512 would be written.
    const full = await pipeline.run({ image, prompt: words(243) }, { params: { max_new_tokens: 40, stop_ids: [] } });
    expect(full.tokens.length).toBe(512 - 506 + 1);
    expect(full.tokens.slice(0, 2)).toEqual(expected(words(243), mean(seen.hidden!), 40).tokens.slice(0, 2));
    expect(seen.maskErrors).toEqual([]);
    expect(seen.ropeErrors).toEqual([]);
    // 260 words: 523 prompt tokens do not fit the KV cache.
    await expect(pipeline.run({ image, prompt: words(260) })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/523 positions.*size is 512/) });
    await pipeline.dispose();
  });

  it('stops at a stop token, and samples deterministically for a seed', async () => {
    const seen = newSeen();
    const backend = new MockBackend({ graphs: graphs(seen) });
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend });
    const greedyLong = await pipeline.run({ image, prompt: 'a red square' }, { params: { max_new_tokens: 40 } });
    const want = expected('a red square', mean(seen.hidden!), 40);
    expect(want.tokens.length).toBeLessThan(40); // ended by the stop token, not by max_new_tokens
    expect(greedyLong.tokens).toEqual(want.tokens);
    expect(greedyLong.outputs.text).toBe(want.tokens.map((t) => WORDS[t - 1]).join(' '));
    const sampled = (seed: number) => pipeline.run({ image }, { seed, params: { max_new_tokens: 8, temperature: 1, top_k: 2 } });
    const [a, b, c] = [await sampled(1), await sampled(1), await sampled(2)];
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens.length).toBeGreaterThan(0);
    expect(a.tokens.join()).not.toBe(c.tokens.join());
    await pipeline.dispose();
  });
});

describe('examples/smolvla on the mock backend', () => {
  const WORDS = ['pick', 'up', 'the', 'red', 'block', 'and', 'place', 'it', 'in', 'basket'];
  const WORD_ID = Object.fromEntries(WORDS.map((w, i) => [w, i + 3]));
  const STATE_MEAN = [0.1, -0.2, 0.3, 0.05, -0.5, 0.25, 0.02, -0.01];
  const STATE_STD = [0.5, 0.25, 2, 1, 0.125, 4, 0.03, 0.02];
  const ACTION_MEAN = [0.01, 0.02, -0.03, 0, 0.1, -0.1, 0.5];
  const ACTION_STD = [0.3, 0.4, 0.5, 0.1, 0.2, 0.25, 0.9];
  let dir: string;

  beforeAll(() => {
    const t = tempDir('smolvla-');
    dir = t.dir;
    cleanups.push(t.cleanup);
    copyExample('smolvla', dir);
    writeTokenizer(join(dir, 'tokenizer.json'), { words: WORD_ID, specials: { '<pad>': 2 } });
    writeEmbeddingTable(join(dir, 'embed_tokens_f16.bin'), 49280, 960, 'float16', [2, ...Object.values(WORD_ID)], embedValue);
    // LeRobot >= 0.4 ships the stats as normalizer / unnormalizer safetensors (flat "<feature>.<stat>" keys).
    writeSafetensors(join(dir, 'policy_preprocessor_step_5_normalizer_processor.safetensors'), {
      'observation.state.mean': STATE_MEAN,
      'observation.state.std': STATE_STD,
      'action.mean': ACTION_MEAN,
      'action.std': ACTION_STD,
    });
    writeSafetensors(join(dir, 'policy_postprocessor_step_0_unnormalizer_processor.safetensors'), { 'action.mean': ACTION_MEAN, 'action.std': ACTION_STD });
  });

  const image = pngBytes(32, 32, (x, y) => [x * 8, y * 8, 128]);
  const wrist = pngBytes(20, 20, () => [200, 10, 10]);
  const state = new Tensor('float32', Float32Array.from({ length: 8 }, (_, i) => i / 4 - 0.6), [1, 8]);
  const task = 'pick up the red block';

  /** Graphs that record what they see; kv[0] summarises every backbone input so the action head depends on all of them. */
  function graphs(seen: Record<string, Tensor | number[] | Set<ArrayBufferLike>> & { timesteps: number[]; kv: Set<ArrayBufferLike> }): Record<string, MockGraphFn> {
    return {
      vision_encoder: (inputs, outputs) => {
        const f = new Float32Array(64 * 960).fill(q16(mean(inputs.pixel_values)));
        outputs.image_embeddings.bytes.set(Tensor.fromFloat32(outputs.image_embeddings.dtype, f, [1, 64, 960]).bytes);
      },
      llm_backbone: (inputs, outputs) => {
        seen.lang = inputs['/embed_tokens/Gather_output_0'].clone();
        seen.langMask = inputs.lang_masks.clone();
        seen.state = inputs.state.clone();
        const c = q16(inputs.image_embeddings_0.toFloat32()[0] + inputs.image_embeddings_1.toFloat32()[0] + mean(inputs.lang_masks) + inputs.state.toFloat32()[0]);
        const kv = outputs.kv_cache;
        kv.bytes.set(Tensor.fromFloat32(kv.dtype, Float32Array.of(c), [1]).bytes, 0);
      },
      action_head: (inputs, outputs) => {
        seen.kv.add(inputs.kv_cache.data.buffer);
        seen.prefixMask = inputs.prefix_pad_masks.clone();
        const t = inputs.timestep.toFloat32()[0];
        seen.timesteps.push(t);
        const c = inputs.kv_cache.toFloat32()[0];
        outputs.velocity.bytes.set(Tensor.fromFloat32(outputs.velocity.dtype, new Float32Array(50 * 32).fill(t + c), [1, 50, 32]).bytes);
      },
    };
  }

  /** The same run in plain TS: LeRobot's order (normalize, pad, Euler steps, unpad, unnormalize) in the variant's precision. */
  function expected(noise: Float32Array, timesteps: number[], round: (x: number) => number): number[] {
    const pix = (png: Uint8Array): number => mean(preprocessImage(png, { width: 512, height: 512, rescale: 2 / 255, mean: [1], std: [1], dtype: 'float32' }));
    const ids = task.split(' ').length;
    const s0 = round((state.toFloat32()[0] - Math.fround(STATE_MEAN[0])) / (Math.fround(STATE_STD[0]) + 1e-8));
    const c = round(q16(round(q16(round(pix(image)))) + round(q16(round(pix(wrist)))) + ids / 48 + s0));
    const dt = Math.fround(-1 / timesteps.length);
    const out: number[] = [];
    for (let k = 0; k < 50 * 32; k++) {
      let x = noise[k];
      for (const t of timesteps) x = round(Math.fround(x + Math.fround(dt * round(t + c))));
      if (k % 32 < 7) out.push(Math.fround(x * Math.fround(ACTION_STD[k % 32]) + Math.fround(ACTION_MEAN[k % 32])));
    }
    return out;
  }

  it('runs vision x2 -> backbone (card input names, pad masks, normalized state) -> 10 flow-matching steps -> unnormalized actions', async () => {
    const seen = { timesteps: [] as number[], kv: new Set<ArrayBufferLike>() } as Parameters<typeof graphs>[0];
    const backend = new MockBackend({ graphs: graphs(seen) });
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend });
    expect(pipeline.variant).toBe('fp16');
    const result = await pipeline.run({ image, wrist_image: wrist, task, state }, { seed: 3 });

    // Language: token ids + "\n"-free template tokens, padded to 48 with the pad id 2, gathered from the table.
    const ids = task.split(' ').map((w) => WORD_ID[w]);
    const padded = [...ids, ...Array<number>(48 - ids.length).fill(2)];
    const lang = (seen.lang as Tensor).toFloat32();
    padded.forEach((id, p) => {
      expect(lang[p * 960]).toBe(embedValue(id, 0));
      expect(lang[p * 960 + 959]).toBe(embedValue(id, 959));
    });
    const langMask = padded.map((_, p) => (p < ids.length ? 1 : 0));
    expect((seen.langMask as Tensor).dtype).toBe('int32');
    expect([...(seen.langMask as Tensor).toFloat32()]).toEqual(langMask);
    // The action expert attends to the 177 prefix tokens [image 0 | image 1 | language | state] through this mask.
    expect([...(seen.prefixMask as Tensor).toFloat32()]).toEqual([...Array<number>(128).fill(1), ...langMask, 1]);
    // State: MEAN_STD-normalized per dimension, then zero-padded to 32.
    const s = state.toFloat32();
    expect([...(seen.state as Tensor).toFloat32()]).toEqual([...Array.from({ length: 8 }, (_, i) => half((s[i] - Math.fround(STATE_MEAN[i])) / (Math.fround(STATE_STD[i]) + 1e-8))), ...Array<number>(24).fill(0)]);

    // Flow matching: 10 steps, t = 1, 0.9, …, 0.1 (float32-accumulated, as LeRobot); x <- x + dt * v.
    expect(backend.callCounts()).toEqual({ vision_encoder: 2, llm_backbone: 1, action_head: 10 });
    let t32 = 1;
    const schedule = Array.from({ length: 10 }, (_, i) => (i === 0 ? 1 : (t32 = Math.fround(t32 + Math.fround(-0.1)))));
    expect(seen.timesteps).toEqual(schedule.map(half));
    expect(seen.kv.size).toBe(1);
    const actions = result.outputs.actions as Tensor;
    expect(actions.dtype).toBe('float32');
    expect(actions.dims).toEqual([1, 50, 7]);
    const want = expected((result.outputs.noise as Tensor).toFloat32(), seen.timesteps, half);
    const got = actions.toFloat32();
    for (const k of [0, 6, 17, 349]) expect(got[k]).toBe(want[k]);
    // The noise comes from the seeded PRNG: same seed, same noise; another seed, other noise.
    const again = await pipeline.run({ image, wrist_image: wrist, task, state }, { seed: 3 });
    expect(sameBytes(again.outputs.noise as Tensor, result.outputs.noise as Tensor)).toBe(true);
    const other = await pipeline.run({ image, wrist_image: wrist, task, state }, { seed: 4 });
    expect(sameBytes(other.outputs.noise as Tensor, result.outputs.noise as Tensor)).toBe(false);
    await pipeline.dispose();
  });

  it('num_steps is a parameter: dt = -1/num_steps and t = 1, 0.75, 0.5, 0.25 for 4 steps', async () => {
    const seen = { timesteps: [] as number[], kv: new Set<ArrayBufferLike>() } as Parameters<typeof graphs>[0];
    const backend = new MockBackend({ graphs: graphs(seen) });
    await using pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend });
    const result = await pipeline.run({ image, wrist_image: wrist, task, state }, { seed: 5, params: { num_steps: 4 } });
    expect(seen.timesteps).toEqual([1, 0.75, 0.5, 0.25]);
    const want = expected((result.outputs.noise as Tensor).toFloat32(), seen.timesteps, half);
    const got = (result.outputs.actions as Tensor).toFloat32();
    for (const k of [0, 3, 349]) expect(got[k]).toBe(want[k]);
  });

  it('the fp32 variant switches the binaries, the signatures and every host tensor to float32', async () => {
    const seen = { timesteps: [] as number[], kv: new Set<ArrayBufferLike>() } as Parameters<typeof graphs>[0];
    const loaded: string[] = [];
    const backend = new MockBackend({ graphs: graphs(seen) });
    const load = backend.loadContext.bind(backend);
    backend.loadContext = (path, options) => {
      loaded.push(String(path));
      return load(path, options);
    };
    await using pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend, variant: 'fp32' });
    expect(pipeline.variant).toBe('fp32');
    expect(loaded.map((p) => p.slice(dir.length + 1))).toEqual([
      'qnn_models/windows-aarch64-fp32/libvision_encoder_htp_fp32.serialized.bin',
      'qnn_models/windows-aarch64-fp32/libllm_backbone_htp_fp32.serialized.bin',
      'qnn_models/windows-aarch64-fp32/libaction_head_v2_htp_fp32.serialized.bin',
    ]);
    const result = await pipeline.run({ image, wrist_image: wrist, task, state }, { seed: 3 });
    expect((seen.lang as Tensor).dtype).toBe('float32');
    expect((seen.state as Tensor).dtype).toBe('float32');
    expect((result.outputs.noise as Tensor).dtype).toBe('float32');
    let t32 = 1;
    expect(seen.timesteps).toEqual(Array.from({ length: 10 }, (_, i) => (i === 0 ? 1 : (t32 = Math.fround(t32 + Math.fround(-0.1))))));
    const want = expected((result.outputs.noise as Tensor).toFloat32(), seen.timesteps, Math.fround);
    const got = (result.outputs.actions as Tensor).toFloat32();
    for (const k of [0, 6, 17, 349]) expect(got[k]).toBeCloseTo(want[k], 5);
    await expect(Pipeline.load(join(dir, 'manifest.json'), { backend, variant: 'int8' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('"fp16", "fp32"') });
  });
});

describe('examples/sam2 on the mock backend', () => {
  it('runs the encoder once and the decoder on the prompt', async () => {
    const { dir, cleanup } = tempDir('sam2-');
    cleanups.push(cleanup);
    copyExample('sam2', dir);
    let pixels: Tensor | undefined;
    const backend = new MockBackend({
      graphs: {
        SAM2Encoder: (inputs, outputs) => {
          pixels = inputs.image.clone();
          (outputs.image_embeddings.data as Float32Array).fill(mean(inputs.image));
          (outputs.high_res_features1.data as Float32Array).fill(1);
          (outputs.high_res_features2.data as Float32Array).fill(2);
        },
        SAM2Decoder: (inputs, outputs) => {
          const pts = inputs.point_coords.data as Float32Array;
          const labels = inputs.point_labels.data as Float32Array;
          const emb = (inputs.image_embeddings.data as Float32Array)[0];
          const masks = outputs.masks.data as Float32Array;
          // a box between the two points (in mask coordinates, 1/4 of the input frame)
          for (let y = 0; y < 180; y++) for (let x = 0; x < 320; x++) masks[y * 320 + x] = x >= pts[0] / 4 && x < pts[2] / 4 && y >= pts[1] / 4 && y < pts[3] / 4 ? 1 : 0;
          (outputs.scores.data as Float32Array)[0] = emb + labels[0] + labels[1];
        },
      },
    });
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend });
    const image = pngBytes(64, 36, (x) => [x * 4, 100, 50]);
    const points = new Tensor('float32', [40, 20, 120, 60], [1, 2, 2]);
    const labels = new Tensor('float32', [1, 1], [1, 2]);
    const result = await pipeline.run({ image, points, labels });
    const expectedPixels = preprocessImage(image, { width: 1280, height: 720, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], dtype: 'float32' });
    expect(sameBytes(pixels, expectedPixels)).toBe(true);
    const masks = result.outputs.masks as Tensor;
    let on = 0;
    for (const v of masks.data as Float32Array) on += v;
    expect(on).toBe((30 - 10) * (15 - 5));
    expect((result.outputs.scores as Tensor).data[0]).toBeCloseTo(mean(expectedPixels) + 2, 5);
    expect(backend.callCounts()).toEqual({ SAM2Encoder: 1, SAM2Decoder: 1 });
    // Inputs of the wrong shape are rejected before anything runs.
    await expect(pipeline.run({ image, points: new Tensor('float32', [1, 2], [1, 1, 2]), labels })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await pipeline.dispose();
  });
});
