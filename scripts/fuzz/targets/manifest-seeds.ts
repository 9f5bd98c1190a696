/**
 * The manifests the manifest fuzzer starts from: the three examples (examples/*, at their
 * real shapes, with generated assets) and two small ones shaped like the pipelines the
 * reference tests run (test/pipeline/reference.test.ts), with inline signatures so that
 * the mock backend can run them.
 */
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeSteps } from '../../../test/pipeline/decode-steps.js';
import { copyExample, EXAMPLES, writeEmbeddingTable, writeTokenizer } from '../../../test/pipeline/fixtures.js';
import { writeSafetensors } from '../../../test/pipeline/safetensors-fixture.js';

const f32 = (name: string, dims: number[]) => ({ name, dtype: 'float32', dims });
const ctx = (binary: string, graphs: { name: string; inputs: object[]; outputs: object[] }[]) => ({ binary, signature: graphs });

const TINY_LLM = {
  format: 'qnn-node-pipeline',
  version: 1,
  params: { max_new_tokens: 6, stop_ids: [29], temperature: 0 },
  contexts: {
    llm: ctx('llm.bin', [
      { name: 'prefill', inputs: [f32('inputs_embeds', [1, 8, 4]), { name: 'position_ids', dtype: 'int32', dims: [1, 8] }, f32('attention_mask', [1, 8])], outputs: [f32('hidden_states', [1, 8, 4]), f32('present_kv', [1, 8, 4])] },
      { name: 'decode', inputs: [f32('inputs_embeds', [1, 1, 4]), { name: 'position_ids', dtype: 'int32', dims: [1, 1] }, f32('attention_mask', [1, 12]), f32('past_kv', [1, 12, 4])], outputs: [f32('hidden_states', [1, 1, 4]), f32('new_kv', [1, 1, 4])] },
    ]),
    lmhead: ctx('lmhead.bin', [{ name: 'lm_head', inputs: [f32('hidden_states', [1, 1, 4])], outputs: [f32('logits', [1, 1, 32])] }]),
  },
  assets: { tokenizer: { type: 'tokenizer', path: 'tokenizer.json' }, embed: { type: 'embedding', path: 'embed.bin', dtype: 'float16', shape: [32, 4] } },
  inputs: { prompt: { type: 'text', default: 'describe this image' } },
  steps: [
    { op: 'tokenize', inputs: { text: 'prompt' }, output: 'ids', tokenizer: 'tokenizer', template: '<|im_start|>user {text}<|im_end|>' },
    { op: 'embed', inputs: { ids: 'ids' }, output: 'emb', table: 'embed', dtype: 'float32' },
    { op: 'length', inputs: { input: 'emb' }, axis: 1, output: 'n' },
    { op: 'pad', inputs: { input: 'emb' }, output: 'prefill_emb', axis: 1, size: 8 },
    { op: 'position_ids', output: 'pos_ids', start: 0, length: 8, dtype: 'int32' },
    { op: 'attention_mask', inputs: { length: 'n' }, output: 'mask', size: 8, dtype: 'float32' },
    { graph: 'llm/prefill', inputs: { inputs_embeds: 'prefill_emb', position_ids: 'pos_ids', attention_mask: 'mask' }, outputs: { hidden_states: 'hidden_all', present_kv: 'present_kv' } },
    ...decodeSteps({ prefillHidden: 'hidden_all', kv: 'kv', kvDims: [1, 12, 4], maskSize: 12, temperature: '$temperature' }),
  ],
  outputs: { text: 'text', tokens: 'generated', kv: 'kv' },
};

const TINY_FLOW = {
  format: 'qnn-node-pipeline',
  version: 1,
  params: { num_steps: 4, dt: -0.25 },
  contexts: {
    action: ctx('action.bin', [{ name: 'action_head', inputs: [f32('x_t', [1, 2, 3]), f32('timestep', [1]), f32('state', [1, 4])], outputs: [f32('velocity', [1, 2, 3])] }]),
  },
  inputs: { state: { type: 'tensor', dtype: 'float32', shape: [1, 4] }, image: { type: 'image' } },
  steps: [
    { op: 'image', inputs: { image: 'image' }, output: 'pixels', width: 4, height: 4, mean: [0.5], std: [0.5], dtype: 'float32' },
    { op: 'randn', output: 'noise', dtype: 'float32', dims: [1, 2, 3] },
    { op: 'set', inputs: { value: 'noise' }, output: 'x' },
    {
      loop: { count: '$num_steps', index: 'i' },
      steps: [
        { op: 'fill', inputs: { value: 'i' }, output: 't', scale: '$dt', offset: 1, dtype: 'float32', dims: [1] },
        { graph: 'action/action_head', inputs: { x_t: 'x', timestep: 't', state: 'state' }, outputs: { velocity: 'v' } },
        { op: 'add', inputs: { a: 'x', b: 'v' }, alpha: '$dt', output: 'x' },
      ],
    },
    { op: 'cast', inputs: { input: 'x' }, output: 'x16', dtype: 'float16' },
  ],
  outputs: { actions: 'x', half: 'x16', noise: 'noise', pixels: 'pixels' },
};

export interface ManifestSeed {
  readonly name: string;
  readonly manifest: Record<string, unknown>;
  /** Writes the seed's folder (signatures, placeholder binaries, assets) into `dir`. */
  prepare(dir: string): void;
}

// Every id the tiny seeds' 32-entry logits can produce has a token (sampling picks any of them).
const TOKENS = {
  words: { ...Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`w${i + 2}`, i + 2])), user: 1, describe: 26, this: 27, image: 30, cat: 31 },
  specials: { '<|im_start|>': 28, '<|im_end|>': 29 },
};
const embedValue = (id: number, d: number): number => ((id * 5 + d * 3) % 16) / 16;

function example(name: string, assets: (dir: string) => void): ManifestSeed {
  return {
    name,
    manifest: JSON.parse(readFileSync(path.join(EXAMPLES, name, 'manifest.json'), 'utf8')) as Record<string, unknown>,
    prepare(dir) {
      copyExample(name, dir);
      assets(dir);
    },
  };
}

function tiny(name: string, manifest: Record<string, unknown>): ManifestSeed {
  return {
    name,
    manifest,
    prepare(dir) {
      mkdirSync(dir, { recursive: true });
      for (const c of Object.values(manifest.contexts as Record<string, { binary: string }>)) writeFileSync(path.join(dir, c.binary), 'placeholder');
      writeTokenizer(path.join(dir, 'tokenizer.json'), TOKENS);
      writeEmbeddingTable(path.join(dir, 'embed.bin'), 32, 4, 'float16', Array.from({ length: 32 }, (_, i) => i), embedValue);
    },
  };
}

export const MANIFEST_SEEDS: readonly ManifestSeed[] = [
  tiny('tiny-llm', TINY_LLM),
  tiny('tiny-flow', TINY_FLOW),
  example('qwen3-vl', (dir) => {
    writeTokenizer(path.join(dir, 'tokenizer.json'), TOKENS);
    writeEmbeddingTable(path.join(dir, 'embed_f16.bin'), 151936, 2048, 'float16', [0, 1, 2, 3, 28, 29], embedValue);
    // Stage F weights at their real sizes, all zeros (sparse).
    for (const [file, bytes] of [['vis_patch_embed_f32.bin', 1024 * 1536 * 4], ['vis_patch_embed_bias_f32.bin', 1024 * 4], ['vis_pos_embed_f32.bin', 2304 * 1024 * 4]] as const) {
      writeFileSync(path.join(dir, file), '');
      truncateSync(path.join(dir, file), bytes);
    }
  }),
  example('smolvla', (dir) => {
    writeTokenizer(path.join(dir, 'tokenizer.json'), TOKENS);
    writeEmbeddingTable(path.join(dir, 'embed_tokens_f16.bin'), 49280, 960, 'float16', [1, 2, 3], embedValue);
    const stats = { 'observation.state.mean': Array<number>(8).fill(0.5), 'observation.state.std': Array<number>(8).fill(2), 'action.mean': Array<number>(7).fill(0.1), 'action.std': Array<number>(7).fill(3) };
    writeSafetensors(path.join(dir, 'policy_preprocessor_step_5_normalizer_processor.safetensors'), stats);
    writeSafetensors(path.join(dir, 'policy_postprocessor_step_0_unnormalizer_processor.safetensors'), stats);
  }),
  example('sam2', () => {}),
];
