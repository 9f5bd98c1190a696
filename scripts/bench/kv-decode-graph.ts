/**
 * A KV decode step as a reference-backend binary (graph `kv_step`): it reads the whole
 * cache `past_kv` [L, 2, H, S, D] and a host-made row `x` [L, 2, H, 1, D] and returns the
 * step's new row `new_kv` = read(past_kv) + x, which the host then writes into the cache
 * at the step's slot (kv_write). `read` is 'slice' (slot 0: cheap, so a bench times the
 * transfers, not the math) or 'mean' (over every slot: each step depends on the whole cache,
 * so a test sees stale or missing rows). Used by the `shared` bench section and the
 * 1,000-step shared-memory decode test.
 */
import { encodeReferenceBinary, type RefNodeDesc } from '../../lib/reference/writer.js';
import type { DType } from '../../lib/tensor/dtypes.js';

export function kvRowDims(kv: readonly number[]): number[] {
  return [...kv.slice(0, 3), 1, kv[4]];
}

export function kvDecodeBinary(kv: readonly number[], read: 'slice' | 'mean', dtype: DType = 'float16'): Uint8Array {
  if (kv.length !== 5) throw new Error(`kv dims must be [L, 2, H, S, D], got [${kv.join(', ')}]`);
  const row = kvRowDims(kv);
  const node: RefNodeDesc =
    read === 'mean'
      ? { op: 'ReduceMean', inputs: ['past_kv'], outputs: ['read'], params: { axes: [3], keep_dims: true } }
      : { op: 'StridedSlice', inputs: ['past_kv'], outputs: ['read'], params: { ranges: kv.flatMap((d, i) => (i === 3 ? [0, 1, 1] : [0, d, 1])) } };
  return encodeReferenceBinary({
    graphs: [
      {
        name: 'kv_step',
        inputs: [
          { name: 'past_kv', dtype, dims: kv },
          { name: 'x', dtype, dims: row },
        ],
        outputs: [{ name: 'new_kv', dtype, dims: row }],
        tensors: [{ name: 'read', dtype, dims: row }],
        nodes: [node, { op: 'ElementWiseAdd', inputs: ['read', 'x'], outputs: ['new_kv'] }],
      },
    ],
  });
}
