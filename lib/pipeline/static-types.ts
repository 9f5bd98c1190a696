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
  /** A number known at load time (a literal op input, a param, a clamped sum of those). */
  readonly value?: number;
  /** A plain number (not a tensor) whose value may be known only at run time (a sampled token id). */
  readonly number?: true;
}

/** What an `infer` hook may look at besides params and input types. */
export interface InferInfo {
  /** Input types in order when the step lists its inputs as an array. */
  readonly inputList: readonly (StaticType | undefined)[];
  /** The manifest's asset entry of that name (e.g. an embedding table's dtype and shape). */
  asset(name: string): AssetEntry | undefined;
  /** A tensor asset's dtype and dims as loaded (or as the manifest declares them); undefined for another asset. */
  tensor(name: string): StaticType | undefined;
}

/**
 * A host op's static output type: one StaticType for the step's `output`, or
 * `{ outputs: { role: type } }` for ops with several outputs; undefined (or a missing
 * field) when it is not known from the params and input types.
 */
export type InferredTypes = StaticType | { readonly outputs: Readonly<Record<string, StaticType | undefined>> } | undefined;

/**
 * `params`: the step's parameters, a "$param" replaced by the manifest's value (its default,
 * or the selected variant's); a run that overrides a param a type depends on is checked
 * again with its values before anything runs. `inputs`: each role's type (undefined when unknown).
 */
export type HostOpInfer = (params: Readonly<Record<string, unknown>>, inputs: Readonly<Record<string, StaticType | undefined>>, info: InferInfo) => InferredTypes;

/** The least specific type both could be (a value rebound in a loop with another type). */
export function joinTypes(a: StaticType | undefined, b: StaticType | undefined): StaticType | undefined {
  if (a === undefined || b === undefined) return undefined;
  const dtype = a.dtype === b.dtype ? a.dtype : undefined;
  const dims = a.dims && b.dims && a.dims.length === b.dims.length ? a.dims.map((d, i) => (d === b.dims![i] ? d : null)) : undefined;
  const value = a.value === b.value ? a.value : undefined;
  const number = isNumber(a) && isNumber(b) ? true : undefined;
  if (dtype === undefined && dims === undefined && value === undefined && number === undefined) return undefined;
  return { ...(dtype !== undefined ? { dtype } : {}), ...(dims !== undefined ? { dims } : {}), ...(value !== undefined ? { value } : {}), ...(number ? { number } : {}) };
}

/** A plain number (its value known or not), never a tensor. */
export function isNumber(t: StaticType | undefined): boolean {
  return t !== undefined && (t.number === true || (t.value !== undefined && t.dtype === undefined && t.dims === undefined));
}

export function sameType(a: StaticType | undefined, b: StaticType | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const dimsEqual = a.dims === undefined || b.dims === undefined ? a.dims === b.dims : a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims![i]);
  return a.dtype === b.dtype && a.value === b.value && a.number === b.number && dimsEqual;
}

/** "float32 [1, ?, 64]" — ? for a dimension known only at run time. */
export function describeType(t: StaticType | undefined): string {
  if (t === undefined) return 'unknown';
  if (t.value !== undefined && t.dtype === undefined) return `the number ${t.value}`;
  if (t.number) return 'a number';
  const dims = t.dims ? `[${t.dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '';
  return [t.dtype ?? 'a tensor', dims].filter(Boolean).join(' ');
}
