/**
 * Shared memory in pipelines: which values the runner allocates through the backend's
 * `allocTensor` (memory the accelerator maps instead of copying: rpcmem on Snapdragon)
 * and the per-run count of what it shared. The values are those bound to a graph input
 * somewhere in the pipeline: KV caches made by `fill` and updated by `kv_write`, host-made
 * decode inputs (embeddings, rope tables, masks) and graph outputs another graph reads.
 * Each is allocated once per run and then reused (outputTensor / reuseOutputs), so a decode
 * step writes only its new rows into memory the backend already sees. At the end of the run
 * the shared tensors the caller does not get back in `result.outputs` are freed at once
 * (`freeTensor`: memDeRegister + rpcmem_free), so DSP mappings never wait for the GC.
 */
import { invalidArg } from '../errors.js';
import type { DType, QuantParams } from '../tensor/dtypes.js';
import { Tensor } from '../tensor/Tensor.js';
import { tensorSharedInfo } from '../tensor/shared.js';
import type { Backend } from '../backend/types.js';
import type { Node } from './compile.js';

export type SharedMemoryMode = 'auto' | 'off';
export const SHARED_MEMORY_MODES: readonly SharedMemoryMode[] = ['auto', 'off'];

/** What one run shared (PipelineResult.sharedMemory). */
export interface SharedMemoryReport {
  /** The mode in force: the run option's, else the manifest's, else 'auto'. */
  readonly mode: SharedMemoryMode;
  /** Whether the runner allocated through the backend's shared memory. */
  readonly enabled: boolean;
  /** Why not, when not enabled (e.g. "off in the manifest", the backend's reason). */
  readonly reason: string | null;
  /** Tensors allocated in shared memory during the run (plain fallbacks of allocTensor not counted). */
  readonly tensors: number;
  /** Their bytes. */
  readonly bytes: number;
  /**
   * Values the runner asked shared memory for but got as plain tensors (rpcmem could not
   * allocate them: SHARED_ALLOC_FAILED under the default fallback 'plain').
   */
  readonly plainFallbacks: number;
}

/** The run option's mode, else the manifest's, else auto; a bad run option is a typed error. */
export function sharedMemoryMode(option: unknown, manifest: SharedMemoryMode | undefined): { mode: SharedMemoryMode; source: 'run' | 'manifest' | 'default' } {
  if (option !== undefined) {
    if (!SHARED_MEMORY_MODES.includes(option as SharedMemoryMode)) throw invalidArg(`one of ${SHARED_MEMORY_MODES.map((m) => JSON.stringify(m)).join(', ')}`, 'options.sharedMemory', option);
    return { mode: option as SharedMemoryMode, source: 'run' };
  }
  return manifest !== undefined ? { mode: manifest, source: 'manifest' } : { mode: 'auto', source: 'default' };
}

/**
 * Every value name bound to a graph input anywhere in the steps (loops included), and the
 * names a `swap` exchanges with one of them (a ping-pong KV cache: the graph writes the
 * other buffer, then the names trade places).
 */
export function graphFedValues(nodes: readonly Node[]): Set<string> {
  const fed = new Set<string>();
  const swaps: [string, string][] = [];
  const walk = (list: readonly Node[]): void => {
    for (const n of list) {
      if (n.kind === 'graph') for (const [, ref] of n.inputs) fed.add(ref);
      else if (n.kind === 'loop') walk(n.body);
      else if (n.kind === 'host' && n.step.op === 'swap') {
        const ref = (role: string) => n.roles.find(([r]) => r === role)?.[1];
        const [a, b] = [ref('a'), ref('b')];
        if (typeof a === 'string' && typeof b === 'string') swaps.push([a, b]);
      }
    }
  };
  walk(nodes);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [a, b] of swaps) {
      if (fed.has(a) !== fed.has(b)) {
        fed.add(a).add(b);
        grew = true;
      }
    }
  }
  return fed;
}

/** A backend that can also free a shared tensor now (Qnn#freeTensor). */
interface FreeingBackend extends Backend {
  freeTensor?(tensor: Tensor): boolean;
}

/** Tensors reachable from a value (outputs may be tensors, lists or records of them). */
function collectBuffers(value: unknown, into: Set<ArrayBufferLike>, depth = 0): void {
  if (value instanceof Tensor) into.add(value.data.buffer);
  else if (ArrayBuffer.isView(value)) into.add(value.buffer);
  else if (depth < 4 && typeof value === 'object' && value !== null) for (const v of Object.values(value)) collectBuffers(v, into, depth + 1);
}

/** One run's shared allocations: the policy (which names), the count, the release. */
export class SharedRunAllocator {
  readonly enabled: boolean;
  private readonly reason: string | null;
  private readonly mode: SharedMemoryMode;
  private readonly backend: FreeingBackend;
  private readonly names: ReadonlySet<string>;
  /** The buffers of tensors this run allocated in shared memory. */
  private readonly owned = new WeakSet<ArrayBufferLike>();
  /** The shared tensors this run allocated, freed by release(). */
  private readonly live: Tensor[] = [];
  private tensors = 0;
  private bytes = 0;
  private plainFallbacks = 0;

  constructor(backend: Backend, names: ReadonlySet<string>, mode: { mode: SharedMemoryMode; source: 'run' | 'manifest' | 'default' }) {
    this.backend = backend;
    this.names = names;
    this.mode = mode.mode;
    let reason: string | null = null;
    if (mode.mode === 'off') reason = mode.source === 'run' ? 'off for this run' : 'off in the manifest';
    else if (typeof backend.allocTensor !== 'function') reason = `the ${backend.kind} backend has no allocTensor`;
    else if (backend.sharedMemory?.available !== true) reason = backend.sharedMemory?.reason ?? `the ${backend.kind} backend reports no shared memory`;
    this.reason = reason;
    this.enabled = reason === null;
  }

  /** Whether the value `name` belongs in shared memory (it feeds a graph and sharing is on). */
  wants(name: string | undefined): boolean {
    return this.enabled && name !== undefined && this.names.has(name);
  }

  /** Whether `t` lives in memory this run allocated as shared. */
  owns(t: Tensor): boolean {
    return this.owned.has(t.data.buffer);
  }

  /** A zeroed tensor through the backend's allocTensor (only when enabled). */
  alloc(dtype: DType, dims: readonly number[], quant?: QuantParams): Tensor {
    const t = this.backend.allocTensor!(dtype, dims, quant !== undefined ? { quant } : undefined);
    if (!(t instanceof Tensor)) throw invalidArg('a Tensor', `${this.backend.kind} backend allocTensor result`, t);
    this.owned.add(t.data.buffer);
    if (tensorSharedInfo(t) !== null) {
      this.live.push(t);
      this.tensors++;
      this.bytes += t.data.byteLength;
    } else if (t.data.byteLength > 0) {
      this.plainFallbacks++;
    }
    return t;
  }

  /** Frees every shared tensor of the run except those reachable from `keep` (the result's outputs). */
  release(keep: unknown): void {
    const free = this.backend.freeTensor;
    if (typeof free !== 'function' || this.live.length === 0) return;
    const kept = new Set<ArrayBufferLike>();
    collectBuffers(keep, kept);
    for (const t of this.live.splice(0)) if (!kept.has(t.data.buffer)) free.call(this.backend, t);
  }

  report(): SharedMemoryReport {
    return { mode: this.mode, enabled: this.enabled, reason: this.reason, tensors: this.tensors, bytes: this.bytes, plainFallbacks: this.plainFallbacks };
  }
}
