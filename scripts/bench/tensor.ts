/**
 * Tensor numerics throughput: fp16 <-> fp32 and quantize / dequantize. Every case is
 * also reported as a ratio to a plain Float32Array copy (dst.set(src)) of the same
 * number of bytes as the case's float32 side, measured in the same run.
 */

import { float16ToFloat32, float32ToFloat16 } from '../../lib/tensor/fp16.js';
import { dequantize, quantize } from '../../lib/tensor/quantize.js';
import type { QuantParams } from '../../lib/tensor/dtypes.js';
import type { BenchSection } from './harness.js';

function randomFloats(n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out[i] = (seed / 2 ** 32 - 0.5) * scale;
  }
  return out;
}

const section: BenchSection = {
  name: 'tensor',
  description: 'fp16 conversion and quantization (ratios against a Float32Array copy of the same bytes)',
  run(bench) {
    const sizes: Array<[string, number]> = [
      ['151,936 values', 151_936],
      ['[1,3,512,512]', 3 * 512 * 512],
    ];
    for (const [label, n] of sizes) {
      const f32 = randomFloats(n, 200);
      const f32dst = new Float32Array(n);
      const half = float32ToFloat16(f32);
      const halfDst = new Uint16Array(n);
      const base = `copy ${label}`;
      bench.case(base, () => f32dst.set(f32), { note: `${(n * 4).toLocaleString('en-US')} bytes` });
      bench.case(`fp16->fp32 ${label}`, () => float16ToFloat32(half, f32dst), { baseline: base, note: 'into a given dst' });
      bench.case(`fp16->fp32 ${label} (alloc)`, () => float16ToFloat32(half), { baseline: base, note: 'allocates dst' });
      bench.case(`fp32->fp16 ${label}`, () => float32ToFloat16(f32, halfDst), { baseline: base, note: 'into a given dst' });
    }

    const n = 1 << 20;
    const dims = [n];
    const src = randomFloats(n, 4);
    const dst = new Float32Array(n);
    const u8 = new Uint8Array(n);
    const i16 = new Int16Array(n);
    const perTensor: QuantParams = { encoding: 'scale-offset', scale: 4 / 255, offset: -128 };
    const perTensor16: QuantParams = { encoding: 'scale-offset', scale: 4 / 65535, offset: 0 };
    const perAxis: QuantParams = {
      encoding: 'axis-scale-offset',
      axis: 1,
      scales: Array.from({ length: 64 }, (_, i) => (4 / 255) * (1 + i / 64)),
      offsets: Array.from({ length: 64 }, (_, i) => -128 + (i % 5)),
    };
    quantize(src, 'ufixed8', dims, perTensor, u8);
    const base = 'copy 1M values';
    bench.case(base, () => dst.set(src), { note: `${(n * 4).toLocaleString('en-US')} bytes` });
    bench.case('quantize ufixed8 1M', () => quantize(src, 'ufixed8', dims, perTensor, u8), { baseline: base });
    bench.case('dequantize ufixed8 1M', () => dequantize(u8, 'ufixed8', dims, perTensor, dst), { baseline: base });
    bench.case('quantize sfixed16 1M', () => quantize(src, 'sfixed16', dims, perTensor16, i16), { baseline: base });
    const perAxis0: QuantParams = { ...perAxis, axis: 0 };
    bench.case('quantize per-axis ufixed8 1M', () => quantize(src, 'ufixed8', [64, 16384], perAxis0, u8), { baseline: base, note: '[64,16384] axis 0' });
    bench.case('dequantize per-axis ufixed8 1M', () => dequantize(u8, 'ufixed8', [64, 16384], perAxis0, dst), { baseline: base, note: '[64,16384] axis 0' });
    bench.case('quantize per-axis last ufixed8 1M', () => quantize(src, 'ufixed8', [16384, 64], perAxis, u8), { baseline: base, note: '[16384,64] axis 1' });
    bench.case('dequantize per-axis last ufixed8 1M', () => dequantize(u8, 'ufixed8', [16384, 64], perAxis, dst), { baseline: base, note: '[16384,64] axis 1' });
  },
};

export default section;
