/**
 * `topk`: the k largest entries of the last axis (a classifier's logits), best first —
 * `values` (float32, optionally softmax probabilities over the row) and `ids` (int32),
 * each with the input's dims but k on the last axis; with a `labels` file asset (one label
 * per line, line i = class i, e.g. ImageNet's 1000 classes) also `labels`: the label
 * names of the first row, best first, one per line.
 */
import { DTYPES } from '../../tensor/dtypes.js';
import { Tensor } from '../../tensor/Tensor.js';
import type { HostOpContext, HostOpFn, PipelineValue } from '../hostops.js';
import { readRegularFile } from '../paths.js';
import type { HostOpInfer } from '../static-types.js';

/** Ranks by value (descending), ties by lower id; NaN never ranks above a number. */
function better(v: Float32Array | Float64Array, a: number, b: number): boolean {
  const x = v[a];
  const y = v[b];
  if (x !== x) return false; // NaN
  if (y !== y) return true;
  return x > y || (x === y && a < b);
}

/** The k best ids of row `row` (length n) of `v`, best first. */
export function topkIds(v: Float32Array | Float64Array, k: number): number[] {
  const n = v.length;
  const best: number[] = [];
  if (k <= 64) {
    // Insertion into a sorted list of at most k: O(n·k) for the small k classifiers use.
    for (let i = 0; i < n; i++) {
      if (best.length === k && !better(v, i, best[k - 1])) continue;
      let j = Math.min(best.length, k - 1);
      best[j] = i;
      while (j > 0 && better(v, i, best[j - 1])) {
        best[j] = best[j - 1];
        best[--j] = i;
      }
    }
    return best;
  }
  const ids = Array.from({ length: n }, (_, i) => i);
  ids.sort((a, b) => (better(v, a, b) ? -1 : better(v, b, a) ? 1 : 0));
  return ids.slice(0, k);
}

function softmaxInPlace(row: Float64Array): void {
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += row[i] = Math.exp(row[i] - max);
  for (let i = 0; i < row.length; i++) row[i] /= sum;
}

function labelsOf(ctx: HostOpContext, asset: string): string[] {
  let lines = ctx.state.get('labels') as string[] | undefined;
  if (!lines) {
    const path = ctx.assets.path(asset);
    lines = readRegularFile(path, `labels file ${path}`, ctx.maxAllocationBytes).toString('utf8').split(/\r?\n/);
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    ctx.state.set('labels', lines);
  }
  return lines;
}

export const topk: HostOpFn = (ctx) => {
  const t = ctx.inputs.input;
  if (!(t instanceof Tensor) || t.dims.length === 0) throw ctx.fail(`expected a tensor of at least one dim for inputs.input but received ${t instanceof Tensor ? 'a scalar tensor' : typeof t}`);
  const n = t.dims[t.dims.length - 1];
  const k = ctx.params.k as number;
  if (!Number.isSafeInteger(k) || k < 1 || k > n) throw ctx.fail(`expected k between 1 and the last axis (${n}) but received ${JSON.stringify(k)}`);
  const rows = t.size / n;
  const dims = [...t.dims.slice(0, -1), k];
  const values = ctx.outputTensor('float32', dims, 'values');
  const ids = ctx.outputTensor('int32', dims, 'ids');
  ctx.checkAllocation(n * 8, `a float64 row of ${n}`);
  const all = DTYPES[t.dtype].quantized && !t.quant ? Float64Array.from(t.data as ArrayLike<number>, Number) : t.toFloat64();
  const names = typeof ctx.params.labels === 'string' ? labelsOf(ctx, ctx.params.labels) : undefined;
  let text = '';
  for (let r = 0; r < rows; r++) {
    const row = all.slice(r * n, (r + 1) * n);
    if (ctx.params.softmax === true) softmaxInPlace(row);
    const best = topkIds(row, k);
    for (let j = 0; j < k; j++) {
      (values.data as Float32Array)[r * k + j] = row[best[j]];
      (ids.data as Int32Array)[r * k + j] = best[j];
    }
    if (names && r === 0) {
      const missing = best.find((id) => id >= names.length);
      if (missing !== undefined) throw ctx.fail(`expected a label for class ${missing} but the labels file ${JSON.stringify(ctx.params.labels)} has ${names.length} lines`);
      text = best.map((id) => names[id]).join('\n');
    }
  }
  const out: Record<string, PipelineValue> = { values, ids };
  if (names) out.labels = text;
  return out;
};

export const inferTopk: HostOpInfer = (params, inputs) => {
  const dims = inputs.input?.dims;
  const k = Number.isSafeInteger(params.k) ? (params.k as number) : null;
  const out = dims && dims.length ? [...dims.slice(0, -1), k] : undefined;
  return { outputs: { values: { dtype: 'float32', ...(out ? { dims: out } : {}) }, ids: { dtype: 'int32', ...(out ? { dims: out } : {}) } } };
};
