/**
 * What the caller passes to a run, checked against the manifest: param overrides (same
 * type as the default) and inputs (declared names, the declared type, defaults).
 */
import { QnnNodeError, invalidArg } from '../errors.js';
import { Tensor } from '../tensor/Tensor.js';
import { sameDims } from '../tensor/shape.js';
import type { PipelineValue } from './hostops.js';
import type { PipelineManifest } from './manifest.js';

/** Inputs by manifest input name. */
export type PipelineInputs = Readonly<Record<string, PipelineValue>>;

/** The manifest's params with the caller's overrides applied. */
export function resolveParams(manifest: PipelineManifest, overrides: Readonly<Record<string, unknown>> | undefined): Map<string, unknown> {
  const defaults = manifest.params ?? {};
  const params = new Map<string, unknown>(Object.entries(defaults));
  if (overrides === undefined) return params;
  if (typeof overrides !== 'object' || overrides === null) throw invalidArg('an object of params', 'options.params', overrides);
  for (const [k, v] of Object.entries(overrides)) {
    if (!params.has(k)) throw invalidArg(`a param of the manifest (${Object.keys(defaults).join(', ') || 'none'})`, `options.params.${k}`, v);
    const d = params.get(k);
    if (Array.isArray(d) ? !Array.isArray(v) : typeof d !== typeof v) throw invalidArg(`a ${Array.isArray(d) ? 'list' : typeof d} like the default`, `options.params.${k}`, v);
    params.set(k, v);
  }
  return params;
}

/** The run's initial values: every declared input, from the caller or its default. */
export function bindInputs(manifest: PipelineManifest, inputs: PipelineInputs): Map<string, PipelineValue> {
  if (typeof inputs !== 'object' || inputs === null) throw invalidArg('an object of inputs by name', 'inputs', inputs);
  const declared = manifest.inputs ?? {};
  const values = new Map<string, PipelineValue>();
  for (const key of Object.keys(inputs)) {
    if (!(key in declared)) throw invalidArg(`one of the manifest's inputs (${Object.keys(declared).join(', ') || 'none'})`, `inputs.${key}`, inputs[key]);
  }
  for (const [name, spec] of Object.entries(declared)) {
    const v = inputs[name] ?? spec.default;
    const label = `inputs.${name}`;
    if (v === undefined) throw invalidArg(`a ${spec.type} input`, label, v);
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
  return values;
}
