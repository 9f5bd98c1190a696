/**
 * The mock backend's default outputs: deterministic values from a PRNG seeded by the
 * backend seed, the graph and the call number (floats in [-1, 1), small integers, random
 * bytes for quantized tensors).
 */
import { DTYPES } from '../../tensor/dtypes.js';
import { Tensor } from '../../tensor/Tensor.js';
import type { Prng } from '../../random.js';

export function fillDefault(tensor: Tensor, rng: Prng): void {
  const info = DTYPES[tensor.dtype];
  const n = tensor.size;
  if (info.float) {
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = rng.next() * 2 - 1;
    const converted = Tensor.fromFloat32(tensor.dtype, f, tensor.dims);
    tensor.bytes.set(converted.bytes);
    return;
  }
  const data = tensor.data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) data[i] = BigInt(rng.nextUint32() & 15);
  } else if (tensor.dtype === 'bool') {
    for (let i = 0; i < data.length; i++) data[i] = rng.nextUint32() & 1;
  } else if (info.quantized) {
    const bytes = tensor.bytes;
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextUint32() & 0xff;
  } else {
    for (let i = 0; i < data.length; i++) data[i] = rng.nextUint32() & 15;
  }
}
