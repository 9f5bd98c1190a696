/**
 * The built-in host ops (their step formats are in schema/manifest.schema.json, under
 * $defs/op_<name>; docs/pipelines.md lists them).
 */
import type { Tokenizer } from '@huggingface/tokenizers';
import { QnnNodeError } from '../../errors.js';
import { topk } from './topk.js';
import { DTYPES, type DType } from '../../tensor/dtypes.js';
import { tensorBytes } from '../limits.js';
import { Tensor } from '../../tensor/Tensor.js';
import type { HostOpContext, HostOpDefinition, HostOpFn, PipelineValue, RawImage } from '../hostops.js';
import { preprocessImage, type ResizeMethod } from './image.js';
import { Sampler } from './sample.js';
import { STAGE_F_HOST_OPS } from './stage-f.js';
import { normalize } from './normalize.js';
import { flowTime } from './flow.js';
import {
  axpy,
  concatDims,
  concatInto,
  fillValue,
  kvWrite,
  normalizeAxis,
  padTensor,
  sliceTensor,
  toNumbers,
  writeFloats,
  writeMask,
  writeRange,
} from './tensor.js';

function describeKind(v: PipelineValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v instanceof Tensor) return `a ${v.dtype} tensor [${v.dims.join(', ')}]`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`;
  if (typeof v === 'object') return 'raw image pixels';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Whether the step binds input `role` (own property: a custom op's role may be named "constructor"). */
function has(ctx: HostOpContext, role: string): boolean {
  return Object.hasOwn(ctx.inputs, role);
}

function tensorIn(ctx: HostOpContext, role: string): Tensor {
  const v = ctx.inputs[role];
  if (!(v instanceof Tensor)) throw ctx.fail(`expected a tensor for inputs.${role} but received ${describeKind(v)}`, { role });
  return v;
}

function numberIn(ctx: HostOpContext, role: string, fallback?: unknown): number {
  const v = has(ctx, role) ? ctx.inputs[role] : fallback;
  if (typeof v === 'number') return v;
  if (v instanceof Tensor && v.size === 1) return toNumbers(v)[0];
  throw ctx.fail(`expected a number for ${has(ctx, role) ? 'inputs.' : ''}${role} but received ${describeKind(v as PipelineValue | undefined)}`, { role });
}

function param<T>(ctx: HostOpContext, name: string, fallback: T): T {
  const v = ctx.params[name];
  return v === undefined ? fallback : (v as T);
}

/** Token ids from a number, a list or an integer tensor. */
function idsIn(ctx: HostOpContext, role: string): number[] {
  const v = ctx.inputs[role];
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v;
  if (v instanceof Tensor && !DTYPES[v.dtype].float) {
    ctx.checkAllocation(v.size * 8, `a list of ${v.size} token ids`);
    return toNumbers(v);
  }
  throw ctx.fail(`expected token ids (a number, a list or an integer tensor) for inputs.${role} but received ${describeKind(v)}`, { role });
}

function idsTensor(ctx: HostOpContext, ids: readonly number[], dtype: DType): Tensor {
  const out = ctx.outputTensor(dtype, [1, ids.length]);
  const data = out.data;
  if (data instanceof BigInt64Array) for (let i = 0; i < ids.length; i++) data[i] = BigInt(ids[i]);
  else for (let i = 0; i < ids.length; i++) (data as Int32Array)[i] = ids[i];
  return out;
}

const tokenize: HostOpFn = (ctx) => {
  const tok = ctx.assets.tokenizer(param(ctx, 'tokenizer', ''));
  const text = has(ctx, 'text') ? ctx.inputs.text : param<string | undefined>(ctx, 'text', undefined);
  if (typeof text !== 'string') throw ctx.fail(`expected text (inputs.text or the text param) but received ${describeKind(text as PipelineValue)}`);
  const template = param<string>(ctx, 'template', '{text}');
  const full = template.split('{text}').join(text);
  const { ids } = tok.encode(full, { add_special_tokens: param(ctx, 'addSpecialTokens', false) });
  return idsTensor(ctx, ids, param<DType>(ctx, 'dtype', 'int32'));
};

/**
 * Ids the tokenizer has no token for (e.g. an lm-head padded past the vocabulary, as
 * Qwen's 151,936 logits over 151,669 tokens) make its decode throw a bare TypeError.
 */
function checkKnownIds(ctx: HostOpContext, tok: Tokenizer, ids: readonly number[], role: string): void {
  const unknown = ids.find((id) => tok.id_to_token(id) === undefined);
  if (unknown !== undefined) {
    throw ctx.fail(`expected token ids the tokenizer ${JSON.stringify(param(ctx, 'tokenizer', ''))} knows, for inputs.${role} but received ${unknown}`, { role });
  }
}

const detokenize: HostOpFn = (ctx) => {
  const tok = ctx.assets.tokenizer(param(ctx, 'tokenizer', ''));
  const ids = idsIn(ctx, 'tokens');
  checkKnownIds(ctx, tok, ids, 'tokens');
  return ids.length ? tok.decode(ids, { skip_special_tokens: param(ctx, 'skipSpecialTokens', true) }) : '';
};

interface StreamState {
  ids: number[];
  prefix: number;
  read: number;
}

const emit: HostOpFn = (ctx) => {
  const id = numberIn(ctx, 'token');
  let text = '';
  const tokName = param<string | undefined>(ctx, 'tokenizer', undefined);
  if (tokName !== undefined) {
    // Incremental detokenisation (prefix/read offsets): decode a short window so multi-byte
    // characters and merged spaces come out right without re-decoding the whole history.
    const tok = ctx.assets.tokenizer(tokName);
    checkKnownIds(ctx, tok, [id], 'token');
    let st = ctx.state.get('stream') as StreamState | undefined;
    if (!st) ctx.state.set('stream', (st = { ids: [], prefix: 0, read: 0 }));
    st.ids.push(id);
    const before = st.read > st.prefix ? tok.decode(st.ids.slice(st.prefix, st.read), { skip_special_tokens: true }) : '';
    const after = tok.decode(st.ids.slice(st.prefix), { skip_special_tokens: true });
    if (after.length > before.length && !after.endsWith('\uFFFD')) {
      text = after.slice(before.length);
      st.prefix = st.read;
      st.read = st.ids.length;
    }
  }
  ctx.emit({ type: 'token', id, text, index: -1 });
};

const embed: HostOpFn = (ctx) => {
  const table = ctx.assets.embedding(param(ctx, 'table', ''));
  const ids = idsIn(ctx, 'ids');
  const dtype = param<DType>(ctx, 'dtype', table.dtype);
  const out = ctx.outputTensor(dtype, [1, ids.length, table.hidden]);
  try {
    return table.gather(ids, out);
  } catch (cause) {
    throw ctx.fail((cause as Error).message, { cause });
  }
};

const image: HostOpFn = (ctx) => {
  const src = ctx.inputs.image;
  if (!(typeof src === 'string' || src instanceof Uint8Array || (typeof src === 'object' && src !== null && !(src instanceof Tensor) && !Array.isArray(src)))) {
    throw ctx.fail(`expected an image (path, JPEG/PNG bytes or raw pixels) for inputs.image but received ${describeKind(src)}`);
  }
  const width = param(ctx, 'width', 0);
  const height = param(ctx, 'height', 0);
  // Output-size float32 RGB stages (twice) before the output itself; decoding and the
  // source-height resize stage are checked inside, once the source's size is known.
  if (Number.isSafeInteger(width) && Number.isSafeInteger(height)) ctx.checkAllocation(width * height * 3 * 4, `${width}x${height} RGB float32 pixels`);
  const dtype = param<DType>(ctx, 'dtype', 'float32');
  if (Object.hasOwn(DTYPES, dtype) && Number.isSafeInteger(width) && Number.isSafeInteger(height)) {
    ctx.checkAllocation(tensorBytes(dtype, [1, 3, height, width]), `a ${dtype} image tensor of ${width}x${height}`);
  }
  return preprocessImage(typeof src === 'string' ? ctx.filePath(src) : (src as Uint8Array | RawImage), {
    budget: { maxBytes: ctx.maxAllocationBytes, check: (bytes, what) => ctx.checkAllocation(bytes, what) },
    width,
    height,
    resize: param<ResizeMethod>(ctx, 'resize', 'bilinear'),
    rescale: param(ctx, 'rescale', 1 / 255),
    mean: param<number[]>(ctx, 'mean', [0]),
    std: param<number[]>(ctx, 'std', [1]),
    layout: param<'NCHW' | 'NHWC'>(ctx, 'layout', 'NCHW'),
    dtype,
  });
};

const concat: HostOpFn = (ctx) => {
  const tensors = ctx.inputList.map((v, i) => {
    if (!(v instanceof Tensor)) throw ctx.fail(`expected a tensor for inputs[${i}] but received ${describeKind(v)}`);
    return v;
  });
  const axis = param(ctx, 'axis', 0);
  const dims = concatDims(tensors, axis);
  // Never write into one of the inputs (output bound to the same name as an input).
  const out = ctx.outputTensor(tensors[0].dtype, dims, undefined, tensors[0].quant);
  return concatInto(tensors, axis, tensors.includes(out) ? ctx.allocate(out.dtype, dims, out.quant) : out);
};

/**
 * A start from another step counts from the beginning only: a computed -1 (say n - 1 for an
 * empty prompt) would otherwise wrap to the last row and answer from padding. Counting from
 * the end is what a literal negative `start` param asks for.
 */
function runTimeStart(ctx: HostOpContext, size: number): number {
  const start = numberIn(ctx, 'start');
  if (!Number.isSafeInteger(start) || start < 0 || start > size) {
    throw ctx.fail(`expected a start from 0 to ${size} (the size of the sliced axis; a start from another step does not count from the end) for inputs.start but received ${start}`, { role: 'start' });
  }
  return start;
}

const slice: HostOpFn = (ctx) => {
  const t = tensorIn(ctx, 'input');
  const axis = normalizeAxis(param(ctx, 'axis', 0), t.dims.length);
  const size = t.dims[axis];
  const start = has(ctx, 'start') ? runTimeStart(ctx, size) : param(ctx, 'start', 0);
  const s = start < 0 ? start + size : start;
  const length = param<number>(ctx, 'length', size - s);
  const dims = [...t.dims];
  dims[axis] = length;
  const out = ctx.outputTensor(t.dtype, dims, undefined, t.quant);
  return sliceTensor(t, axis, start, length, out === t ? undefined : out);
};

const reshape: HostOpFn = (ctx) => tensorIn(ctx, 'input').reshape(param<number[]>(ctx, 'dims', []));

function quantOf(ctx: HostOpContext): { quant?: { encoding: 'scale-offset'; scale: number; offset: number } } {
  const scale = ctx.params.scale;
  if (scale === undefined) return {};
  return { quant: { encoding: 'scale-offset', scale: scale as number, offset: param(ctx, 'offset', 0) } };
}

/**
 * t.to(dtype) within the allocation limit: the target can be 8x the source (int8 → float64),
 * and quantized and mixed conversions stage float64 values on the way.
 */
function convert(ctx: HostOpContext, t: Tensor, dtype: DType, options: ReturnType<typeof quantOf> = {}): Tensor {
  if (Object.hasOwn(DTYPES, dtype)) {
    ctx.checkAllocation(tensorBytes(dtype, t.dims), `a ${dtype} tensor [${t.dims.join(', ')}]`);
    if (dtype !== t.dtype && t.dtype !== 'float32') ctx.checkAllocation(t.size * 8, `float64 staging for ${t.size} elements`);
  }
  return t.to(dtype, options);
}

const cast: HostOpFn = (ctx) => convert(ctx, tensorIn(ctx, 'input'), param<DType>(ctx, 'dtype', 'float32'), quantOf(ctx));
const quantize: HostOpFn = (ctx) => {
  const t = tensorIn(ctx, 'input');
  const dtype = param<DType>(ctx, 'dtype', 'ufixed8');
  if (!DTYPES[dtype].quantized) throw ctx.fail(`expected a quantized dtype (ufixed*/sfixed*) but received ${JSON.stringify(dtype)}`);
  return convert(ctx, t, dtype, quantOf(ctx));
};
const dequantize: HostOpFn = (ctx) => convert(ctx, tensorIn(ctx, 'input'), param<DType>(ctx, 'dtype', 'float32'));

const pad: HostOpFn = (ctx) => {
  const t = tensorIn(ctx, 'input');
  const axis = normalizeAxis(param(ctx, 'axis', 0), t.dims.length);
  const size = param(ctx, 'size', 0);
  const dims = [...t.dims];
  dims[axis] = size;
  const out = ctx.outputTensor(t.dtype, dims, undefined, t.quant);
  return padTensor(t, axis, size, param(ctx, 'value', 0), out === t ? undefined : out);
};

const positionIds: HostOpFn = (ctx) => {
  const start = numberIn(ctx, 'start', ctx.params.start ?? 0);
  const length = numberIn(ctx, 'length', ctx.params.length);
  const dims = param<number[]>(ctx, 'dims', [1, length]);
  const out = ctx.outputTensor(param<DType>(ctx, 'dtype', 'int32'), dims);
  ctx.checkAllocation(out.size * 4, `float32 staging for ${out.size} positions`); // narrow dtypes are written through floats
  return writeRange(out, start);
};

const attentionMask: HostOpFn = (ctx) => {
  const length = numberIn(ctx, 'length', ctx.params.length);
  const size = param(ctx, 'size', 0);
  const out = ctx.outputTensor(param<DType>(ctx, 'dtype', 'float32'), param<number[]>(ctx, 'dims', [1, size]));
  if (out.dims[out.dims.length - 1] !== size) throw ctx.fail(`expected dims ending in size ${size} but received [${out.dims.join(', ')}]`);
  ctx.checkAllocation(out.size * 4, `float32 staging for a mask of ${out.size}`); // quantized and 64-bit masks are written through floats
  return writeMask(out, length, param(ctx, 'on', 1), param(ctx, 'off', 0));
};

const fill: HostOpFn = (ctx) => {
  const value = numberIn(ctx, 'value', ctx.params.value ?? 0);
  const out = ctx.outputTensor(param<DType>(ctx, 'dtype', 'float32'), param<number[]>(ctx, 'dims', [1]));
  return fillValue(out, value * param(ctx, 'scale', 1) + param(ctx, 'offset', 0));
};

const randn: HostOpFn = (ctx) => {
  const out = ctx.outputTensor(param<DType>(ctx, 'dtype', 'float32'), param<number[]>(ctx, 'dims', [1]));
  const rng = ctx.rng();
  const scale = param(ctx, 'scale', 1);
  ctx.checkAllocation(out.size * 4, `float32 noise for ${out.size} elements`);
  const f = new Float32Array(out.size);
  for (let i = 0; i < f.length; i++) f[i] = rng.normal() * scale;
  return writeFloats(out, f);
};

const add: HostOpFn = (ctx) => {
  const a = ctx.inputs.a;
  const b = ctx.inputs.b;
  const alpha = numberIn(ctx, 'alpha', ctx.params.alpha ?? 1);
  const clamped = ctx.params.min !== undefined || ctx.params.max !== undefined;
  // min / max clamp a number (e.g. the prompt rows a fixed-size prefill holds: min(n, 320)).
  if (typeof a === 'number') return clamp(a + alpha * numberIn(ctx, 'b'), param(ctx, 'min', -Infinity), param(ctx, 'max', Infinity));
  if (clamped) throw ctx.fail(`expected numbers for inputs.a and inputs.b with min / max but received ${describeKind(a)}`);
  if (!(a instanceof Tensor)) throw ctx.fail(`expected a tensor or a number for inputs.a but received ${describeKind(a)}`);
  if (!(b instanceof Tensor) && typeof b !== 'number') throw ctx.fail(`expected a tensor or a number for inputs.b but received ${describeKind(b)}`);
  const out = ctx.outputTensor(a.dtype, a.dims, undefined, a.quant);
  // out may be a itself (x ← x + dt·v in place) but never b.
  return axpy(a, b, alpha, out === b ? ctx.allocate(a.dtype, a.dims) : out);
};

function clamp(v: number, min: number, max: number): number {
  return v < min ? min : v > max ? max : v;
}

function copyValue(v: PipelineValue): PipelineValue {
  if (v instanceof Tensor) return v.clone();
  if (Array.isArray(v)) return v.slice();
  if (v instanceof Uint8Array) return v.slice();
  return v;
}

const set: HostOpFn = (ctx) => {
  if (has(ctx, 'value')) return copyValue(ctx.inputs.value);
  const v = ctx.params.value;
  if (v === undefined) throw ctx.fail('expected inputs.value or a value param');
  return Array.isArray(v) ? [...(v as number[])] : (v as PipelineValue);
};

const append: HostOpFn = (ctx) => {
  const list = ctx.inputs.list;
  if (!Array.isArray(list)) throw ctx.fail(`expected a list for inputs.list but received ${describeKind(list)}`);
  const v = ctx.inputs.value;
  const n = typeof v === 'number' ? 1 : v instanceof Tensor ? v.size : Array.isArray(v) ? v.length : -1;
  if (n < 0) throw ctx.fail(`expected a number, list or tensor for inputs.value but received ${describeKind(v)}`);
  // A list holds numbers (8 bytes each) and grows every iteration: bounded like a tensor.
  ctx.checkAllocation((list.length + n) * 8, `a list of ${list.length} + ${n} numbers`);
  if (typeof v === 'number') list.push(v);
  else pushAll(list, v instanceof Tensor ? toNumbers(v) : (v as number[]));
};

/** Pushes one by one: spreading 100k values as call arguments overflows the stack. */
function pushAll(list: number[], values: readonly number[]): void {
  for (let i = 0; i < values.length; i++) list.push(values[i]);
}

const kvWriteOp: HostOpFn = (ctx) => {
  const source = tensorIn(ctx, 'source');
  tensorIn(ctx, 'cache');
  const cache = ctx.writableInput('cache');
  kvWrite(cache, source, param(ctx, 'axis', 0), numberIn(ctx, 'position'));
};

const swap: HostOpFn = (ctx) => {
  const a = ctx.inputName('a');
  const b = ctx.inputName('b');
  if (a === undefined || b === undefined) throw ctx.fail('expected two value names in inputs.a and inputs.b');
  const va = ctx.inputs.a;
  ctx.rebind(a, ctx.inputs.b);
  ctx.rebind(b, va);
};

const sample: HostOpFn = (ctx) => {
  const logits = tensorIn(ctx, 'logits');
  let sampler = ctx.state.get('sampler') as Sampler | undefined;
  if (!sampler) ctx.state.set('sampler', (sampler = new Sampler()));
  const history = has(ctx, 'history') ? idsIn(ctx, 'history') : undefined;
  try {
    return sampler.sample(
      logits,
      {
        temperature: param(ctx, 'temperature', 0),
        topK: param(ctx, 'topK', 0),
        topP: param(ctx, 'topP', 1),
        repetitionPenalty: param(ctx, 'repetitionPenalty', 1),
        history,
      },
      ctx.rng(),
    );
  } catch (cause) {
    if (cause instanceof QnnNodeError) throw cause;
    throw ctx.fail((cause as Error).message, { cause });
  }
};

const length: HostOpFn = (ctx) => {
  const v = ctx.inputs.input;
  if (Array.isArray(v) || typeof v === 'string') return v.length;
  if (v instanceof Tensor) return v.dims.length ? v.dims[normalizeAxis(param(ctx, 'axis', -1), v.dims.length)] : 1;
  throw ctx.fail(`expected a tensor, list or text for inputs.input but received ${describeKind(v)}`);
};

export const BUILTIN_HOST_OPS: ReadonlyMap<string, HostOpDefinition> = new Map<string, HostOpDefinition>(
  Object.entries({
    tokenize,
    topk,
    detokenize,
    emit,
    embed,
    image,
    concat,
    slice,
    reshape,
    cast,
    quantize,
    dequantize,
    pad,
    position_ids: positionIds,
    attention_mask: attentionMask,
    fill,
    randn,
    add,
    set,
    append,
    kv_write: kvWriteOp,
    swap,
    sample,
    length,
    ...STAGE_F_HOST_OPS,
    normalize,
    flow_time: flowTime,
  }).map(([k, run]) => [k, { run }]),
);
