/**
 * The golden tiny Qwen3 as reference-backend context binaries, with the graph structure of
 * the Qwen3-VL-2B card (shared/seeds/qwen3-vl-2b-hexagon-model-card.txt):
 *
 * - one LLM context whose weights are STATIC tensors shared by two graphs:
 *   `prefill` (P rows; emits the hidden states and the KV of all P rows) and `decode`
 *   (AR-1; reads a KV cache of `kvSlots` slots, emits its hidden state and its new KV row);
 * - a separate `lm_head` context (final RMSNorm + the [hidden, vocab] projection);
 * - f16 activations at every graph boundary, f32 inside (the reference computes in f32);
 * - rope cos/sin come from the host, headDim/2 wide (QHexRT's `rope_decode_f16` style);
 *   the graphs duplicate them to headDim and use HF's rotate_half convention.
 *
 * Decode attention semantics: the query attends over the cache slots whose
 * `attention_mask` entry is 1 PLUS its own new K/V (computed in the graph, always on).
 * The new K/V row is returned as `new_kv` for the host to write at the token's slot after
 * the call — so the mask of the step at slot s turns on slots [0, s) only: the slot being
 * written is never read before it holds this token's KV.
 *
 * Prefill semantics: causal attention over its P rows, keys also masked by
 * `attention_mask` (1 = a real token); rows past the prompt are padding whose outputs the
 * host ignores (their KV rows land in the cache but stay masked until overwritten).
 */
import type { ReferenceBinaryDesc, RefStaticDesc, RefTensorDesc } from '../../lib/reference/writer-types.js';
import { GraphBuilder, sliceRanges } from './graph-builder.js';
import { layerWeight, type TinyQwen3Config, type TinyQwen3Weights } from './model.js';

/** Additive mask value for "off" (exp(-1e4 · scale) is exactly 0 in f32). */
const MASK_OFF = -10000;

const f16 = (name: string, dims: readonly number[]): RefTensorDesc => ({ name, dtype: 'float16', dims });
const w = (name: string): string => `w.${name}`;

function weightStatics(weights: TinyQwen3Weights): RefStaticDesc[] {
  // final_norm and lm_head belong to the lm-head context.
  return [...weights.tensors].filter(([name]) => name !== 'final_norm' && name !== 'lm_head').map(([name, t]) => ({ name: w(name), dtype: 'float32', dims: t.dims, data: t.data }));
}

interface Rope {
  readonly cos: string;
  readonly sin: string;
}

/** x [1, S, n, hd] · cos + rotate_half(x) · sin, with cos/sin [1, S, 1, hd]. */
function applyRope(b: GraphBuilder, c: TinyQwen3Config, x: string, s: number, n: number, rope: Rope): string {
  const half = c.headDim / 2;
  const dims = [1, s, n, c.headDim];
  const x1 = b.op('StridedSlice', [x], [1, s, n, half], { ranges: sliceRanges(dims, 3, 0, half) });
  const x2 = b.op('StridedSlice', [x], [1, s, n, half], { ranges: sliceRanges(dims, 3, half, c.headDim) });
  const negX2 = b.op('ElementWiseMultiply', [x2, 'minus_one'], [1, s, n, half]);
  const rotated = b.op('Concat', [negX2, x1], dims, { axis: 3 });
  const a = b.op('ElementWiseMultiply', [x, rope.cos], dims);
  const r = b.op('ElementWiseMultiply', [rotated, rope.sin], dims);
  return b.op('ElementWiseAdd', [a, r], dims);
}

/** The host's [1, S, hd/2] table duplicated to [1, S, 1, hd] (broadcast over heads). */
function ropeInput(b: GraphBuilder, c: TinyQwen3Config, input: string, s: number): string {
  const full = b.op('Concat', [input, input], [1, s, c.headDim], { axis: 2 });
  return b.op('Reshape', [full], [1, s, 1, c.headDim]);
}

interface Projected {
  /** [1, heads, S, hd], normed and roped. */
  readonly q: string;
  /** [1, kvHeads, S, hd], normed and roped. */
  readonly k: string;
  /** [1, kvHeads, S, hd]. */
  readonly v: string;
}

/** Input RMSNorm, q/k/v projections, Qwen3's per-head q_norm/k_norm, rope; heads first. */
function project(b: GraphBuilder, c: TinyQwen3Config, l: number, x: string, s: number, rope: Rope): Projected {
  const eps = { float: c.rmsEps };
  const xn = b.op('RmsNorm', [x, w(layerWeight(l, 'input_norm'))], [1, s, c.hidden], { epsilon: eps, axes: [2] });
  const heads = (proj: 'q_proj' | 'k_proj' | 'v_proj', n: number): string => {
    const flat = b.op('MatMul', [xn, w(layerWeight(l, proj))], [1, s, n * c.headDim]);
    return b.op('Reshape', [flat], [1, s, n, c.headDim]);
  };
  const q = b.op('RmsNorm', [heads('q_proj', c.heads), w(layerWeight(l, 'q_norm'))], [1, s, c.heads, c.headDim], { epsilon: eps, axes: [3] });
  const k = b.op('RmsNorm', [heads('k_proj', c.kvHeads), w(layerWeight(l, 'k_norm'))], [1, s, c.kvHeads, c.headDim], { epsilon: eps, axes: [3] });
  const v = heads('v_proj', c.kvHeads);
  const perm = { perm: [0, 2, 1, 3] };
  return {
    q: b.op('Transpose', [applyRope(b, c, q, s, c.heads, rope)], [1, c.heads, s, c.headDim], perm),
    k: b.op('Transpose', [applyRope(b, c, k, s, c.kvHeads, rope)], [1, c.kvHeads, s, c.headDim], perm),
    v: b.op('Transpose', [v], [1, c.kvHeads, s, c.headDim], perm),
  };
}

/**
 * Grouped-query attention of S queries over T keys: q heads 2g, 2g+1 share kv head g (HF's
 * repeat_kv), done by viewing q as [1, kvHeads, rep·S, hd]. `mask` is additive and
 * broadcasts to [1, kvHeads, rep, S, T]. Returns the o_proj output [1, S, hidden].
 */
function attend(b: GraphBuilder, c: TinyQwen3Config, l: number, p: { q: string; k: string; v: string }, s: number, t: number, mask: string): string {
  const rep = c.heads / c.kvHeads;
  const qg = b.op('Reshape', [p.q], [1, c.kvHeads, rep * s, c.headDim]);
  const scores = b.op('MatMul', [qg, p.k], [1, c.kvHeads, rep * s, t], { transpose_in1: true });
  const scores5 = b.op('Reshape', [scores], [1, c.kvHeads, rep, s, t]);
  const masked = b.op('ElementWiseAdd', [scores5, mask], [1, c.kvHeads, rep, s, t]);
  const probs = b.op('Softmax', [masked], [1, c.kvHeads, rep, s, t], { beta: { float: 1 / Math.sqrt(c.headDim) } });
  const probs4 = b.op('Reshape', [probs], [1, c.kvHeads, rep * s, t]);
  const ctx = b.op('MatMul', [probs4, p.v], [1, c.kvHeads, rep * s, c.headDim]);
  const heads = b.op('Reshape', [ctx], [1, c.heads, s, c.headDim]);
  const rows = b.op('Transpose', [heads], [1, s, c.heads, c.headDim], { perm: [0, 2, 1, 3] });
  const flat = b.op('Reshape', [rows], [1, s, c.heads * c.headDim]);
  return b.op('MatMul', [flat, w(layerWeight(l, 'o_proj'))], [1, s, c.hidden]);
}

/** h + down(silu(gate(norm(h))) · up(norm(h))). */
function mlp(b: GraphBuilder, c: TinyQwen3Config, l: number, h: string, s: number): string {
  const hn = b.op('RmsNorm', [h, w(layerWeight(l, 'post_norm'))], [1, s, c.hidden], { epsilon: { float: c.rmsEps }, axes: [2] });
  const gate = b.op('MatMul', [hn, w(layerWeight(l, 'gate_proj'))], [1, s, c.intermediate]);
  const up = b.op('MatMul', [hn, w(layerWeight(l, 'up_proj'))], [1, s, c.intermediate]);
  const silu = b.op('ElementWiseMultiply', [gate, b.op('Sigmoid', [gate], [1, s, c.intermediate])], [1, s, c.intermediate]);
  const act = b.op('ElementWiseMultiply', [silu, up], [1, s, c.intermediate]);
  const down = b.op('MatMul', [act, w(layerWeight(l, 'down_proj'))], [1, s, c.hidden]);
  return b.op('ElementWiseAdd', [h, down], [1, s, c.hidden]);
}

/** (mask - 1) · 1e4: 0 where the host's mask is 1, -1e4 where it is 0. */
function additiveMask(b: GraphBuilder, mask: string, size: number): string {
  const m1 = b.op('ElementWiseSubtract', [mask, 'one'], [1, size]);
  return b.op('ElementWiseMultiply', [m1, 'mask_scale'], [1, size]);
}

/** Per-layer [1, kvHeads, S, hd] K and V → [L, 2, kvHeads, S, hd] (the card's KV layout). */
function stackKv(b: GraphBuilder, c: TinyQwen3Config, kv: readonly { k: string; v: string }[], s: number, output: string): void {
  const perLayer = kv.map(({ k, v }) => {
    const k5 = b.op('Reshape', [k], [1, 1, c.kvHeads, s, c.headDim]);
    const v5 = b.op('Reshape', [v], [1, 1, c.kvHeads, s, c.headDim]);
    return b.op('Concat', [k5, v5], [1, 2, c.kvHeads, s, c.headDim], { axis: 1 });
  });
  b.into('Concat', perLayer, output, { axis: 0 });
}

function prefillGraph(c: TinyQwen3Config) {
  const P = c.prefillLength;
  const half = c.headDim / 2;
  const b = new GraphBuilder();
  const rope = { cos: ropeInput(b, c, 'rope_cos', P), sin: ropeInput(b, c, 'rope_sin', P) };
  // Causal [P, P] plus the key padding mask [1, P], broadcast over heads.
  const mask = b.op('ElementWiseAdd', ['causal_mask', additiveMask(b, 'attention_mask', P)], [P, P]);
  let h = b.op('Cast', ['inputs_embeds'], [1, P, c.hidden]);
  const kv: { k: string; v: string }[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = project(b, c, l, h, P, rope);
    kv.push({ k: p.k, v: p.v });
    h = mlp(b, c, l, b.op('ElementWiseAdd', [h, attend(b, c, l, p, P, P, mask)], [1, P, c.hidden]), P);
  }
  b.into('Cast', [h], 'hidden_states');
  stackKv(b, c, kv, P, 'present_kv');
  return b.build(
    'prefill',
    [f16('inputs_embeds', [1, P, c.hidden]), f16('rope_cos', [1, P, half]), f16('rope_sin', [1, P, half]), f16('attention_mask', [1, P])],
    [f16('hidden_states', [1, P, c.hidden]), f16('present_kv', [c.layers, 2, c.kvHeads, P, c.headDim])],
  );
}

function decodeGraph(c: TinyQwen3Config) {
  const M = c.kvSlots;
  const half = c.headDim / 2;
  const kvDims = [c.layers, 2, c.kvHeads, M, c.headDim];
  const b = new GraphBuilder();
  const rope = { cos: ropeInput(b, c, 'rope_cos', 1), sin: ropeInput(b, c, 'rope_sin', 1) };
  // The cache slots the host turned on, then the step's own K/V (always on).
  const mask = b.op('Concat', [additiveMask(b, 'attention_mask', M), 'zero_1x1'], [1, M + 1], { axis: 1 });
  const past = (l: number, kOrV: 0 | 1): string => {
    const ranges = kvDims.flatMap((d, i) => (i === 0 ? [l, l + 1, 1] : i === 1 ? [kOrV, kOrV + 1, 1] : [0, d, 1]));
    const slot = b.op('StridedSlice', ['past_kv'], [1, 1, c.kvHeads, M, c.headDim], { ranges }, 'float16');
    return b.op('Cast', [b.op('Reshape', [slot], [1, c.kvHeads, M, c.headDim], undefined, 'float16')], [1, c.kvHeads, M, c.headDim]);
  };
  let h = b.op('Cast', ['inputs_embeds'], [1, 1, c.hidden]);
  const kv: { k: string; v: string }[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = project(b, c, l, h, 1, rope);
    kv.push({ k: p.k, v: p.v });
    const keys = b.op('Concat', [past(l, 0), p.k], [1, c.kvHeads, M + 1, c.headDim], { axis: 2 });
    const values = b.op('Concat', [past(l, 1), p.v], [1, c.kvHeads, M + 1, c.headDim], { axis: 2 });
    h = mlp(b, c, l, b.op('ElementWiseAdd', [h, attend(b, c, l, { q: p.q, k: keys, v: values }, 1, M + 1, mask)], [1, 1, c.hidden]), 1);
  }
  b.into('Cast', [h], 'hidden_states');
  stackKv(b, c, kv, 1, 'new_kv');
  return b.build(
    'decode',
    [f16('inputs_embeds', [1, 1, c.hidden]), f16('rope_cos', [1, 1, half]), f16('rope_sin', [1, 1, half]), f16('attention_mask', [1, M]), f16('past_kv', kvDims)],
    [f16('hidden_states', [1, 1, c.hidden]), f16('new_kv', [c.layers, 2, c.kvHeads, 1, c.headDim])],
  );
}

/** The weight-shared LLM context: prefill + decode over one set of STATIC weights. */
export function llmBinary(c: TinyQwen3Config, weights: TinyQwen3Weights): ReferenceBinaryDesc {
  const P = c.prefillLength;
  const causal = new Float32Array(P * P);
  for (let i = 0; i < P; i++) causal.fill(MASK_OFF, i * P + i + 1, (i + 1) * P);
  return {
    description: 'golden tiny Qwen3: weight-shared prefill (KV-emitting) + decode (AR-1, KV cache)',
    statics: [
      ...weightStatics(weights),
      { name: 'causal_mask', dtype: 'float32', dims: [P, P], data: causal },
      { name: 'one', dtype: 'float32', dims: [1], fill: 1 },
      { name: 'minus_one', dtype: 'float32', dims: [1], fill: -1 },
      { name: 'mask_scale', dtype: 'float32', dims: [1], fill: -MASK_OFF },
      { name: 'zero_1x1', dtype: 'float32', dims: [1, 1], fill: 0 },
    ],
    graphs: [prefillGraph(c), decodeGraph(c)],
  };
}

/** The lm-head context: final RMSNorm, then logits = h · W_lm_head. */
export function lmHeadBinary(c: TinyQwen3Config, weights: TinyQwen3Weights): ReferenceBinaryDesc {
  const b = new GraphBuilder();
  const h = b.op('Cast', ['hidden_states'], [1, 1, c.hidden]);
  const hn = b.op('RmsNorm', [h, w('final_norm')], [1, 1, c.hidden], { epsilon: { float: c.rmsEps }, axes: [2] });
  b.into('MatMul', [hn, w('lm_head')], 'logits');
  const statics = (['final_norm', 'lm_head'] as const).map((name): RefStaticDesc => {
    const t = weights.tensors.get(name)!;
    return { name: w(name), dtype: 'float32', dims: t.dims, data: t.data };
  });
  return {
    description: 'golden tiny Qwen3: lm-head (final norm + projection to the vocabulary)',
    statics,
    graphs: [b.build('lm_head', [f16('hidden_states', [1, 1, c.hidden])], [f16('logits', [1, 1, c.vocab])])],
  };
}
