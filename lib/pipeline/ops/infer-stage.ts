/**
 * Static output types of the host ops that feed host-computed tensors to graphs (Stage F,
 * rope tables and positions, normalization, the flow-matching schedule) and of the ops that
 * make plain numbers (sample, length, add on numbers with min / max), for the load-time
 * check (lib/pipeline/typecheck.ts). Like ./infer.ts: only what the params and the input
 * types determine; a step whose params would make the op fail states nothing.
 */
import { isNumber, type HostOpInfer, type StaticType } from '../static-types.js';
import { patchGrid } from './patchify.js';

type Params = Readonly<Record<string, unknown>>;

const NUMBER: StaticType = { number: true };

/** A whole number >= min, or null. */
function whole(v: unknown, min = 0): number | null {
  return Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : null;
}

/** One of `allowed` (the param's fallback when absent), undefined for anything else (the op fails). */
function oneOf<T extends string>(p: Params, name: string, allowed: readonly T[], fallback: T): T | undefined {
  const v = p[name] ?? fallback;
  return allowed.includes(v as T) ? (v as T) : undefined;
}

/** Positions a rope_table step covers: a start number with `length`, or the last dim of [1, n] / [n] / [3, 1, n] / [3, n]. */
function ropeLength(p: Params, positions: StaticType | undefined): number | null {
  if (positions === undefined) return null;
  if (isNumber(positions)) return whole(p.length, 1);
  const d = positions.dims;
  if (!d || d.length === 0 || d.length > 3) return null;
  // A one-element tensor with `length` is a start position.
  if (p.length !== undefined && d.every((x) => x === 1)) return whole(p.length, 1);
  if (d.length === 1) return d[0];
  if (d.length === 2) return d[0] === 1 || d[0] === 3 ? d[1] : null;
  return d[0] === 3 && d[1] === 1 ? d[2] : null;
}

const ropeTable: HostOpInfer = (p, inputs) => {
  const dtype = oneOf(p, 'dtype', ['float16', 'float32'], 'float32');
  const headDim = whole(p.headDim, 2);
  if (dtype === undefined || headDim === null || headDim % 2 !== 0) return undefined;
  const width = p.duplicate === true ? headDim : headDim / 2;
  const table: StaticType = { dtype, dims: [1, ropeLength(p, inputs.positions), width] };
  return { outputs: { cos: table, sin: table } };
};

/** The token count of a prefix / suffix input: a number's value, a tensor's last dim (lists are unknown). */
function tokenCount(p: Params, inputs: Readonly<Record<string, StaticType | undefined>>, role: string): number | null {
  if (!Object.hasOwn(inputs, role)) return whole(p[role] ?? 0);
  const t = inputs[role];
  if (t?.value !== undefined) return whole(t.value);
  if (t?.dims) return t.dims.length ? t.dims[t.dims.length - 1] : 1;
  return null;
}

const mropePositions: HostOpInfer = (p, inputs) => {
  const dtype = oneOf(p, 'dtype', ['int32', 'int64'], 'int32');
  if (dtype === undefined) return undefined;
  const prefix = tokenCount(p, inputs, 'prefix');
  const suffix = tokenCount(p, inputs, 'suffix');
  const [gh, gw, frames, start] = [whole(p.gridHeight, 1), whole(p.gridWidth, 1), whole(p.temporal ?? 1, 1), whole(p.start ?? 0)];
  const known = [prefix, suffix, gh, gw, frames, start].every((x) => x !== null);
  const length = known ? prefix! + frames! * gh! * gw! + suffix! : null;
  const size = p.size === undefined ? length : whole(p.size);
  // A size below the prompt's length fails the run: nothing to state.
  if (size !== null && length !== null && size < length) return undefined;
  const outputs: Record<string, StaticType> = { positions: { dtype, dims: [3, 1, size] }, next: NUMBER, length: NUMBER, delta: NUMBER };
  if (known) {
    const s = start! + prefix!;
    const next = s + Math.max(frames! - 1, gh! - 1, gw! - 1) + 1 + suffix!;
    Object.assign(outputs, { next: { value: next }, length: { value: length! }, delta: { value: next - length! - start! } });
  }
  return { outputs };
};

const patchify: HostOpInfer = (p, inputs) => {
  const dtype = oneOf(p, 'dtype', ['float16', 'float32'], 'float32');
  if (dtype === undefined) return undefined;
  const d = inputs.image?.dims;
  const dims = d && d[0] === 1 && d.length === 4 ? d.slice(1) : d;
  if (!dims || dims.some((x) => x === null)) return { dtype };
  const g = patchGrid(dims as number[], { patchSize: whole(p.patchSize ?? 16, 1) ?? NaN, temporalPatchSize: whole(p.temporalPatchSize ?? 2, 1) ?? NaN, mergeSize: whole(p.mergeSize ?? 2, 1) ?? NaN });
  return { dtype, dims: [g.gridT * g.gridH * g.gridW, g.patchDim] };
};

const matmul: HostOpInfer = (p, inputs, info) => {
  const dtype = oneOf(p, 'dtype', ['float16', 'float32'], 'float32');
  const w = typeof p.weight === 'string' ? info.tensor(p.weight)?.dims : undefined;
  const d = inputs.input?.dims;
  if (dtype === undefined || !w || w.length < 2 || w.some((x) => x === null)) return dtype ? { dtype } : undefined;
  const n = (p.transposeWeight === true ? w[0] : w[w.length - 1]) as number;
  const k = (w as number[]).reduce((a, b) => a * b, 1) / n;
  if (!d || d.length < 2) return { dtype };
  const last = d[d.length - 1];
  // A K other than the weight's fails the run: nothing to state.
  if (last !== null && last !== k) return undefined;
  return { dtype, dims: [...d.slice(0, -1), n] };
};

const posEmbedAdd: HostOpInfer = (p, inputs) => {
  const dtype = oneOf(p, 'dtype', ['float16', 'float32'], 'float32');
  if (dtype === undefined) return undefined;
  const d = inputs.input?.dims;
  return d ? { dtype, dims: d } : { dtype };
};

const FLOATS = ['float16', 'float32', 'float64'];

/** normalize: `dtype`, else the input's float dtype, else float32 (as the op computes it); a non-float `dtype` fails the run. */
const normalize: HostOpInfer = (p, inputs) => {
  const x = inputs.input;
  if (p.dtype !== undefined && !FLOATS.includes(p.dtype as string)) return undefined;
  const dtype = (p.dtype as string | undefined) ?? (x?.dtype === undefined ? undefined : x.dtype === 'float16' || x.dtype === 'float64' ? x.dtype : 'float32');
  if (dtype === undefined && x?.dims === undefined) return undefined;
  return { ...(dtype !== undefined ? { dtype: dtype as StaticType['dtype'] } : {}), ...(x?.dims ? { dims: x.dims } : {}) };
};

const flowTime: HostOpInfer = (p) => {
  const numSteps = whole(p.num_steps, 1);
  const dims = p.dims === undefined ? [1] : Array.isArray(p.dims) && p.dims.every((x) => whole(x) !== null) ? (p.dims as number[]) : undefined;
  if (p.dtype !== undefined && !FLOATS.includes(p.dtype as string)) return undefined;
  const t: StaticType = { dtype: ((p.dtype as string | undefined) ?? 'float32') as StaticType['dtype'], ...(dims ? { dims } : {}) };
  const dt = typeof p.dt === 'number' ? p.dt : numSteps !== null ? -1 / numSteps : undefined;
  return { outputs: { t, dt: dt === undefined ? NUMBER : { value: Math.fround(dt) } } };
};

/** add: a tensor a keeps its dtype and dims; numbers give a number (clamped by min / max), its value when both are known. */
const add: HostOpInfer = (p, inputs) => {
  const a = inputs.a;
  if (a === undefined) return undefined;
  if (!isNumber(a)) return a.dtype === undefined && a.dims === undefined ? undefined : { ...(a.dtype ? { dtype: a.dtype } : {}), ...(a.dims ? { dims: a.dims } : {}) };
  const b = inputs.b;
  const alpha = Object.hasOwn(inputs, 'alpha') ? inputs.alpha?.value : typeof p.alpha === 'number' ? p.alpha : p.alpha === undefined ? 1 : undefined;
  if (a.value === undefined || b?.value === undefined || alpha === undefined) return NUMBER;
  const min = typeof p.min === 'number' ? p.min : -Infinity;
  const max = typeof p.max === 'number' ? p.max : Infinity;
  const v = a.value + alpha * b.value;
  return { value: v < min ? min : v > max ? max : v };
};

/** length: a number; its value when it is a tensor's known dim. */
const length: HostOpInfer = (p, inputs) => {
  const d = inputs.input?.dims;
  if (!d) return NUMBER;
  if (!d.length) return { value: 1 };
  const axis = Number.isSafeInteger(p.axis ?? -1) ? ((p.axis ?? -1) as number) : NaN;
  const k = axis < 0 ? axis + d.length : axis;
  const n = k >= 0 && k < d.length ? d[k] : null;
  return n === null ? NUMBER : { value: n };
};

/** sample: the token id, a number known only at run time. */
const sample: HostOpInfer = () => NUMBER;

export const STAGE_INFER: ReadonlyMap<string, HostOpInfer> = new Map<string, HostOpInfer>([
  ['rope_table', ropeTable],
  ['mrope_positions', mropePositions],
  ['patchify', patchify],
  ['matmul', matmul],
  ['pos_embed_add', posEmbedAdd],
  ['normalize', normalize],
  ['flow_time', flowTime],
  ['add', add],
  ['length', length],
  ['sample', sample],
]);
