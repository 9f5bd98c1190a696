/**
 * Reading a host op step's inputs and params with messages in the house format
 * ("expected <what> for <name> but received <value>", HOST_OP_FAILED naming the step).
 * The manifest schema already checked the params' types at load; these guard the values
 * that come from other steps (and params passed as "$name" at run).
 */
import { DTYPES } from '../../tensor/dtypes.js';
import { Tensor } from '../../tensor/Tensor.js';
import { describeValue } from '../../errors.js';
import type { HostOpContext, PipelineValue } from '../hostops.js';

export function describeInput(v: PipelineValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v instanceof Tensor) return `a ${v.dtype} tensor [${v.dims.join(', ')}]`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`;
  if (typeof v === 'object') return 'raw image pixels';
  return describeValue(v);
}

export function hasInput(ctx: HostOpContext, role: string): boolean {
  return Object.hasOwn(ctx.inputs, role);
}

export function tensorInput(ctx: HostOpContext, role: string): Tensor {
  const v = ctx.inputs[role];
  if (!(v instanceof Tensor)) throw ctx.fail(`expected a tensor for inputs.${role} but received ${describeInput(v)}`, { role });
  return v;
}

/** A float tensor input (float16 / float32 / float64). */
export function floatTensorInput(ctx: HostOpContext, role: string): Tensor {
  const t = tensorInput(ctx, role);
  if (!DTYPES[t.dtype].float) throw ctx.fail(`expected a float tensor for inputs.${role} but received ${describeInput(t)}`, { role });
  return t;
}

/** A whole number >= min from an input (number or one-element tensor) or, without the input, a param. */
export function wholeNumber(ctx: HostOpContext, name: string, min: number, fallback?: number): number {
  const fromInput = hasInput(ctx, name);
  let v: unknown = fromInput ? ctx.inputs[name] : (ctx.params[name] ?? fallback);
  if (v instanceof Tensor && v.size === 1) v = Number(v.data[0]);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    const shown = v instanceof Tensor || v === undefined || Array.isArray(v) ? describeInput(v as PipelineValue | undefined) : describeValue(v);
    throw ctx.fail(`expected a whole number >= ${min} for ${fromInput ? 'inputs.' : ''}${name} but received ${shown}`, { role: name });
  }
  return v;
}

export function param<T>(ctx: HostOpContext, name: string, fallback: T): T {
  const v = ctx.params[name];
  return v === undefined ? fallback : (v as T);
}

/** A param checked with `ok` (params given as "$name" are only known at run). */
export function checkedParam<T>(ctx: HostOpContext, name: string, fallback: T, what: string, ok: (v: unknown) => boolean): T {
  const v = ctx.params[name];
  if (v === undefined) return fallback;
  if (!ok(v)) throw ctx.fail(`expected ${what} for ${name} but received ${describeValue(v)}`, { param: name });
  return v as T;
}

/** Length of a token sequence input: a number (the count itself), a list, or a tensor's last dim. */
export function sequenceLength(ctx: HostOpContext, role: string): number {
  const v = ctx.inputs[role];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (Array.isArray(v)) return v.length;
  if (v instanceof Tensor) return v.dims.length ? v.dims[v.dims.length - 1] : 1;
  throw ctx.fail(`expected a token count, a list or a tensor for inputs.${role} but received ${describeInput(v)}`, { role });
}
