/**
 * The example manifests (examples/*) end to end on the mock backend, at their real
 * shapes, with small generated assets: a tokenizer.json built here, PNGs encoded with
 * pngjs and sparse embedding tables of the full size. The mock graphs compute simple
 * functions of their inputs; each test recomputes the same math in plain TS, so the
 * wiring (embedding rows, KV cache positions, masks, loop counts, timesteps) is checked.
 */
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
  });

  const lmHead = (h0: number, h1: number): number => {
    const t = (((Math.round(h0 * 16) + 3 * Math.round(h1 * 16)) % 24) + 24) % 24;
    return t < 20 ? t + 1 : STOP;
  };

  /** Graph implementations: simple, input-dependent, exact in fp16. */
  function graphs(seen: { pixels?: Tensor; kvBuffers: Set<ArrayBufferLike>; maskErrors: string[] }): Record<string, MockGraphFn> {
    return {
      vision_encoder: (inputs, outputs) => {
        seen.pixels = inputs.pixel_values.clone();
        const bias = q16(mean(inputs.pixel_values));
        const f = new Float32Array(256 * 2048);
        for (let j = 0; j < 256; j++) for (let d = 0; d < 2048; d++) f[j * 2048 + d] = bias + ((j + d) % 16) / 16;
        outputs.image_embeds.bytes.set(Tensor.fromFloat32('float16', f, [1, 256, 2048]).bytes);
      },
      prefill: (inputs, outputs) => {
        const e = inputs.inputs_embeds.toFloat32();
        const mask = inputs.attention_mask.toFloat32();
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
        const e = inputs.inputs_embeds.toFloat32();
        const p = (inputs.position_ids.data as Int32Array)[0];
        const mask = inputs.attention_mask.toFloat32();
        for (let j = 0; j < 512; j++) if (mask[j] !== (j <= p ? 1 : 0)) seen.maskErrors.push(`pos ${p}: mask[${j}] = ${mask[j]}`);
        const kvPrev = halfToNumber((inputs.past_kv.data as Uint16Array)[(p - 1) * 128]);
        const h = new Float32Array(2048);
        h[0] = e[0] + kvPrev + p / 16;
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

  /** The same pipeline in plain TS. */
  function expected(prompt: string, pixelMean: number, max: number): { tokens: number[]; decodes: number } {
    const prefix = [SPECIAL['<|im_start|>'], WORD_ID.user, SPECIAL['<|vision_start|>']];
    // Whitespace pre-tokenizer: words and punctuation apart; unknown pieces ('.') are <unk> = 0.
    const words = prompt.toLowerCase().match(/\w+|[^\w\s]+/g)!.map((w) => WORD_ID[w] ?? 0);
    const suffix = [SPECIAL['<|vision_end|>'], ...words, SPECIAL['<|im_end|>'], SPECIAL['<|im_start|>'], WORD_ID.assistant];
    const bias = q16(pixelMean);
    const kv0: number[] = [...prefix.map((id) => embedValue(id, 0)), ...Array.from({ length: 256 }, (_, j) => half(bias + (j % 16) / 16)), ...suffix.map((id) => embedValue(id, 0))];
    const n = kv0.length;
    const lastId = suffix[suffix.length - 1];
    let next = lmHead(embedValue(lastId, 0), embedValue(lastId, 1));
    const tokens: number[] = [];
    let pos = n;
    let decodes = 0;
    while (tokens.length < max && next !== STOP) {
      tokens.push(next);
      if (tokens.length >= max) break;
      const e0 = embedValue(next, 0);
      const h0 = half(e0 + kv0[pos - 1] + pos / 16);
      decodes++;
      kv0[pos] = e0;
      pos++;
      next = lmHead(h0, embedValue(next, 1));
    }
    return { tokens, decodes };
  }

  it('generates greedily with prefill, KV write-in-place and decode, as the plain TS computation', async () => {
    const seen: { pixels?: Tensor; kvBuffers: Set<ArrayBufferLike>; maskErrors: string[] } = { kvBuffers: new Set(), maskErrors: [] };
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
    const pixels = preprocessImage(image, { width: 512, height: 512, resize: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], dtype: 'float16' });
    expect(sameBytes(seen.pixels, pixels)).toBe(true);
    const want = expected(prompt, mean(pixels), 12);
    expect(want.decodes).toBeGreaterThanOrEqual(3); // the data exercises several decode steps
    expect(tokens).toEqual(want.tokens);
    expect(text).toBe(want.tokens.map((t) => WORDS[t - 1]).join(' '));
    expect(seen.maskErrors).toEqual([]);
    expect(seen.kvBuffers.size).toBe(1); // one cache for the whole run
    expect(backend.callCounts()).toEqual({ vision_encoder: 1, prefill: 1, decode: want.decodes, lm_head: want.decodes + 1 });
    await pipeline.dispose();
  });

  it('stops at a stop token, and samples deterministically for a seed', async () => {
    const backend = new MockBackend({ graphs: graphs({ kvBuffers: new Set(), maskErrors: [] }) });
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend });
    const greedyLong = await pipeline.run({ image, prompt: 'a red square' }, { params: { max_new_tokens: 40 } });
    const pixels = preprocessImage(image, { width: 512, height: 512, resize: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], dtype: 'float16' });
    const want = expected('a red square', mean(pixels), 40);
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
