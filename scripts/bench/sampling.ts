/**
 * Sampler cost per mode on one Qwen3-VL lm-head row: 151,936 fp16 logits (N(0, 3²), a
 * spread like real logits), one call per token. Baselines in the same run: widening the
 * row fp16 -> fp32 once, and the fp16 argmax (greedy).
 */
import { Prng } from '../../lib/random.js';
import { Sampler, type SampleOptions } from '../../lib/pipeline/ops/sample.js';
import { float16ToFloat32, float32ToFloat16 } from '../../lib/tensor/fp16.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import type { BenchSection } from './harness.js';

const VOCAB = 151_936;

const section: BenchSection = {
  name: 'sampling',
  description: 'Sampler.sample per mode on 151,936 fp16 logits (N(0, 9)), ratio vs one fp16->fp32 widening of the row',
  run(bench) {
    const rng = new Prng(1);
    const f32 = new Float32Array(VOCAB);
    for (let i = 0; i < VOCAB; i++) f32[i] = rng.normal() * 3;
    const half = float32ToFloat16(f32);
    const logits = new Tensor('float16', half, [1, 1, VOCAB]);
    const logits32 = new Tensor('float32', float16ToFloat32(half), [1, 1, VOCAB]);
    const dst = new Float32Array(VOCAB);
    const history = Int32Array.from({ length: 512 }, () => rng.nextUint32() % VOCAB);
    const base = 'fp16->fp32 151,936 logits';
    bench.case(base, () => float16ToFloat32(half, dst), { note: 'baseline: one widening of the row' });
    const sampler = new Sampler();
    const draw = new Prng(7);
    const modes: [string, SampleOptions, Tensor?][] = [
      ['greedy (fp16 argmax)', {}],
      ['temperature 0.7 (full softmax)', { temperature: 0.7 }],
      ['top-k 50, T 0.7', { temperature: 0.7, topK: 50 }],
      ['top-k 1000, T 0.7', { temperature: 0.7, topK: 1000 }],
      ['top-k 151,936 (= vocab), T 0.7', { temperature: 0.7, topK: VOCAB }],
      ['top-p 0.9, T 0.7', { temperature: 0.7, topP: 0.9 }],
      ['top-p 0.95, T 1', { temperature: 1, topP: 0.95 }],
      ['top-k 50 + top-p 0.9, T 0.7', { temperature: 0.7, topK: 50, topP: 0.9 }],
      ['top-k 1000 + top-p 0.95, T 1', { temperature: 1, topK: 1000, topP: 0.95 }],
      ['rep. penalty 1.1 (512 ids) + top-k 50 + top-p 0.9, T 0.7', { temperature: 0.7, topK: 50, topP: 0.9, repetitionPenalty: 1.1, history }],
      ['rep. penalty 1.1 (512 ids) + top-p 0.9, T 0.7', { temperature: 0.7, topP: 0.9, repetitionPenalty: 1.1, history }],
      ['rep. penalty 1.1 (512 ids), greedy', { repetitionPenalty: 1.1, history }],
      ['fp32 logits: top-k 50 + top-p 0.9, T 0.7', { temperature: 0.7, topK: 50, topP: 0.9 }, logits32],
      ['fp32 logits: top-p 0.9, T 0.7', { temperature: 0.7, topP: 0.9 }, logits32],
    ];
    for (const [name, options, input] of modes) {
      bench.case(`sample ${name}`, () => sampler.sample(input ?? logits, options, draw), { baseline: base, warmup: 20, iterations: 50, minTimeMs: 300 });
    }
  },
};

export default section;
