/**
 * Shared tensors (docs/shared-memory.md): tensors whose storage is DSP-shareable memory
 * (rpcmem) that the native run hands to QNN as a registered memhandle instead of a raw
 * buffer. Where shared memory is unavailable the same calls return plain tensors.
 *
 * This file is backend-neutral: a `BlockSource` supplies the memory (the QNN backend's
 * rpcmem blocks, or nothing for plain tensors).
 */
import { QnnNodeError, QnnRangeError, invalidArg, describeValue } from '../errors.js';
import { DTYPES, byteLengthOf, isDType, type DType, type QuantParams } from './dtypes.js';
import { elementCount } from './shape.js';
import { Tensor, checkDims } from './Tensor.js';

/** Whether shared tensors are available, and why not (one line) when they are not. */
export interface SharedMemoryInfo {
  readonly available: boolean;
  readonly reason: string | null;
  /** The rpcmem library in use (libcdsprpc, or the reference stand-in). */
  readonly library: string | null;
  /**
   * How blocks are really registered with QNN, read live: 'shared-buffer' (the HTP
   * descriptor, fd + offset; also before the first registration), 'ion' once the backend
   * refused it and took whole blocks as ION, 'raw' once it refused registration (shared
   * tensors then run as raw buffers). null when unavailable.
   */
  readonly descriptor: 'shared-buffer' | 'ion' | 'raw' | null;
}

/** What `tensorSharedInfo` says about a shared tensor. */
export interface SharedTensorInfo {
  readonly kind: 'rpcmem';
  /** The rpcmem block's file descriptor (rpcmem_to_fd). */
  readonly fd: number;
  /** Where the tensor starts in its block. */
  readonly offset: number;
  readonly blockBytes: number;
  /** The tensor was carved from a pool (free the pool, not the tensor). */
  readonly pooled: boolean;
}

export interface AllocTensorOptions {
  readonly quant?: QuantParams;
  /** Carve the tensor from this pool instead of a block of its own. */
  readonly pool?: TensorPool;
  /** 'plain' (default): a plain tensor when shared memory is unavailable; 'error': throw. */
  readonly fallback?: 'plain' | 'error';
}

export interface TensorPoolOptions {
  /** The pool's size in bytes (one rpcmem block). */
  readonly bytes: number;
  /** Each tensor's offset is a multiple of this (a power of two, default 64). */
  readonly alignment?: number;
  readonly fallback?: 'plain' | 'error';
}

/** Many tensors carved from one block: one fd, one DSP mapping, registered per offset. */
export interface TensorPool extends Disposable {
  /** The pool's bytes and the bytes carved so far (alignment included). */
  readonly bytes: number;
  readonly used: number;
  /** Whether the pool's block is shared memory (else plain memory). */
  readonly shared: boolean;
  readonly disposed: boolean;
  /** The next tensor (zero-filled when the pool is new or reset). POOL_EXHAUSTED when it does not fit. */
  alloc<T extends DType>(dtype: T, dims: readonly number[], options?: { readonly quant?: QuantParams }): Tensor<T>;
  /**
   * Starts carving from offset 0 again and zero-fills the block. Tensors carved before
   * alias the new ones: drop them first.
   */
  reset(): void;
  /** Releases the block (views become empty; a run in flight keeps the memory until it settles). Idempotent. */
  dispose(): void;
}

/** A source of memory blocks: `alloc` returns null when shared memory is unavailable. */
export interface BlockSource {
  readonly info: SharedMemoryInfo;
  alloc(bytes: number): { buffer: ArrayBuffer; fd: number } | null;
  free(buffer: ArrayBuffer): boolean;
  /** The error for fallback: 'error' when unavailable. */
  unavailable(): Error;
}

/**
 * Shared blocks by their ArrayBuffer: every view of a block's memory is shared memory (the
 * addon finds it by pointer), so `kv.reshape(...)` or `new Tensor(dtype, kv.data, dims)`
 * is as shared as `kv`; its offset is its view's byteOffset.
 */
interface SharedBlockRecord {
  readonly fd: number;
  readonly blockBytes: number;
  readonly pooled: boolean;
}
const sharedBlocks = new WeakMap<ArrayBufferLike, SharedBlockRecord>();
const poolsOwned = new WeakSet<TensorPool>();

/** The tensor's shared storage, or null for a plain tensor (or one whose block was freed). */
export function tensorSharedInfo(tensor: Tensor): SharedTensorInfo | null {
  if (!(tensor instanceof Tensor)) throw invalidArg('a Tensor', 'tensor', tensor);
  const block = sharedBlocks.get(tensor.data.buffer);
  if (!block || tensor.data.buffer.byteLength === 0) return null;
  return Object.freeze({ kind: 'rpcmem', fd: block.fd, offset: tensor.data.byteOffset, blockBytes: block.blockBytes, pooled: block.pooled });
}

/** The block source's allocation, or null for a plain fallback (unavailable, or SHARED_ALLOC_FAILED with fallback 'plain'). */
function allocBlock(source: BlockSource, bytes: number, fallback: 'plain' | 'error'): { buffer: ArrayBuffer; fd: number } | null {
  let block: { buffer: ArrayBuffer; fd: number } | null;
  try {
    block = source.alloc(bytes);
  } catch (error) {
    // rpcmem could not allocate (DSP mappings or the heap exhausted): 'plain' means a plain tensor.
    if (fallback === 'plain' && (error as { code?: unknown })?.code === 'SHARED_ALLOC_FAILED') return null;
    throw error;
  }
  if (!block && fallback === 'error') throw source.unavailable();
  return block;
}

function checkDType(dtype: unknown): DType {
  if (!isDType(dtype)) throw new QnnNodeError('UNSUPPORTED_DTYPE', `Unsupported dtype ${describeValue(dtype)}`, { details: { dtype } });
  return dtype;
}

function byteLength(dtype: DType, dims: readonly number[]): { bytes: number } {
  return { bytes: byteLengthOf(dtype, elementCount(dims)) };
}

function checkFallback(value: unknown, name: string): 'plain' | 'error' {
  if (value === undefined) return 'plain';
  if (value !== 'plain' && value !== 'error') throw invalidArg("'plain' or 'error'", name, value);
  return value;
}

function checkOptionsObject(options: unknown, name: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidArg('an options object', name, options);
  return options as Record<string, unknown>;
}

/** The storage element size of `dtype` (its typed array's BYTES_PER_ELEMENT). */
function elementBytes(dtype: DType): number {
  return (DTYPES[dtype].arrayType as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
}

/** A typed-array view of `length` storage elements at `byteOffset` of `buffer`. */
function view(dtype: DType, buffer: ArrayBuffer, byteOffset: number, bytes: number): ArrayBufferView {
  const Ctor = DTYPES[dtype].arrayType as unknown as new (b: ArrayBuffer, o: number, n: number) => ArrayBufferView;
  return new Ctor(buffer, byteOffset, bytes / elementBytes(dtype));
}

export class SharedAllocator {
  readonly #source: BlockSource;
  constructor(source: BlockSource) {
    this.#source = source;
  }

  get info(): SharedMemoryInfo {
    return this.#source.info;
  }

  allocTensor<T extends DType>(dtype: T, dims: readonly number[], options?: AllocTensorOptions): Tensor<T> {
    checkDType(dtype);
    const d = checkDims(dims);
    const o = checkOptionsObject(options, 'options');
    const fallback = checkFallback(o.fallback, 'options.fallback');
    const quant = o.quant as QuantParams | undefined;
    if (o.pool !== undefined) {
      if (!poolsOwned.has(o.pool as TensorPool)) throw invalidArg('a TensorPool from this backend\'s createTensorPool', 'options.pool', o.pool);
      return (o.pool as TensorPool).alloc(dtype, d, quant === undefined ? {} : { quant });
    }
    const { bytes } = byteLength(dtype, d);
    if (bytes === 0) {
      if (fallback === 'error' && !this.#source.info.available) throw this.#source.unavailable();
      return Tensor.zeros(dtype, d, quant === undefined ? {} : { quant });
    }
    const block = allocBlock(this.#source, bytes, fallback);
    if (!block) return Tensor.zeros(dtype, d, quant === undefined ? {} : { quant });
    let tensor: Tensor<T>;
    try {
      tensor = new Tensor(dtype, view(dtype, block.buffer, 0, bytes) as never, d, quant === undefined ? {} : { quant });
    } catch (error) {
      this.#source.free(block.buffer); // bad quant: the block goes back now
      throw error;
    }
    sharedBlocks.set(block.buffer, { fd: block.fd, blockBytes: bytes, pooled: false });
    return tensor;
  }

  /**
   * Releases a shared tensor's memory now (its views become empty; a run in flight keeps
   * the memory until it settles). true when memory was released; false for a plain tensor
   * or one already freed. A pooled tensor: ERR_INVALID_ARG (dispose the pool).
   */
  freeTensor(tensor: Tensor): boolean {
    const info = tensorSharedInfo(tensor);
    if (!info) return false;
    if (info.pooled) throw invalidArg('a tensor of its own (a pooled tensor is freed with its pool: pool.dispose())', 'tensor', tensor);
    return this.#source.free(tensor.data.buffer as ArrayBuffer);
  }

  createTensorPool(options: TensorPoolOptions): TensorPool {
    const o = checkOptionsObject(options, 'options');
    if (options === undefined) throw invalidArg('an options object { bytes }', 'options', options);
    const bytes = o.bytes;
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes <= 0) throw invalidArg('a positive integer byte count', 'options.bytes', bytes);
    const alignment = o.alignment ?? 64;
    if (typeof alignment !== 'number' || !Number.isSafeInteger(alignment) || alignment < 1 || alignment > 65536 || (alignment & (alignment - 1)) !== 0) {
      throw invalidArg('a power of two from 1 to 65536', 'options.alignment', alignment);
    }
    const fallback = checkFallback(o.fallback, 'options.fallback');
    const block = allocBlock(this.#source, bytes, fallback);
    if (block) sharedBlocks.set(block.buffer, { fd: block.fd, blockBytes: bytes, pooled: true });
    const pool = new Pool(block?.buffer ?? new ArrayBuffer(bytes), block?.fd ?? null, alignment, this.#source);
    poolsOwned.add(pool);
    return pool;
  }
}

class Pool implements TensorPool {
  readonly bytes: number;
  #used = 0;
  #disposed = false;
  readonly #buffer: ArrayBuffer;
  readonly #fd: number | null;
  readonly #alignment: number;
  readonly #source: BlockSource;

  constructor(buffer: ArrayBuffer, fd: number | null, alignment: number, source: BlockSource) {
    this.#buffer = buffer;
    this.bytes = buffer.byteLength;
    this.#fd = fd;
    this.#alignment = alignment;
    this.#source = source;
  }

  get used(): number {
    return this.#used;
  }
  get shared(): boolean {
    return this.#fd !== null;
  }
  get disposed(): boolean {
    return this.#disposed;
  }

  alloc<T extends DType>(dtype: T, dims: readonly number[], options?: { readonly quant?: QuantParams }): Tensor<T> {
    if (this.#disposed) throw new QnnNodeError('DISPOSED', 'The tensor pool has been disposed');
    checkDType(dtype);
    const d = checkDims(dims);
    const o = checkOptionsObject(options, 'options');
    const { bytes } = byteLength(dtype, d);
    // A typed array must start at a multiple of its element size, whatever the alignment.
    const align = Math.max(this.#alignment, elementBytes(dtype));
    const offset = Math.ceil(this.#used / align) * align;
    if (offset + bytes > this.bytes) {
      throw new QnnRangeError(
        'POOL_EXHAUSTED',
        `Expected at most ${Math.max(0, this.bytes - offset)} bytes for a ${dtype} tensor of dims [${d.join(', ')}] in the pool but it needs ${bytes} (pool: ${this.bytes} bytes, ${this.#used} used)`,
        { bytes, used: this.#used, poolBytes: this.bytes },
      );
    }
    const quant = o.quant as QuantParams | undefined;
    // Built first: a refused tensor (bad quant) takes no pool space.
    const tensor = new Tensor(dtype, view(dtype, this.#buffer, offset, bytes) as never, d, quant === undefined ? {} : { quant });
    this.#used = offset + bytes;
    return tensor;
  }

  reset(): void {
    if (this.#disposed) throw new QnnNodeError('DISPOSED', 'The tensor pool has been disposed');
    new Uint8Array(this.#buffer).fill(0);
    this.#used = 0;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#fd !== null) this.#source.free(this.#buffer);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The plain source: no shared memory, for `reason`. */
export function plainBlocks(reason: string): BlockSource {
  const info: SharedMemoryInfo = Object.freeze({ available: false, reason, library: null, descriptor: null });
  return {
    info,
    alloc: () => null,
    free: () => false,
    unavailable: () => new QnnNodeError('SHARED_MEMORY_UNAVAILABLE', `Shared memory is unavailable: ${reason}`, { details: { reason } }),
  };
}
