/**
 * Small counterparts of the example pipelines on the NATIVE path: tiny context binaries
 * written with lib/reference/writer.ts (hidden 8, vocab 32) implement the same wiring with
 * real ops (Gather, MatMul, Add, Softmax, …), the same manifest shapes run through `Qnn`
 * with the project's reference backend, and a plain TypeScript computation of the same
 * math checks the outputs — so KV wiring, positions, masks and loop counts are proven on
 * the code path a device uses.
 *
 * Needs the built addon + reference backend (npm run build:native): skipped without them
 * locally, FAILS when CI is set.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { Prng } from '../../lib/random.js';
import { Pipeline } from '../../lib/pipeline/runner.js';
import { preprocessImage } from '../../lib/pipeline/ops/image.js';
import { encodeReferenceBinary, type ReferenceBinaryDesc } from '../../lib/reference/writer.js';
import { halfToNumber, numberToHalf } from '../../lib/tensor/fp16.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { describeNative } from '../native/helpers.js';
import { decodeSteps } from './decode-steps.js';
import { pngBytes, tempDir, writeEmbeddingTable, writeTokenizer } from './fixtures.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function weights(seed: number, n: number, scale = 0.5): Float32Array {
  const rng = new Prng(seed);
  return Float32Array.from({ length: n }, () => Math.fround((rng.next() * 2 - 1) * scale));
}

/** y[m, n] = x[m, k] · w[k, n] (row-major, fp32 products summed in double). */
function matmul(x: ArrayLike<number>, w: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += x[i * k + t] * w[t * n + j];
    y[i * n + j] = s;
  }
  return y;
}

function argmax(v: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
}

const sig = (binary: string, graphs: string[]) => ({ binary, graphs });

describeNative('example wiring on the reference backend (Qnn)', () => {
  it('qwen3-vl shape: vision -> prefill with KV output -> decode with a KV cache -> lm-head, greedy', async () => {
    const { dir, cleanup } = tempDir('ref-qwen-');
    cleanups.push(cleanup);
    const H = 8;
    const V = 32;
    const P = 16;
    const M = 24;
    const IMG = 6; // image tokens: [1,3,4,4] pixels reshaped to [1,6,8] -> · Wv
    const Wv = weights(1, H * H);
    const Wk = weights(2, H * H);
    const POS = weights(3, M * H, 0.25);
    const Wout = weights(4, H * V, 1);
    const f32 = (name: string, dims: number[]) => ({ name, dtype: 'float32' as const, dims });
    const llm: ReferenceBinaryDesc = {
      description: 'tiny weight-shared prefill + decode',
      statics: [
        { ...f32('wk', [H, H]), data: Wk },
        { ...f32('pos_table', [M, H]), data: POS },
        { ...f32('one', [1]), fill: 1 },
        { ...f32('big', [1]), fill: 10000 },
        { ...f32('zero', [1, 1]), fill: 0 },
      ],
      graphs: [
        {
          name: 'prefill',
          inputs: [f32('inputs_embeds', [1, P, H]), { name: 'position_ids', dtype: 'int32', dims: [1, P] }, f32('attention_mask', [1, P])],
          outputs: [f32('hidden_states', [1, P, H]), f32('present_kv', [1, P, H])],
          tensors: [f32('pe', [1, P, H]), f32('sum', [1, P, H]), f32('mask3', [1, P, 1])],
          nodes: [
            { op: 'Gather', inputs: ['pos_table', 'position_ids'], outputs: ['pe'], params: { axis: 0 } },
            { op: 'ElementWiseAdd', inputs: ['inputs_embeds', 'pe'], outputs: ['sum'] },
            { op: 'Reshape', inputs: ['attention_mask'], outputs: ['mask3'] },
            { op: 'ElementWiseMultiply', inputs: ['sum', 'mask3'], outputs: ['hidden_states'] },
            { op: 'MatMul', inputs: ['inputs_embeds', 'wk'], outputs: ['present_kv'] },
          ],
        },
        {
          name: 'decode',
          inputs: [f32('inputs_embeds', [1, 1, H]), { name: 'position_ids', dtype: 'int32', dims: [1, 1] }, f32('attention_mask', [1, M]), f32('past_kv', [1, M, H])],
          outputs: [f32('hidden_states', [1, 1, H]), f32('new_kv', [1, 1, H])],
          // Attends over the slots the mask turns on plus its own new KV row (written by the host after the call).
          tensors: [f32('keys', [1, M + 1, H]), f32('scores', [1, 1, M + 1]), f32('m1', [1, M]), f32('madd', [1, M]), f32('mall', [1, M + 1]), f32('masked', [1, 1, M + 1]), f32('w', [1, 1, M + 1]), f32('ctx', [1, 1, H]), f32('pe', [1, 1, H]), f32('h1', [1, 1, H])],
          nodes: [
            { op: 'MatMul', inputs: ['inputs_embeds', 'wk'], outputs: ['new_kv'] },
            { op: 'Concat', inputs: ['past_kv', 'new_kv'], outputs: ['keys'], params: { axis: 1 } },
            { op: 'MatMul', inputs: ['inputs_embeds', 'keys'], outputs: ['scores'], params: { transpose_in1: true } },
            { op: 'ElementWiseSubtract', inputs: ['attention_mask', 'one'], outputs: ['m1'] },
            { op: 'ElementWiseMultiply', inputs: ['m1', 'big'], outputs: ['madd'] },
            { op: 'Concat', inputs: ['madd', 'zero'], outputs: ['mall'], params: { axis: 1 } },
            { op: 'ElementWiseAdd', inputs: ['scores', 'mall'], outputs: ['masked'] },
            { op: 'Softmax', inputs: ['masked'], outputs: ['w'] },
            { op: 'MatMul', inputs: ['w', 'keys'], outputs: ['ctx'] },
            { op: 'Gather', inputs: ['pos_table', 'position_ids'], outputs: ['pe'], params: { axis: 0 } },
            { op: 'ElementWiseAdd', inputs: ['inputs_embeds', 'ctx'], outputs: ['h1'] },
            { op: 'ElementWiseAdd', inputs: ['h1', 'pe'], outputs: ['hidden_states'] },
          ],
        },
      ],
    };
    const vision: ReferenceBinaryDesc = {
      statics: [{ ...f32('wv', [H, H]), data: Wv }],
      graphs: [
        {
          name: 'vision_encoder',
          inputs: [f32('pixel_values', [1, 3, 4, 4])],
          outputs: [f32('image_embeds', [1, IMG, H])],
          tensors: [f32('patches', [1, IMG, H])],
          nodes: [
            { op: 'Reshape', inputs: ['pixel_values'], outputs: ['patches'] },
            { op: 'MatMul', inputs: ['patches', 'wv'], outputs: ['image_embeds'] },
          ],
        },
      ],
    };
    const lmhead: ReferenceBinaryDesc = {
      statics: [{ ...f32('wout', [H, V]), data: Wout }],
      graphs: [{ name: 'lm_head', inputs: [f32('hidden_states', [1, 1, H])], outputs: [f32('logits', [1, 1, V])], nodes: [{ op: 'MatMul', inputs: ['hidden_states', 'wout'], outputs: ['logits'] }] }],
    };
    writeFileSync(join(dir, 'llm.bin'), encodeReferenceBinary(llm));
    writeFileSync(join(dir, 'vision.bin'), encodeReferenceBinary(vision));
    writeFileSync(join(dir, 'lmhead.bin'), encodeReferenceBinary(lmhead));
    const SPECIAL = { '<|im_start|>': 28, '<|im_end|>': 29, '<|vision_start|>': 30, '<|vision_end|>': 31 };
    const WORDS = ['user', 'assistant', 'describe', 'this', 'image', 'a', 'cat'];
    const WORD_ID = Object.fromEntries(WORDS.map((w, i) => [w, i + 1]));
    writeTokenizer(join(dir, 'tokenizer.json'), { words: { ...WORD_ID, ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`w${i + 8}`, i + 8])) }, specials: SPECIAL });
    const embedValue = (id: number, d: number): number => halfToNumber(numberToHalf(Math.sin(id * 1.7 + d * 0.9) * 0.8));
    writeEmbeddingTable(join(dir, 'embed_f16.bin'), V, H, 'float16', Array.from({ length: V }, (_, i) => i), embedValue);
    // The qwen3-vl example's steps, at small shapes (the f16 table feeds f32 graphs here).
    const manifest = {
      format: 'qnn-node-pipeline',
      version: 1,
      params: { max_new_tokens: 10, stop_ids: [29] },
      contexts: { vision: sig('vision.bin', ['vision_encoder']), llm: sig('llm.bin', ['prefill', 'decode']), lmhead: sig('lmhead.bin', ['lm_head']) },
      assets: { tokenizer: { type: 'tokenizer', path: 'tokenizer.json' }, embed: { type: 'embedding', path: 'embed_f16.bin', dtype: 'float16', shape: [V, H] } },
      inputs: { image: { type: 'image' }, prompt: { type: 'text', default: 'describe this image' } },
      steps: [
        { op: 'image', inputs: { image: 'image' }, output: 'pixel_values', width: 4, height: 4, resize: 'bilinear', mean: [0.5], std: [0.5], dtype: 'float32' },
        { graph: 'vision/vision_encoder', inputs: { pixel_values: 'pixel_values' }, outputs: { image_embeds: 'image_embeds' } },
        { op: 'tokenize', output: 'prefix_ids', tokenizer: 'tokenizer', text: '<|im_start|>user <|vision_start|>' },
        { op: 'tokenize', inputs: { text: 'prompt' }, output: 'suffix_ids', tokenizer: 'tokenizer', template: '<|vision_end|>{text}<|im_end|> <|im_start|>assistant' },
        { op: 'embed', inputs: { ids: 'prefix_ids' }, output: 'prefix_emb', table: 'embed', dtype: 'float32' },
        { op: 'embed', inputs: { ids: 'suffix_ids' }, output: 'suffix_emb', table: 'embed', dtype: 'float32' },
        { op: 'concat', inputs: ['prefix_emb', 'image_embeds', 'suffix_emb'], output: 'prompt_emb', axis: 1 },
        { op: 'length', inputs: { input: 'prompt_emb' }, axis: 1, output: 'n' },
        { op: 'pad', inputs: { input: 'prompt_emb' }, output: 'prefill_emb', axis: 1, size: P },
        { op: 'position_ids', output: 'prefill_pos', start: 0, length: P, dtype: 'int32' },
        { op: 'attention_mask', inputs: { length: 'n' }, output: 'prefill_mask', size: P, dtype: 'float32' },
        { graph: 'llm/prefill', inputs: { inputs_embeds: 'prefill_emb', position_ids: 'prefill_pos', attention_mask: 'prefill_mask' }, outputs: { hidden_states: 'prefill_hidden', present_kv: 'present_kv' } },
        ...decodeSteps({ prefillHidden: 'prefill_hidden', kv: 'kv_cache', kvDims: [1, M, H], maskSize: M }),
      ],
      outputs: { text: 'text', tokens: 'generated', kv: 'kv_cache' },
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const image = pngBytes(8, 8, (x, y) => [x * 30, y * 30, 90]);

    await using qnn = await Qnn.load({ backend: 'reference' });
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend: qnn });
    const result = await pipeline.run({ image });
    await pipeline.dispose();

    // The same math in plain TS.
    const pixels = preprocessImage(image, { width: 4, height: 4, mean: [0.5], std: [0.5], dtype: 'float32' }).toFloat32();
    const imgEmb = matmul(pixels, Wv, IMG, H, H);
    const prefix = [SPECIAL['<|im_start|>'], WORD_ID.user, SPECIAL['<|vision_start|>']];
    const suffix = [SPECIAL['<|vision_end|>'], WORD_ID.describe, WORD_ID.this, WORD_ID.image, SPECIAL['<|im_end|>'], SPECIAL['<|im_start|>'], WORD_ID.assistant];
    const rows: number[][] = [
      ...prefix.map((id) => Array.from({ length: H }, (_, d) => embedValue(id, d))),
      ...Array.from({ length: IMG }, (_, j) => Array.from(imgEmb.subarray(j * H, (j + 1) * H))),
      ...suffix.map((id) => Array.from({ length: H }, (_, d) => embedValue(id, d))),
    ];
    const n = rows.length;
    const kv: number[][] = Array.from({ length: M }, () => new Array<number>(H).fill(0));
    for (let p = 0; p < P; p++) kv[p] = Array.from(matmul(p < n ? rows[p] : new Array(H).fill(0), Wk, 1, H, H));
    const lm = (h: ArrayLike<number>): number => argmax(matmul(h, Wout, 1, H, V));
    const last = rows[n - 1].map((v, d) => v + POS[(n - 1) * H + d]);
    let next = lm(last);
    const tokens: number[] = [];
    let pos = n;
    let decodes = 0;
    while (tokens.length < 10 && next !== 29) {
      tokens.push(next);
      if (tokens.length >= 10) break;
      const e = Array.from({ length: H }, (_, d) => embedValue(next, d));
      // Slots [0, pos) and the step's own new row (not what the slot held before).
      kv[pos] = Array.from(matmul(e, Wk, 1, H, H));
      const scores = kv.map((row, j) => (j <= pos ? row.reduce((s, v, d) => s + v * e[d], 0) : -Infinity));
      const mx = Math.max(...scores);
      const ex = scores.map((s) => (s === -Infinity ? 0 : Math.exp(s - mx)));
      const z = ex.reduce((a, b) => a + b, 0);
      const ctx = Array.from({ length: H }, (_, d) => kv.reduce((s, row, j) => s + (ex[j] / z) * row[d], 0));
      const h = e.map((v, d) => v + ctx[d] + POS[pos * H + d]);
      decodes++;
      pos++;
      next = lm(h);
    }
    expect(tokens.length).toBeGreaterThan(2);
    expect(result.tokens).toEqual(tokens);
    const decodeTiming = result.timings.steps.find((s) => s.name === 'llm/decode');
    expect(decodeTiming?.calls ?? 0).toBe(decodes);
    const cache = (result.outputs.kv as Tensor).data as Float32Array;
    for (let p = 0; p < pos; p++) for (let d = 0; d < H; d++) expect(cache[p * H + d]).toBeCloseTo(kv[p][d], 4);
  });

  it('smolvla shape: CPU embedding gather -> backbone -> 10 flow-matching steps of the action head', async () => {
    const { dir, cleanup } = tempDir('ref-vla-');
    cleanups.push(cleanup);
    const H = 8;
    const L = 4; // language tokens
    const A = 4; // action horizon
    const D = 2; // action dim
    const Ws = weights(5, H * D);
    const Wa = weights(6, D * D);
    const f32 = (name: string, dims: number[]) => ({ name, dtype: 'float32' as const, dims });
    writeFileSync(
      join(dir, 'llm.bin'),
      encodeReferenceBinary({
        statics: [{ ...f32('ones', [1, L]), fill: 1 }, { ...f32('ws', [H, D]), data: Ws }],
        graphs: [
          {
            name: 'llm_backbone',
            inputs: [f32('lang_embeddings', [1, L, H]), { name: 'state', dtype: 'float16', dims: [1, H] }],
            outputs: [f32('kv_cache', [1, D])],
            tensors: [f32('lang2', [L, H]), f32('lsum', [1, H]), f32('s32', [1, H]), f32('hs', [1, H])],
            nodes: [
              { op: 'Reshape', inputs: ['lang_embeddings'], outputs: ['lang2'] },
              { op: 'MatMul', inputs: ['ones', 'lang2'], outputs: ['lsum'] },
              { op: 'Cast', inputs: ['state'], outputs: ['s32'] },
              { op: 'ElementWiseAdd', inputs: ['lsum', 's32'], outputs: ['hs'] },
              { op: 'MatMul', inputs: ['hs', 'ws'], outputs: ['kv_cache'] },
            ],
          },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'action.bin'),
      encodeReferenceBinary({
        statics: [{ ...f32('wa', [D, D]), data: Wa }],
        graphs: [
          {
            name: 'action_head',
            inputs: [f32('x_t', [1, A, D]), f32('timestep', [1]), f32('kv_cache', [1, D])],
            outputs: [f32('velocity', [1, A, D])],
            tensors: [f32('xw', [1, A, D]), f32('xt', [1, A, D])],
            nodes: [
              { op: 'MatMul', inputs: ['x_t', 'wa'], outputs: ['xw'] },
              { op: 'ElementWiseAdd', inputs: ['xw', 'timestep'], outputs: ['xt'] },
              { op: 'ElementWiseAdd', inputs: ['xt', 'kv_cache'], outputs: ['velocity'] },
            ],
          },
        ],
      }),
    );
    const WORD_ID = { pick: 3, up: 4, the: 5, cup: 6 };
    writeTokenizer(join(dir, 'tokenizer.json'), { words: WORD_ID, specials: { '<pad>': 2 } });
    const embedValue = (id: number, d: number): number => halfToNumber(numberToHalf(Math.cos(id + d * 0.5) * 0.5));
    writeEmbeddingTable(join(dir, 'embed.bin'), 32, H, 'float16', Array.from({ length: 32 }, (_, i) => i), embedValue);
    const manifest = {
      format: 'qnn-node-pipeline',
      version: 1,
      params: { num_steps: 10, dt: -0.1, pad_id: 2 },
      contexts: { llm: sig('llm.bin', ['llm_backbone']), action: sig('action.bin', ['action_head']) },
      assets: { tokenizer: { type: 'tokenizer', path: 'tokenizer.json' }, embed_tokens: { type: 'embedding', path: 'embed.bin', dtype: 'float16', shape: [32, H] } },
      inputs: { task: { type: 'text' }, state: { type: 'tensor', dtype: 'float32', shape: [1, H] } },
      steps: [
        { op: 'tokenize', inputs: { text: 'task' }, output: 'task_ids', tokenizer: 'tokenizer' },
        { op: 'pad', inputs: { input: 'task_ids' }, output: 'lang_ids', axis: 1, size: L, value: '$pad_id' },
        { op: 'embed', inputs: { ids: 'lang_ids' }, output: 'lang_emb', table: 'embed_tokens', dtype: 'float32' },
        { op: 'cast', inputs: { input: 'state' }, output: 'state_f16', dtype: 'float16' },
        { graph: 'llm/llm_backbone', inputs: { lang_embeddings: 'lang_emb', state: 'state_f16' }, outputs: { kv_cache: 'kv_cache' } },
        { op: 'randn', output: 'noise', dtype: 'float32', dims: [1, A, D] },
        { op: 'set', inputs: { value: 'noise' }, output: 'x' },
        {
          loop: { count: '$num_steps', index: 'i' },
          steps: [
            { op: 'fill', inputs: { value: 'i' }, output: 't', scale: '$dt', offset: 1, dtype: 'float32', dims: [1] },
            { graph: 'action/action_head', inputs: { x_t: 'x', timestep: 't', kv_cache: 'kv_cache' }, outputs: { velocity: 'v' } },
            { op: 'add', inputs: { a: 'x', b: 'v' }, alpha: '$dt', output: 'x' },
          ],
        },
      ],
      outputs: { actions: 'x', noise: 'noise', kv_cache: 'kv_cache' },
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const state = new Tensor('float32', Float32Array.from({ length: H }, (_, i) => i / 8 - 0.4), [1, H]);

    await using qnn = await Qnn.load({ backend: 'reference' });
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend: qnn });
    const result = await pipeline.run({ task: 'pick up the cup', state }, { seed: 9 });
    await pipeline.dispose();

    const ids = [3, 4, 5, 6];
    const lsum = Array.from({ length: H }, (_, d) => ids.reduce((s, id) => s + embedValue(id, d), 0) + halfToNumber(numberToHalf(state.data[d] as number)));
    const kv = matmul(lsum, Ws, 1, H, D);
    expect([...((result.outputs.kv_cache as Tensor).data as Float32Array)].map((v, i) => v - kv[i]).every((e) => Math.abs(e) < 1e-4)).toBe(true);
    let x = Array.from((result.outputs.noise as Tensor).data as Float32Array);
    for (let i = 0; i < 10; i++) {
      const t = Math.fround(1 - 0.1 * i);
      const xw = matmul(x, Wa, A, D, D);
      x = x.map((v, k) => Math.fround(v + -0.1 * Math.fround(xw[k] + t + kv[k % D])));
    }
    const actions = (result.outputs.actions as Tensor).data as Float32Array;
    x.forEach((v, k) => expect(actions[k]).toBeCloseTo(v, 4));
    expect(result.timings.steps.find((s) => s.name === 'action/action_head')?.calls).toBe(10);
  });

  it('sam2 shape: image encoder once, prompt decoder on its outputs', async () => {
    const { dir, cleanup } = tempDir('ref-sam-');
    cleanups.push(cleanup);
    const We = weights(7, 16);
    const Wd = weights(8, 8);
    const Wp = weights(9, 8);
    const f32 = (name: string, dims: number[]) => ({ name, dtype: 'float32' as const, dims });
    writeFileSync(
      join(dir, 'encoder.bin'),
      encodeReferenceBinary({
        statics: [{ ...f32('we', [4, 4]), data: We }],
        graphs: [
          {
            name: 'SAM2Encoder',
            inputs: [f32('image', [1, 3, 4, 4])],
            outputs: [f32('image_embeddings', [1, 12, 4]), f32('high_res_features', [1, 12, 4])],
            tensors: [f32('rows', [1, 12, 4])],
            nodes: [
              { op: 'Reshape', inputs: ['image'], outputs: ['rows'] },
              { op: 'MatMul', inputs: ['rows', 'we'], outputs: ['image_embeddings'] },
              { op: 'Relu', inputs: ['image_embeddings'], outputs: ['high_res_features'] },
            ],
          },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'decoder.bin'),
      encodeReferenceBinary({
        statics: [{ ...f32('wd', [4, 2]), data: Wd }, { ...f32('wp', [4, 2]), data: Wp }],
        graphs: [
          {
            name: 'SAM2Decoder',
            inputs: [f32('image_embeddings', [1, 12, 4]), f32('high_res_features', [1, 12, 4]), f32('point_coords', [1, 2, 2]), f32('point_labels', [1, 2])],
            outputs: [f32('masks', [1, 12, 2]), f32('scores', [1, 2])],
            tensors: [f32('sum', [1, 12, 4]), f32('pts', [1, 4]), f32('pw', [1, 2])],
            nodes: [
              { op: 'ElementWiseAdd', inputs: ['image_embeddings', 'high_res_features'], outputs: ['sum'] },
              { op: 'MatMul', inputs: ['sum', 'wd'], outputs: ['masks'] },
              { op: 'Reshape', inputs: ['point_coords'], outputs: ['pts'] },
              { op: 'MatMul', inputs: ['pts', 'wp'], outputs: ['pw'] },
              { op: 'ElementWiseAdd', inputs: ['pw', 'point_labels'], outputs: ['scores'] },
            ],
          },
        ],
      }),
    );
    const manifest = {
      format: 'qnn-node-pipeline',
      version: 1,
      contexts: { encoder: sig('encoder.bin', ['SAM2Encoder']), decoder: sig('decoder.bin', ['SAM2Decoder']) },
      inputs: { image: { type: 'image' }, points: { type: 'tensor', dtype: 'float32', shape: [1, 2, 2] }, labels: { type: 'tensor', dtype: 'float32', shape: [1, 2] } },
      steps: [
        { op: 'image', inputs: { image: 'image' }, output: 'pixels', width: 4, height: 4, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], dtype: 'float32' },
        { graph: 'SAM2Encoder', inputs: { image: 'pixels' }, outputs: { image_embeddings: 'embeddings', high_res_features: 'feat' } },
        { graph: 'SAM2Decoder', inputs: { image_embeddings: 'embeddings', high_res_features: 'feat', point_coords: 'points', point_labels: 'labels' }, outputs: { masks: 'masks', scores: 'scores' } },
      ],
      outputs: { masks: 'masks', scores: 'scores' },
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const image = pngBytes(8, 8, (x, y) => [x * 30, 255 - y * 30, 60]);
    const points = new Tensor('float32', [0.5, 0.25, 1, 2], [1, 2, 2]);
    const labels = new Tensor('float32', [1, 0], [1, 2]);

    await using qnn = await Qnn.load({ backend: 'reference' });
    const pipeline = await Pipeline.load(join(dir, 'manifest.json'), { backend: qnn });
    const result = await pipeline.run({ image, points, labels });
    await pipeline.dispose();

    const px = preprocessImage(image, { width: 4, height: 4, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], dtype: 'float32' }).toFloat32();
    const emb = matmul(px, We, 12, 4, 4);
    const sum = emb.map((v) => v + Math.max(0, v));
    const masks = matmul(sum, Wd, 12, 4, 2);
    const scores = matmul([0.5, 0.25, 1, 2], Wp, 1, 4, 2).map((v, i) => v + [1, 0][i]);
    ((result.outputs.masks as Tensor).data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(masks[i], 4));
    ((result.outputs.scores as Tensor).data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(scores[i], 4));
  });
});
