/**
 * `--input name=file` for `qnn-node run`: which input of which graph a file feeds, and
 * reading the file as a tensor the graph accepts. By extension:
 *
 * - `.npy`: dtype and shape from the file; float data is converted to a float or
 *   quantized input's dtype (with the input's quantization); a different shape with the
 *   same element count is reshaped.
 * - `.raw` / `.bin` / `.dat`: bytes only; dtype, shape and quantization come from the graph.
 * - `.png` / `.jpg` / `.jpeg`: see image.ts.
 * - `.txt` / `.csv`: numbers separated by whitespace or commas (real values: quantized
 *   inputs are quantized with their parameters).
 * - `.json`: a (nested) array of numbers, flattened.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { GraphSignature, TensorSpec } from '../backend/types.js';
import { QnnNodeError } from '../errors.js';
import { DTYPES } from '../tensor/dtypes.js';
import { readNpySync } from '../tensor/npy.js';
import { readRawSync } from '../tensor/raw.js';
import { Tensor } from '../tensor/Tensor.js';
import { usageError } from './exit-codes.js';
import { imageFileToTensor, IMAGE_EXTENSIONS } from './image.js';
import { elementCount } from '../tensor/shape.js';

export interface InputAssignment {
  readonly graph: string;
  readonly input: string;
  readonly file: string;
}

/**
 * Matches `--input` values to graph inputs. `name=file` feeds the input of that name in
 * every selected graph that has one; `graph/name=file` one graph only; a bare `file` feeds
 * the only input of a single-input selection.
 */
export function assignInputs(specs: readonly string[], graphs: readonly GraphSignature[], resolve: (p: string) => string): InputAssignment[] {
  const out: InputAssignment[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq < 0) {
      const all = graphs.flatMap((g) => g.inputs.map((i) => ({ graph: g.name, input: i.name })));
      if (all.length !== 1) {
        throw usageError(`--input ${spec}: name the input (name=file); the graphs have ${all.length} inputs: ${all.map((a) => `${a.graph}/${a.input}`).join(', ')}`);
      }
      out.push({ ...all[0], file: resolve(spec) });
      continue;
    }
    const name = spec.slice(0, eq);
    const file = resolve(spec.slice(eq + 1));
    if (name.length === 0 || eq === spec.length - 1) throw usageError(`--input ${JSON.stringify(spec)}: expected name=file`);
    let matched = graphs.filter((g) => g.inputs.some((i) => i.name === name)).map((g) => ({ graph: g.name, input: name, file }));
    if (matched.length === 0) {
      const slash = name.indexOf('/');
      if (slash > 0) {
        const graph = graphs.find((g) => g.name === name.slice(0, slash));
        const input = name.slice(slash + 1);
        if (graph && graph.inputs.some((i) => i.name === input)) matched = [{ graph: graph.name, input, file }];
      }
    }
    if (matched.length === 0) {
      const known = graphs.flatMap((g) => g.inputs.map((i) => `${g.name}/${i.name}`));
      throw new QnnNodeError('UNKNOWN_INPUT', `--input ${name}: no selected graph has an input of that name; inputs: ${known.join(', ')}`, {
        details: { input: name, inputs: known },
      });
    }
    out.push(...matched);
  }
  return out;
}


function fitShape(t: Tensor, spec: TensorSpec, file: string): Tensor {
  if (t.dims.length === spec.dims.length && t.dims.every((d, i) => d === spec.dims[i])) return t;
  if (t.size === elementCount(spec.dims)) return t.reshape(spec.dims);
  throw new QnnNodeError('SHAPE_MISMATCH', `${file} has shape [${t.dims.join(', ')}] but input ${spec.name} takes [${spec.dims.join(', ')}]`, {
    details: { path: file, input: spec.name, expected: spec.dims, actual: t.dims },
  });
}

function fitDType(t: Tensor, spec: TensorSpec, file: string): Tensor {
  if (t.dtype === spec.dtype) return spec.quant && !t.quant ? new Tensor(spec.dtype, t.data as never, t.dims, { quant: spec.quant }) : t;
  const from = DTYPES[t.dtype];
  const to = DTYPES[spec.dtype];
  if (from.float && (to.float || to.quantized)) return t.to(spec.dtype, spec.quant ? { quant: spec.quant } : {});
  if (!from.float && !from.quantized && !to.float && !to.quantized && t.dtype !== 'bool' && spec.dtype !== 'bool') return t.to(spec.dtype);
  throw new QnnNodeError('DTYPE_MISMATCH', `${file} holds ${t.dtype} but input ${spec.name} is ${spec.dtype}`, {
    details: { path: file, input: spec.name, expected: spec.dtype, actual: t.dtype },
  });
}

function numbersFromText(text: string, file: string): Float64Array {
  const tokens = text.split(/[\s,]+/).filter((t) => t.length > 0);
  const values = new Float64Array(tokens.length);
  tokens.forEach((tok, i) => {
    const v = Number(tok);
    if (!Number.isFinite(v) && !/^[-+]?(inf|infinity|nan)$/i.test(tok)) {
      throw new QnnNodeError('ASSET_INVALID', `${file}: ${JSON.stringify(tok)} (value ${i}) is not a number`, { details: { path: file, index: i } });
    }
    values[i] = Number.isNaN(v) && /^[-+]?inf/i.test(tok) ? (tok.startsWith('-') ? -Infinity : Infinity) : v;
  });
  return values;
}

function numbersFromJson(text: string, file: string): Float64Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new QnnNodeError('ASSET_INVALID', `${file} is not valid JSON`, { cause, details: { path: file } });
  }
  const flat = Array.isArray(parsed) ? (parsed as unknown[]).flat(Infinity) : [parsed];
  if (!flat.every((v) => typeof v === 'number')) throw new QnnNodeError('ASSET_INVALID', `${file}: expected a (nested) array of numbers`, { details: { path: file } });
  return Float64Array.from(flat as number[]);
}

function tensorFromValues(values: Float64Array, spec: TensorSpec, file: string): Tensor {
  const n = elementCount(spec.dims);
  if (values.length !== n) {
    throw new QnnNodeError('SIZE_MISMATCH', `${file} holds ${values.length} values but input ${spec.name} [${spec.dims.join(', ')}] takes ${n}`, {
      details: { path: file, input: spec.name, expected: n, actual: values.length },
    });
  }
  const info = DTYPES[spec.dtype];
  if (info.float || info.quantized) return Tensor.fromFloat32(spec.dtype, Float32Array.from(values), spec.dims, spec.quant ? { quant: spec.quant } : {});
  return new Tensor(spec.dtype, Array.from(values), spec.dims);
}

/** Reads `file` as a tensor for `spec` (see the module comment). */
export function readInputFile(file: string, spec: TensorSpec): Tensor {
  if (!fs.existsSync(file)) throw new QnnNodeError('FILE_NOT_FOUND', `Input file not found: ${file}`, { details: { path: file, input: spec.name } });
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') return fitDType(fitShape(readNpySync(file), spec, file), spec, file);
  if (ext === '.raw' || ext === '.bin' || ext === '.dat') return readRawSync(file, { dtype: spec.dtype, dims: spec.dims, ...(spec.quant ? { quant: spec.quant } : {}) });
  if (IMAGE_EXTENSIONS.includes(ext)) return imageFileToTensor(file, spec);
  if (ext === '.txt' || ext === '.csv') return tensorFromValues(numbersFromText(fs.readFileSync(file, 'utf8'), file), spec, file);
  if (ext === '.json') return tensorFromValues(numbersFromJson(fs.readFileSync(file, 'utf8'), file), spec, file);
  throw usageError(`--input ${file}: unknown file type ${JSON.stringify(ext)}; use .npy, .raw/.bin/.dat, .png/.jpg, .txt/.csv or .json`, { path: file });
}
