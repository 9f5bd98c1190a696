/**
 * The golden tiny Qwen3: its configuration and its fixed random weights, generated
 * deterministically from a seed. Weights are stored "x · W" ([in, out], row-major), not
 * PyTorch's [out, in]; the embedding table is rounded to float16 (the card ships an f16
 * table). The lm-head is a separate [hidden, vocab] weight (as the card's v79 lm-head
 * context): a tied head on random weights mostly repeats its input token, which would make
 * the greedy sequence a weak check.
 */
import { Prng } from '../../lib/random.js';
import { float16ToFloat32, float32ToFloat16 } from '../../lib/tensor/fp16.js';

export interface TinyQwen3Config {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly intermediate: number;
  readonly vocab: number;
  /** Rows of the prefill graph (the card: AR-320). */
  readonly prefillLength: number;
  /** Slots of the decode graph's KV cache (the card: 512). */
  readonly kvSlots: number;
  readonly ropeTheta: number;
  readonly rmsEps: number;
  readonly seed: number;
}

export const TINY_QWEN3: TinyQwen3Config = Object.freeze({
  layers: 2,
  hidden: 64,
  heads: 4,
  kvHeads: 2,
  headDim: 16,
  intermediate: 128,
  vocab: 320,
  prefillLength: 320,
  kvSlots: 512,
  ropeTheta: 1_000_000,
  rmsEps: 1e-6,
  seed: 20251201,
});

export interface TinyQwen3Weights {
  /** float16 bits, [vocab, hidden]: embed_f16.bin. */
  readonly embedF16: Uint16Array;
  /** Name (= .npy file stem) → float32 values and dims. */
  readonly tensors: ReadonlyMap<string, { readonly data: Float32Array; readonly dims: readonly number[] }>;
}

/** Names of one layer's weights, e.g. `layers.0.q_proj`. */
export function layerWeight(layer: number, name: 'input_norm' | 'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'q_norm' | 'k_norm' | 'post_norm' | 'gate_proj' | 'up_proj' | 'down_proj'): string {
  return `layers.${layer}.${name}`;
}

export function generateWeights(c: TinyQwen3Config = TINY_QWEN3): TinyQwen3Weights {
  const rng = new Prng(c.seed);
  const uniform = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
  // Scales keep activations O(1) through both layers (Xavier-like 1/sqrt(fan_in), a bit
  // larger so the model is far from uniform) and norm gains near 1.
  const dense = (fanIn: number, fanOut: number): Float32Array => uniform(fanIn * fanOut, 1.7 / Math.sqrt(fanIn));
  const gain = (n: number): Float32Array => Float32Array.from(uniform(n, 0.2), (v) => 1 + v);
  const tensors = new Map<string, { data: Float32Array; dims: number[] }>();
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  for (let l = 0; l < c.layers; l++) {
    tensors.set(layerWeight(l, 'input_norm'), { data: gain(c.hidden), dims: [c.hidden] });
    tensors.set(layerWeight(l, 'q_proj'), { data: dense(c.hidden, q), dims: [c.hidden, q] });
    tensors.set(layerWeight(l, 'k_proj'), { data: dense(c.hidden, kv), dims: [c.hidden, kv] });
    tensors.set(layerWeight(l, 'v_proj'), { data: dense(c.hidden, kv), dims: [c.hidden, kv] });
    tensors.set(layerWeight(l, 'o_proj'), { data: dense(q, c.hidden), dims: [q, c.hidden] });
    tensors.set(layerWeight(l, 'q_norm'), { data: gain(c.headDim), dims: [c.headDim] });
    tensors.set(layerWeight(l, 'k_norm'), { data: gain(c.headDim), dims: [c.headDim] });
    tensors.set(layerWeight(l, 'post_norm'), { data: gain(c.hidden), dims: [c.hidden] });
    tensors.set(layerWeight(l, 'gate_proj'), { data: dense(c.hidden, c.intermediate), dims: [c.hidden, c.intermediate] });
    tensors.set(layerWeight(l, 'up_proj'), { data: dense(c.hidden, c.intermediate), dims: [c.hidden, c.intermediate] });
    tensors.set(layerWeight(l, 'down_proj'), { data: dense(c.intermediate, c.hidden), dims: [c.intermediate, c.hidden] });
  }
  tensors.set('final_norm', { data: gain(c.hidden), dims: [c.hidden] });
  tensors.set('lm_head', { data: uniform(c.hidden * c.vocab, 3 / Math.sqrt(c.hidden)), dims: [c.hidden, c.vocab] });
  const embedF16 = float32ToFloat16(uniform(c.vocab * c.hidden, 1));
  return { embedF16, tensors };
}

/** The f16 embedding table widened to float32 (exact). */
export function embedFloat32(w: TinyQwen3Weights): Float32Array {
  return float16ToFloat32(w.embedF16);
}
