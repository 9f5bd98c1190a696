/**
 * Host ops: the JS steps of a pipeline (tokenize, embedding gather, image preprocessing,
 * sampling, KV-cache bookkeeping…). Built-in ops live in ./ops/; users add their own with
 * `registerHostOp(name, fn)` (global) or the runner's `hostOps` option (per pipeline).
 */
import { QnnNodeError, invalidArg } from '../errors.js';
import type { DType, QuantParams } from '../tensor/dtypes.js';
import type { Tensor } from '../tensor/Tensor.js';
import type { Prng } from '../random.js';
import type { PipelineAssets } from './assets.js';
import type { PipelineEvent } from './events.js';
import type { HostOpInfer } from './static-types.js';

/** Raw pixels: `channels` (1, 3 or 4) interleaved bytes per pixel, row-major. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  readonly data: Uint8Array;
}

/**
 * What a pipeline value can be: tensors, numbers (token ids, positions, loop indices),
 * strings (text, image paths), token lists, encoded image bytes or raw pixels.
 */
export type PipelineValue = Tensor | number | string | boolean | number[] | Uint8Array | RawImage;

export interface HostOpContext {
  /** The op's parameters (step keys other than op/inputs/output/outputs/name), "$params" resolved; a null-prototype object. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Inputs by role (an `inputs` array is exposed as "0", "1", …; a null-prototype object). Number literals come through as numbers. */
  readonly inputs: Readonly<Record<string, PipelineValue>>;
  /** Inputs in order when the step gives an array. */
  readonly inputList: readonly PipelineValue[];
  /** JSON pointer of the step, for messages. */
  readonly path: string;
  readonly assets: PipelineAssets;
  readonly signal: AbortSignal;
  /** The run's seed. */
  readonly seed: number;
  /** A PRNG owned by this step for the whole run (seeded from the run seed and the step path). */
  rng(): Prng;
  /** Per-step state that lives for the whole run (caches, offsets). */
  readonly state: Map<string, unknown>;
  /**
   * A tensor to write the output into: the one already bound to the output name when the
   * pipeline allocated it with this dtype and dims (no allocation in decode loops), else
   * zeros from `allocate` (bounded by maxAllocationBytes).
   */
  outputTensor(dtype: DType, dims: readonly number[], role?: string, quant?: QuantParams): Tensor;
  /** A new zero tensor, within the pipeline's maxAllocationBytes (LIMIT_EXCEEDED naming this step otherwise). */
  allocate(dtype: DType, dims: readonly number[], quant?: QuantParams): Tensor;
  /** LIMIT_EXCEEDED naming this step when `bytes` (described by `what`) exceed maxAllocationBytes. */
  checkAllocation(bytes: number, what: string): void;
  /** The run's limits.maxAllocationBytes (e.g. to bound a file read or a decoder). */
  readonly maxAllocationBytes: number;
  /**
   * The absolute path to read for a file path value: a path the caller passed as a run
   * input as is, any other relative to the manifest and inside the allowed roots
   * (PATH_NOT_ALLOWED otherwise).
   */
  filePath(path: string): string;
  /**
   * The input `role` as a tensor the op may write in place: the bound tensor when the
   * pipeline owns it, else a copy that is rebound to the same name (values the caller
   * passed in are never modified).
   */
  writableInput(role: string): Tensor;
  /**
   * Binds another name (swap and similar ops). The load-time type check assumes an op
   * rebinds only values it reads or names in a string param (it forgets their types).
   */
  rebind(name: string, value: PipelineValue): void;
  /** The value name an input role is bound to (undefined for literals). */
  inputName(role: string): string | undefined;
  /** Streams an event to the caller (token events). */
  emit(event: PipelineEvent): void;
  /** HOST_OP_FAILED naming this step. */
  fail(message: string, details?: Record<string, unknown>): QnnNodeError;
}

/**
 * A host op returns its single output (bound to the step's `output`), an object of
 * outputs by role (bound through the step's `outputs`), or nothing (ops that work in place).
 */
export type HostOpResult = PipelineValue | Readonly<Record<string, PipelineValue>> | void;

export type HostOpFn = (ctx: HostOpContext) => HostOpResult | Promise<HostOpResult>;

export interface HostOpDefinition {
  readonly run: HostOpFn;
  /** JSON Schema of the whole step object, checked at load (built-in ops use the manifest schema). */
  readonly schema?: Readonly<Record<string, unknown>>;
  /**
   * Optional static output types from the step's params and input types, used at load to
   * check what feeds each graph input (docs/pipelines.md, "Load-time type check").
   */
  readonly infer?: HostOpInfer;
  readonly description?: string;
}

const registry = new Map<string, HostOpDefinition>();

function normalize(name: string, op: HostOpFn | HostOpDefinition, what: string): HostOpDefinition {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw invalidArg('an op name matching ^[A-Za-z_][A-Za-z0-9_.-]*$', 'name', name);
  const def = typeof op === 'function' ? { run: op } : op;
  if (typeof def !== 'object' || def === null || typeof def.run !== 'function') throw invalidArg('a function or { run, schema? }', what, op);
  if (def.schema !== undefined && (typeof def.schema !== 'object' || def.schema === null)) throw invalidArg('a JSON Schema object', `${what}.schema`, def.schema);
  if (def.infer !== undefined && typeof def.infer !== 'function') throw invalidArg('a function (params, inputTypes, info) => types', `${what}.infer`, def.infer);
  return def;
}

/** Registers a host op for every pipeline loaded afterwards (replaces one of the same name). */
export function registerHostOp(name: string, op: HostOpFn | HostOpDefinition): void {
  registry.set(name, normalize(name, op, 'op'));
}

export function unregisterHostOp(name: string): boolean {
  return registry.delete(name);
}

/** @internal The global registry merged with per-pipeline ops (per-pipeline wins). */
export function resolveHostOps(
  builtins: ReadonlyMap<string, HostOpDefinition>,
  extra: Readonly<Record<string, HostOpFn | HostOpDefinition>> | undefined,
): Map<string, HostOpDefinition> {
  const out = new Map(builtins);
  for (const [k, v] of registry) out.set(k, v);
  if (extra !== undefined) {
    if (typeof extra !== 'object' || extra === null) throw invalidArg('an object of host ops by name', 'options.hostOps', extra);
    for (const [k, v] of Object.entries(extra)) out.set(k, normalize(k, v, `options.hostOps.${k}`));
  }
  return out;
}

export function registeredHostOps(): string[] {
  return [...registry.keys()];
}

/** @internal */
export function unknownHostOp(name: string, known: Iterable<string>): QnnNodeError {
  return new QnnNodeError('UNKNOWN_HOST_OP', `Unknown host op ${JSON.stringify(name)}; known: ${[...known].sort().join(', ')}`, { details: { op: name } });
}
