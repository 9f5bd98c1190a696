/**
 * What the caller passes to a run, checked against the manifest: param overrides (same
 * type as the default) and inputs (declared names, the declared type, defaults).
 */
import { resolve } from 'node:path';
import { QnnNodeError, invalidArg, outOfRange } from '../errors.js';
import { Tensor } from '../tensor/Tensor.js';
import { sameDims } from '../tensor/shape.js';
import type { PipelineValue } from './hostops.js';
import { loopLimitError, type PipelineLimits } from './limits.js';
import type { PipelineManifest } from './manifest.js';
import type { PathPolicy } from './paths.js';

/** Inputs by manifest input name. */
export type PipelineInputs = Readonly<Record<string, PipelineValue>>;

/**
 * The manifest's params with the caller's overrides applied. Params used as loop counts
 * (`countParams`: name -> the loop's pointer) must be whole numbers within the loop limit.
 */
export function resolveParams(
  manifest: PipelineManifest,
  overrides: Readonly<Record<string, unknown>> | undefined,
  countParams: ReadonlyMap<string, string> = new Map(),
  limits?: Required<PipelineLimits>,
): Map<string, unknown> {
  const defaults = manifest.params ?? {};
  // Lists are copied: a run may append to one, and neither the manifest's default nor the caller's array may change.
  const params = new Map<string, unknown>(Object.entries(defaults).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]));
  const overridden = new Set<string>();
  if (overrides !== undefined) {
    if (typeof overrides !== 'object' || overrides === null) throw invalidArg('an object of params', 'options.params', overrides);
    for (const [k, v] of Object.entries(overrides)) {
      if (!params.has(k)) throw invalidArg(`a param of the manifest (${Object.keys(defaults).join(', ') || 'none'})`, `options.params.${k}`, v);
      const d = params.get(k);
      if (Array.isArray(d) ? !Array.isArray(v) : typeof d !== typeof v) throw invalidArg(`a ${Array.isArray(d) ? 'list' : typeof d} like the default`, `options.params.${k}`, v);
      params.set(k, Array.isArray(v) ? [...v] : v);
      overridden.add(k);
    }
  }
  for (const [name, pointer] of countParams) {
    const v = params.get(name);
    const label = `${overridden.has(name) ? 'options.params' : 'params'}.${name}`;
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw outOfRange(`a whole number >= 0 (the loop bound at ${pointer})`, label, v);
    if (limits && (v as number) > limits.maxLoopIterations) throw loopLimitError(pointer, `${label} = ${v as number}`, v as number, limits.maxLoopIterations);
  }
  return params;
}

export interface BoundInputs {
  readonly values: Map<string, PipelineValue>;
  /** Absolute paths of the image files the caller passed (ops may read them wherever they are). */
  readonly callerPaths: Set<string>;
}

/**
 * The run's initial values: every declared input, from the caller or its default (own
 * properties only: an input may be named "constructor"). An image default is a path
 * relative to the manifest and confined like every file it names; a path the caller
 * passes is the caller's (relative to the working directory).
 */
export function bindInputs(manifest: PipelineManifest, inputs: PipelineInputs, files?: PathPolicy): BoundInputs {
  if (typeof inputs !== 'object' || inputs === null) throw invalidArg('an object of inputs by name', 'inputs', inputs);
  const declared = manifest.inputs ?? {};
  const values = new Map<string, PipelineValue>();
  const callerPaths = new Set<string>();
  for (const key of Object.keys(inputs)) {
    if (!Object.hasOwn(declared, key)) throw invalidArg(`one of the manifest's inputs (${Object.keys(declared).join(', ') || 'none'})`, `inputs.${key}`, inputs[key]);
  }
  for (const [name, spec] of Object.entries(declared)) {
    const given = Object.hasOwn(inputs, name) ? inputs[name] : undefined;
    // null is "nothing given" too: the default then, and as the manifest's file (confined), never as the caller's path.
    const absent = given === undefined || given === null;
    let v: PipelineValue | undefined = absent ? spec.default : given;
    if (spec.type === 'image' && typeof v === 'string') {
      if (absent) v = files ? files.resolve(v, `/inputs/${name}/default`) : v;
      else callerPaths.add(resolve(v));
    }
    const label = `inputs.${name}`;
    if (v === undefined) throw invalidArg(`a ${spec.type} input`, label, given);
    switch (spec.type) {
      case 'text':
        if (typeof v !== 'string') throw invalidArg('a string', label, v);
        break;
      case 'number':
        if (typeof v !== 'number') throw invalidArg('a number', label, v);
        break;
      case 'image':
        if (!(typeof v === 'string' || v instanceof Uint8Array || (typeof v === 'object' && v !== null && !(v instanceof Tensor) && !Array.isArray(v)))) {
          throw invalidArg('an image path, JPEG/PNG bytes or { width, height, channels, data }', label, v);
        }
        break;
      case 'tensor': {
        if (!(v instanceof Tensor)) throw invalidArg('a Tensor', label, v);
        if (spec.dtype && v.dtype !== spec.dtype) {
          throw new QnnNodeError('DTYPE_MISMATCH', `Expected dtype ${spec.dtype} for ${label} but received ${v.dtype}`, { details: { input: name, expected: spec.dtype, received: v.dtype } });
        }
        if (spec.shape && !sameDims(v.dims, spec.shape)) {
          throw new QnnNodeError('SHAPE_MISMATCH', `Expected dims [${spec.shape.join(', ')}] for ${label} but received [${v.dims.join(', ')}]`, {
            details: { input: name, expected: [...spec.shape], received: [...v.dims] },
          });
        }
        break;
      }
    }
    values.set(name, v);
  }
  return { values, callerPaths };
}
