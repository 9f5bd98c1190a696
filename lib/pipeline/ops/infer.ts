/**
 * Static output types of the built-in host ops, for the load-time check of what feeds
 * each graph input (lib/pipeline/typecheck.ts); the Stage F, rope, normalization and number
 * ops are in ./infer-stage.ts. Only what the params and the input types
 * determine is stated; anything else stays unknown, so the check never guesses.
 */
import { DTYPES, type DType } from '../../tensor/dtypes.js';
import { isNumber, type HostOpInfer, type StaticType } from '../static-types.js';
import { STAGE_INFER } from './infer-stage.js';
import { inferTopk } from './topk.js';

type Params = Readonly<Record<string, unknown>>;

/** The dtype param, the fallback when absent, undefined when it is not a dtype. */
function dtypeParam(p: Params, fallback: DType | undefined, name = 'dtype'): DType | undefined {
  const v = p[name];
  if (v === undefined) return fallback;
  return typeof v === 'string' && Object.hasOwn(DTYPES, v) ? (v as DType) : undefined;
}

function dimsParam(p: Params, name = 'dims'): number[] | undefined {
  const v = p[name];
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d)) ? (v as number[]) : undefined;
}

function whole(v: unknown): number | null {
  return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : null;
}

function axisOf(p: Params, rank: number, fallback: number): number | undefined {
  const a = p.axis ?? fallback;
  if (!Number.isSafeInteger(a)) return undefined;
  const n = (a as number) < 0 ? (a as number) + rank : (a as number);
  return n >= 0 && n < rank ? n : undefined;
}

/** The element count, or null when a dimension is unknown. */
function count(dims: readonly (number | null)[] | undefined): number | null {
  if (!dims) return null;
  let n = 1;
  for (const d of dims) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}

/** A tensor type with dims[axis] replaced. */
function withAxis(t: StaticType | undefined, p: Params, size: number | null, fallbackAxis = 0): StaticType | undefined {
  if (!t?.dims) return t?.dtype ? { dtype: t.dtype } : undefined;
  const axis = axisOf(p, t.dims.length, fallbackAxis);
  if (axis === undefined) return { ...(t.dtype ? { dtype: t.dtype } : {}) };
  const dims = [...t.dims];
  dims[axis] = size;
  return { ...(t.dtype ? { dtype: t.dtype } : {}), dims };
}

const tokenize: HostOpInfer = (p) => ({ dtype: dtypeParam(p, 'int32'), dims: [1, null] });

const embed: HostOpInfer = (p, inputs, info) => {
  const table = typeof p.table === 'string' ? info.asset(p.table) : undefined;
  if (table?.type !== 'embedding') return undefined;
  const ids = inputs.ids;
  const n = isNumber(ids) ? 1 : ids?.dims ? count(ids.dims) : null;
  return { dtype: dtypeParam(p, table.dtype), dims: [1, n, table.shape[1]] };
};

const image: HostOpInfer = (p) => {
  const w = whole(p.width);
  const h = whole(p.height);
  return { dtype: dtypeParam(p, 'float32'), dims: p.layout === 'NHWC' ? [1, h, w, 3] : [1, 3, h, w] };
};

const concat: HostOpInfer = (p, _inputs, { inputList }) => {
  const [first] = inputList;
  if (!first?.dims || inputList.some((t) => !t?.dims || t.dims.length !== first.dims!.length)) return first?.dtype ? { dtype: first.dtype } : undefined;
  const rank = first.dims.length;
  const axis = axisOf(p, rank, 0);
  if (axis === undefined) return first.dtype ? { dtype: first.dtype } : undefined;
  const dims = first.dims.map((_, k) => {
    if (k === axis) return inputList.every((t) => t!.dims![k] !== null) ? inputList.reduce((s, t) => s + (t!.dims![k] as number), 0) : null;
    return inputList.map((t) => t!.dims![k]).find((d) => d !== null) ?? null;
  });
  return { ...(first.dtype ? { dtype: first.dtype } : {}), dims };
};

const slice: HostOpInfer = (p, inputs) => {
  const t = inputs.input;
  let length = whole(p.length);
  if (length === null && t?.dims && !Object.hasOwn(inputs, 'start')) {
    const axis = axisOf(p, t.dims.length, 0);
    const size = axis === undefined ? null : t.dims[axis];
    const start = Number.isSafeInteger(p.start ?? 0) ? ((p.start ?? 0) as number) : null;
    if (size !== null && start !== null) length = start < 0 ? -start : size - start;
  }
  return withAxis(t, p, length);
};

const pad: HostOpInfer = (p, inputs) => withAxis(inputs.input, p, whole(p.size));

const reshape: HostOpInfer = (p, inputs) => {
  const dims = dimsParam(p);
  const t = inputs.input;
  if (!dims) return t?.dtype ? { dtype: t.dtype } : undefined;
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = count(t?.dims);
  const out = dims.map((d) => (d !== -1 ? d : total !== null && known > 0 && total % known === 0 ? total / known : null));
  return { ...(t?.dtype ? { dtype: t.dtype } : {}), dims: out };
};

/** Same dims as the input, the dtype from the params. */
const converting =
  (fallback: DType): HostOpInfer =>
  (p, inputs) => {
    const dtype = dtypeParam(p, fallback);
    const dims = inputs.input?.dims;
    return { ...(dtype ? { dtype } : {}), ...(dims ? { dims } : {}) };
  };

const positionIds: HostOpInfer = (p, inputs) => {
  const length = Object.hasOwn(inputs, 'length') ? (inputs.length?.value ?? null) : whole(p.length);
  return { dtype: dtypeParam(p, 'int32'), dims: dimsParam(p) ?? [1, length] };
};

const attentionMask: HostOpInfer = (p) => ({ dtype: dtypeParam(p, 'float32'), dims: dimsParam(p) ?? [1, whole(p.size ?? 0)] });

const filled: HostOpInfer = (p) => ({ dtype: dtypeParam(p, 'float32'), dims: dimsParam(p) ?? [1] });

/** set: the input's type, or a number param's value (a list param is not a tensor: unknown). */
const set: HostOpInfer = (p, inputs) => (Object.hasOwn(inputs, 'value') ? inputs.value : typeof p.value === 'number' ? { value: p.value } : undefined);

export const BUILTIN_INFER: ReadonlyMap<string, HostOpInfer> = new Map<string, HostOpInfer>([
  ['tokenize', tokenize],
  ['embed', embed],
  ['image', image],
  ['concat', concat],
  ['slice', slice],
  ['pad', pad],
  ['reshape', reshape],
  ['cast', converting('float32')],
  ['quantize', converting('ufixed8')],
  ['dequantize', converting('float32')],
  ['position_ids', positionIds],
  ['attention_mask', attentionMask],
  ['fill', filled],
  ['randn', filled],
  ['set', set],
  ['topk', inferTopk],
  ...STAGE_INFER,
]);
