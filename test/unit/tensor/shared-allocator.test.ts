/**
 * lib/tensor/shared.ts over a stand-in block source (plain ArrayBuffers with fds): the
 * fallback on SHARED_ALLOC_FAILED, shared info that follows the memory (views, reshapes),
 * pool alignment below the element size, and a refused pool tensor taking no space.
 */
import { describe, expect, it } from 'vitest';
import { QnnNodeError } from '../../../lib/errors.js';
import { SharedRunAllocator } from '../../../lib/pipeline/shared-alloc.js';
import type { Backend } from '../../../lib/backend/types.js';
import { SharedAllocator, tensorSharedInfo, type BlockSource } from '../../../lib/tensor/shared.js';
import { Tensor } from '../../../lib/tensor/Tensor.js';

function source(opts: { failAlloc?: boolean } = {}): BlockSource & { freed: ArrayBuffer[] } {
  let fd = 10;
  const freed: ArrayBuffer[] = [];
  return {
    freed,
    info: Object.freeze({ available: true, reason: null, library: 'stand-in', descriptor: 'shared-buffer' as const }),
    alloc(bytes: number) {
      if (opts.failAlloc) throw new QnnNodeError('SHARED_ALLOC_FAILED', `rpcmem_alloc could not allocate ${bytes} bytes`, { details: { bytes: String(bytes) } });
      return { buffer: new ArrayBuffer(bytes), fd: fd++ };
    },
    free(buffer: ArrayBuffer) {
      freed.push(buffer);
      return true;
    },
    unavailable: () => new QnnNodeError('SHARED_MEMORY_UNAVAILABLE', 'unavailable'),
  };
}

describe('SharedAllocator', () => {
  it("gives a plain tensor (and a plain pool) when rpcmem cannot allocate under fallback 'plain'", () => {
    const shared = new SharedAllocator(source({ failAlloc: true }));
    const t = shared.allocTensor('float32', [2, 3]);
    expect(t.dims).toEqual([2, 3]);
    expect([...t.data]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(tensorSharedInfo(t)).toBeNull();
    expect(shared.createTensorPool({ bytes: 64 }).shared).toBe(false);
    expect(() => shared.allocTensor('float32', [2], { fallback: 'error' })).toThrow(expect.objectContaining({ code: 'SHARED_ALLOC_FAILED' }));
    expect(() => shared.createTensorPool({ bytes: 64, fallback: 'error' })).toThrow(expect.objectContaining({ code: 'SHARED_ALLOC_FAILED' }));
  });

  it('counts plain fallbacks in the pipeline report', () => {
    const shared = new SharedAllocator(source({ failAlloc: true }));
    const backend = { kind: 'stand-in', sharedMemory: shared.info, allocTensor: shared.allocTensor.bind(shared) } as unknown as Backend;
    const run = new SharedRunAllocator(backend, new Set(['kv']), { mode: 'auto', source: 'default' });
    run.alloc('float16', [4, 8]);
    run.alloc('float16', [4]);
    expect(run.report()).toEqual({ mode: 'auto', enabled: true, reason: null, tensors: 0, bytes: 0, plainFallbacks: 2 });
  });

  it('keeps the shared info of views over the same memory (reshape, new Tensor over the data)', () => {
    const src = source();
    const shared = new SharedAllocator(src);
    const kv = shared.allocTensor('float32', [2, 3]);
    const info = tensorSharedInfo(kv);
    expect(info).toMatchObject({ kind: 'rpcmem', offset: 0, blockBytes: 24, pooled: false });
    expect(tensorSharedInfo(kv.reshape([6]))).toEqual(info);
    expect(tensorSharedInfo(new Tensor('float32', kv.data, [3, 2]))).toEqual(info);
    const pool = shared.createTensorPool({ bytes: 256 });
    pool.alloc('uint8', [3]);
    const p = pool.alloc('float32', [4]);
    expect(tensorSharedInfo(new Tensor('float32', p.data, [2, 2]))).toMatchObject({ offset: 64, pooled: true });
    // Freed through a view: the block goes back, like through the tensor.
    expect(shared.freeTensor(kv.reshape([6]))).toBe(true);
    expect(src.freed).toEqual([kv.data.buffer]);
  });

  it('aligns pool tensors to their element size when the alignment is smaller', () => {
    const shared = new SharedAllocator(source());
    const pool = shared.createTensorPool({ bytes: 64, alignment: 1 });
    const a = pool.alloc('uint8', [3]);
    const b = pool.alloc('float32', [2]);
    const c = pool.alloc('float64', [1]);
    expect([a.data.byteOffset, b.data.byteOffset, c.data.byteOffset]).toEqual([0, 4, 16]);
    expect(pool.used).toBe(24);
    expect(() => pool.alloc('float32', [100])).toThrow(expect.objectContaining({ code: 'POOL_EXHAUSTED' }));
  });

  it('takes no pool space for a tensor it refuses', () => {
    const shared = new SharedAllocator(source());
    const pool = shared.createTensorPool({ bytes: 256 });
    pool.alloc('uint8', [4]);
    expect(() => pool.alloc('ufixed8', [4], { quant: { encoding: 'scale-offset', scale: Number.NaN, offset: 0 } })).toThrow(/scale/);
    expect(pool.used).toBe(4);
    expect(() => pool.alloc('float32', 'x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(pool.used).toBe(4);
  });
});
