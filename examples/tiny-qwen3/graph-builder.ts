/**
 * A small helper that appends reference-backend nodes and names their intermediate
 * (NATIVE) tensors, so the golden model's graphs read as the math they compute.
 */
import type { RefGraphDesc, RefNodeDesc, RefParamValue, RefTensorDesc } from '../../lib/reference/writer-types.js';
import type { DType } from '../../lib/tensor/dtypes.js';

type Params = Readonly<Record<string, RefParamValue>>;

export class GraphBuilder {
  private readonly tensors: RefTensorDesc[] = [];
  private readonly nodes: RefNodeDesc[] = [];
  private count = 0;

  /** Appends `op(inputs)` into a new float32 (or `dtype`) intermediate of `dims`; returns its name. */
  op(op: string, inputs: readonly string[], dims: readonly number[], params?: Params, dtype: DType = 'float32'): string {
    const name = `t${this.count++}_${op}`;
    this.tensors.push({ name, dtype, dims });
    this.nodes.push({ op, inputs, outputs: [name], ...(params ? { params } : {}) });
    return name;
  }

  /** Appends `op(inputs)` writing an existing tensor (a graph output). */
  into(op: string, inputs: readonly string[], output: string, params?: Params): void {
    this.nodes.push({ op, inputs, outputs: [output], ...(params ? { params } : {}) });
  }

  build(name: string, inputs: readonly RefTensorDesc[], outputs: readonly RefTensorDesc[]): RefGraphDesc {
    return { name, inputs, outputs, tensors: [...this.tensors], nodes: [...this.nodes] };
  }
}

/** StridedSlice ranges (begin, end, stride per dim) selecting `[begin, end)` on `axis` of `dims`. */
export function sliceRanges(dims: readonly number[], axis: number, begin: number, end: number): number[] {
  return dims.flatMap((d, i) => (i === axis ? [begin, end, 1] : [0, d, 1]));
}
