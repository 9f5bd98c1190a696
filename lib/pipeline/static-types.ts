/**
 * Static value types: what a manifest value is known to be before anything runs (dtype,
 * dims with null for a dimension known only at run time, or a known number). Host ops
 * describe their outputs with an optional `infer` hook; the load-time check compares them
 * with the graph inputs they feed.
 */
import type { DType } from '../tensor/dtypes.js';
import type { AssetEntry } from './manifest.js';

/** What is known about a value at load time; a missing field is unknown. */
export interface StaticType {
  readonly dtype?: DType;
  /** Dimensions; `null` for one known only at run time. */
  readonly dims?: readonly (number | null)[];
  /** A number known at load time (a literal op input). */
  readonly value?: number;
}

/** What an `infer` hook may look at besides params and input types. */
export interface InferInfo {
  /** Input types in order when the step lists its inputs as an array. */
  readonly inputList: readonly (StaticType | undefined)[];
  /** The manifest's asset entry of that name (e.g. an embedding table's dtype and shape). */
  asset(name: string): AssetEntry | undefined;
}

/**
 * A host op's static output type: one StaticType for the step's `output`, or
 * `{ outputs: { role: type } }` for ops with several outputs; undefined (or a missing
 * field) when it is not known from the params and input types.
 */
export type InferredTypes = StaticType | { readonly outputs: Readonly<Record<string, StaticType | undefined>> } | undefined;

/**
 * `params`: the step's literal parameters (a step with a "$param" anywhere is not inferred:
 * a run may override it). `inputs`: each role's type (undefined when unknown).
 */
export type HostOpInfer = (params: Readonly<Record<string, unknown>>, inputs: Readonly<Record<string, StaticType | undefined>>, info: InferInfo) => InferredTypes;

/** The least specific type both could be (a value rebound in a loop with another type). */
export function joinTypes(a: StaticType | undefined, b: StaticType | undefined): StaticType | undefined {
  if (a === undefined || b === undefined) return undefined;
  const dtype = a.dtype === b.dtype ? a.dtype : undefined;
  const dims = a.dims && b.dims && a.dims.length === b.dims.length ? a.dims.map((d, i) => (d === b.dims![i] ? d : null)) : undefined;
  const value = a.value === b.value ? a.value : undefined;
  if (dtype === undefined && dims === undefined && value === undefined) return undefined;
  return { ...(dtype !== undefined ? { dtype } : {}), ...(dims !== undefined ? { dims } : {}), ...(value !== undefined ? { value } : {}) };
}

export function sameType(a: StaticType | undefined, b: StaticType | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const dimsEqual = a.dims === undefined || b.dims === undefined ? a.dims === b.dims : a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims![i]);
  return a.dtype === b.dtype && a.value === b.value && dimsEqual;
}

/** "float32 [1, ?, 64]" — ? for a dimension known only at run time. */
export function describeType(t: StaticType | undefined): string {
  if (t === undefined) return 'unknown';
  if (t.value !== undefined && t.dtype === undefined) return `the number ${t.value}`;
  const dims = t.dims ? `[${t.dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '';
  return [t.dtype ?? 'a tensor', dims].filter(Boolean).join(' ');
}
