/**
 * examples/qwen3-vl/text.manifest.json (the card's text chat: decode-over-prompt on the
 * shared decode graph + lm-head, no image) on the mock backend at its real shapes. The
 * mock decode graph checks what it is given against the slot it must be at (the k-th call
 * of a run is slot k): the mask turns on exactly the slots already written, the rope
 * tables are those of position k; a plain TS computation of the same math checks tokens.
 */
import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor, type MockGraphFn } from '../../lib/index.js';
import { halfToNumber, numberToHalf } from '../../lib/tensor/fp16.js';
import { copyExample, tempDir, writeEmbeddingTable, writeTokenizer } from './fixtures.js';

const SPECIAL = { '<|endoftext|>': 151643, '<|im_start|>': 151644, '<|im_end|>': 151645 };
const WORDS = ['user', 'assistant', 'what', 'is', 'the', 'capital', 'of', 'france', 'paris', 'a', 'city', 'in', 'europe', 'and', 'it', 'has', 'river', 'seine', 'big', 'old'];
const WORD_ID = Object.fromEntries(WORDS.map((w, i) => [w, i + 1]));
const STOP = SPECIAL['<|im_end|>'];
const half = (x: number): number => halfToNumber(numberToHalf(x));
const embedValue = (id: number, d: number): number => ((id * 5 + d * 3) % 16) / 16;
const lmHead = (h0: number, h1: number): number => {
  const t = (((Math.round(h0 * 16) + 3 * Math.round(h1 * 16)) % 24) + 24) % 24;
  return t < 20 ? t + 1 : STOP;
};

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('qwen3-text-'));
  copyExample('qwen3-vl', dir);
  writeTokenizer(join(dir, 'tokenizer.json'), { words: WORD_ID, specials: SPECIAL });
  writeEmbeddingTable(join(dir, 'embed_f16.bin'), 151936, 2048, 'float16', [0, ...Object.values(WORD_ID), ...Object.values(SPECIAL)], embedValue);
});
afterAll(() => cleanup());

interface Seen {
  slot: number;
  errors: string[];
}

function graphs(seen: Seen): Record<string, MockGraphFn> {
  return {
    decode: (inputs, outputs) => {
      const slot = seen.slot++;
      const mask = inputs.attention_mask.toFloat32();
      for (let j = 0; j < 512; j++) if (mask[j] !== (j < slot ? 1 : 0)) seen.errors.push(`slot ${slot}: mask[${j}] = ${mask[j]}`);
      const cos = inputs.rope_cos.toFloat32();
      const sin = inputs.rope_sin.toFloat32();
      if (cos.length !== 64 || Math.abs(cos[0] - Math.cos(slot)) > 1e-3 || Math.abs(sin[0] - Math.sin(slot)) > 1e-3) seen.errors.push(`slot ${slot}: rope ${cos[0]}, ${sin[0]}`);
      const e = inputs.inputs_embeds.toFloat32();
      const kvPrev = slot === 0 ? 0 : halfToNumber((inputs.past_kv.data as Uint16Array)[(slot - 1) * 128]);
      const h = new Float32Array(2048);
      h[0] = e[0] + kvPrev + slot / 16;
      h[1] = e[1];
      outputs.hidden_states.bytes.set(Tensor.fromFloat32('float16', h, [1, 1, 2048]).bytes);
      (outputs.new_kv.data as Uint16Array).set((inputs.inputs_embeds.data as Uint16Array).subarray(0, 128), 0);
    },
    lm_head: (inputs, outputs) => {
      const h = inputs.hidden_states.toFloat32();
      (outputs.logits.data as Uint16Array).fill(0)[lmHead(h[0], h[1])] = numberToHalf(8);
    },
  };
}

/** The same run in plain TS: every prompt token through the decode graph, then generation. */
function expected(ids: number[], max: number): { tokens: number[]; decodes: number } {
  const kv0: number[] = [];
  let decodes = 0;
  const decode = (id: number, slot: number): number => {
    decodes++;
    const h0 = half(embedValue(id, 0) + (slot === 0 ? 0 : kv0[slot - 1]) + slot / 16);
    kv0[slot] = embedValue(id, 0);
    return lmHead(h0, embedValue(id, 1));
  };
  let next = 0;
  ids.forEach((id, slot) => (next = decode(id, slot)));
  const tokens: number[] = [];
  let slot = ids.length;
  while (tokens.length < max && next !== STOP) {
    tokens.push(next);
    if (tokens.length >= max || slot >= 512) break;
    next = decode(next, slot++);
  }
  return { tokens, decodes };
}

const chat = (text: string): number[] => [SPECIAL['<|im_start|>'], WORD_ID.user, ...text.split(' ').map((w) => WORD_ID[w]), SPECIAL['<|im_end|>'], SPECIAL['<|im_start|>'], WORD_ID.assistant];

describe('examples/qwen3-vl/text.manifest.json on the mock backend', () => {
  it('runs decode-over-prompt then generation on the shared decode graph, every slot masked until written', async () => {
    const seen: Seen = { slot: 0, errors: [] };
    const backend = new MockBackend({ graphs: graphs(seen) });
    await using pipeline = await Pipeline.load(join(dir, 'text.manifest.json'), { backend });
    const prompt = 'what is the capital of france and europe';
    const result = await pipeline.run({ prompt }, { params: { max_new_tokens: 10 } });
    const want = expected(chat(prompt), 10);
    expect(want.tokens.length).toBeGreaterThanOrEqual(3);
    expect(result.tokens).toEqual(want.tokens);
    expect(result.outputs.text).toBe(want.tokens.map((t) => WORDS[t - 1]).join(' '));
    expect(seen.errors).toEqual([]);
    // Every prompt token is one decode call; the lm-head runs once after the prompt and once per generated decode.
    expect(backend.callCounts()).toEqual({ decode: want.decodes, lm_head: 1 + want.decodes - chat(prompt).length });
  });

  it('a raw completion through the template param; generation stops at the 512th slot; a prompt over 512 slots is an ERR_OUT_OF_RANGE naming the cache', async () => {
    const seen: Seen = { slot: 0, errors: [] };
    await using pipeline = await Pipeline.load(join(dir, 'text.manifest.json'), { backend: new MockBackend({ graphs: graphs(seen) }) });
    const words = (n: number): string => Array.from({ length: n }, (_, i) => WORDS[(i * 3) % WORDS.length]).join(' ');
    const raw = await pipeline.run({ prompt: words(509) }, { params: { template: '{text}', max_new_tokens: 50, stop_ids: [] } });
    expect(raw.tokens.length).toBe(512 - 509 + 1);
    expect(seen.errors).toEqual([]);
    seen.slot = 0;
    await expect(pipeline.run({ prompt: words(513) }, { params: { template: '{text}' } })).rejects.toMatchObject({
      code: 'ERR_OUT_OF_RANGE',
      message: expect.stringMatching(/position.*cache length 512/),
    });
  });
});

describe('examples/qwen3-vl: an empty prompt', () => {
  it('a raw completion of an empty prompt is HOST_OP_FAILED (slice refuses start -1), not logits of an empty KV cache', async () => {
    const seen: Seen = { slot: 0, errors: [] };
    const backend = new MockBackend({ graphs: graphs(seen) });
    await using pipeline = await Pipeline.load(join(dir, 'text.manifest.json'), { backend });
    const err = await pipeline.run({ prompt: '' }, { params: { template: '{text}' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HOST_OP_FAILED', message: expect.stringContaining('but received -1') });
    expect(backend.callCounts()).toEqual({});
  });
});

/*
 * The card's names are not public: the manifests route every graph and graph-tensor name
 * through contexts.<ctx>.names. A binary that names a tensor differently (signature as
 * `qnn-node inspect --json` writes it) needs one changed line in the manifest.
 */
describe('examples/qwen3-vl: renaming a binary tensor is a one-line edit of the name table', () => {
  const BINARY_NAME = '/model/rotary_emb/Cos_output_0';
  let renamedDir: string;
  let cleanupRenamed: () => void;
  beforeAll(() => {
    ({ dir: renamedDir, cleanup: cleanupRenamed } = tempDir('qwen3-renamed-'));
    cpSync(dir, renamedDir, { recursive: true });
    // What inspect would print for a binary whose prefill and decode call the cos table so.
    const sigPath = join(renamedDir, 'llm.signature.json');
    const sig = JSON.parse(readFileSync(sigPath, 'utf8')) as { graphs: { inputs: { name: string }[] }[] };
    for (const g of sig.graphs) for (const t of g.inputs) if (t.name === 'rope_cos') t.name = BINARY_NAME;
    writeFileSync(sigPath, JSON.stringify(sig, null, 2));
    // manifest.json's Stage F weights at their sizes (zeros; these tests only load it).
    for (const [file, floats] of [['vis_patch_embed_f32.bin', 1024 * 1536], ['vis_patch_embed_bias_f32.bin', 1024], ['vis_pos_embed_f32.bin', 2304 * 1024]] as const) {
      writeFileSync(join(renamedDir, file), '');
      truncateSync(join(renamedDir, file), floats * 4);
    }
  });
  afterAll(() => cleanupRenamed());

  /** The mock graphs see the binary's names: translate them back for graphs(). */
  function binaryNamed(fns: Record<string, MockGraphFn>): Record<string, MockGraphFn> {
    const logical = (m: Record<string, Tensor>): Record<string, Tensor> => Object.fromEntries(Object.entries(m).map(([k, t]) => [k === BINARY_NAME ? 'rope_cos' : k, t]));
    return Object.fromEntries(
      Object.entries(fns).map(([g, fn]) => [
        g,
        (inputs, outputs, call) => {
          if (g === 'decode' && !(BINARY_NAME in inputs)) throw new Error(`decode got ${Object.keys(inputs).join(', ')}`);
          return fn(logical(inputs), logical(outputs), call);
        },
      ]),
    );
  }

  /** The manifest with its name-table line for rope_cos changed; checks that exactly one line changed. */
  function editNameLine(file: string): string {
    const text = readFileSync(join(dir, file), 'utf8');
    const line = '"rope_cos": "rope_cos"';
    expect(text.split(line).length - 1).toBe(1);
    const edited = text.replace(line, `"rope_cos": ${JSON.stringify(BINARY_NAME)}`);
    const changed = text.split('\n').filter((l, i) => l !== edited.split('\n')[i]);
    expect(changed).toHaveLength(1);
    const out = join(renamedDir, `renamed-${file}`);
    writeFileSync(out, edited);
    return out;
  }

  it('text.manifest.json runs unchanged but for that line, and gives the same tokens', async () => {
    const prompt = 'what is the capital of france';
    const seen: Seen = { slot: 0, errors: [] };
    await using pipeline = await Pipeline.load(editNameLine('text.manifest.json'), { backend: new MockBackend({ graphs: binaryNamed(graphs(seen)) }) });
    const result = await pipeline.run({ prompt }, { params: { max_new_tokens: 6 } });
    expect(seen.errors).toEqual([]);
    expect(result.tokens).toEqual(expected(chat(prompt), 6).tokens);
  });

  it('without that line, both manifests fail to load with MANIFEST_INVALID listing the binary names', async () => {
    for (const file of ['text.manifest.json', 'manifest.json']) {
      const err = await Pipeline.load(join(renamedDir, file), { backend: new MockBackend() }).catch((e: unknown) => e);
      expect(err, file).toMatchObject({ code: 'MANIFEST_INVALID', details: { path: '/contexts/llm/names/rope_cos' } });
      expect((err as Error).message).toContain(JSON.stringify(BINARY_NAME));
    }
  });

  it('manifest.json (image -> text) loads with that line changed', async () => {
    await using pipeline = await Pipeline.load(editNameLine('manifest.json'), { backend: new MockBackend() });
    expect(pipeline.manifest.contexts.llm.names?.rope_cos).toBe(BINARY_NAME);
  });
});
