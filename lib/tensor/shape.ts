/** Shape helpers shared by tensors, backends, the pipeline and the CLI. */

/** QNN dimensions are uint32 (Qnn_TensorV1_t.dimensions). */
export const MAX_DIM = 0xffffffff;

/** The number of elements of a tensor with these dims (1 for a scalar, []). */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * The element count of `dims`, or undefined when it is not exact: a dim that is not a
 * non-negative safe integer, or a product above Number.MAX_SAFE_INTEGER (2^53 - 1; no
 * buffer that large exists). Checked step by step, so no intermediate overflow or rounding
 * can wrap the result to a small number.
 */
export function checkedElementCount(dims: readonly unknown[]): number | undefined {
  for (const d of dims) if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return undefined;
  if ((dims as number[]).includes(0)) return 0;
  let n = 1;
  for (const d of dims as number[]) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return n;
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
