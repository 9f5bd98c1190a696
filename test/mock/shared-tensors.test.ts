import { describe, expect, it } from 'vitest';
import { MockBackend } from '../../lib/backend/mock/MockBackend.js';
import type { Backend } from '../../lib/backend/types.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { tensorSharedInfo } from '../../lib/tensor/shared.js';

describe('MockBackend shared-tensor API (plain tensors)', () => {
  it('reports no shared memory and allocates plain zero-filled tensors', () => {
    const backend: Backend = new MockBackend();
    expect(backend.sharedMemory).toEqual({ available: false, reason: 'mock backend', library: null, descriptor: null });
    const t = backend.allocTensor!('ufixed8', [2, 2], { quant: { encoding: 'scale-offset', scale: 0.5, offset: 3 } });
    expect(t).toBeInstanceOf(Tensor);
    expect([...t.data]).toEqual([0, 0, 0, 0]);
    expect(t.quant).toMatchObject({ scale: 0.5, offset: 3 });
    expect(tensorSharedInfo(t)).toBeNull();
    expect(() => backend.allocTensor!('float32', [1], { fallback: 'error' })).toThrow(
      expect.objectContaining({ code: 'SHARED_MEMORY_UNAVAILABLE', details: { reason: 'mock backend' } }),
    );
  });

  it('carves plain pools with aligned offsets and typed errors', () => {
    const mock = new MockBackend();
    const pool = mock.createTensorPool({ bytes: 100, alignment: 16 });
    expect(pool.shared).toBe(false);
    const a = pool.alloc('float32', [3]);
    const b = mock.allocTensor('int16', [5], { pool });
    expect(a.data.byteOffset).toBe(0);
    expect(b.data.byteOffset).toBe(16);
    expect(a.data.buffer).toBe(b.data.buffer);
    expect(pool.used).toBe(26);
    (a.data as Float32Array).fill(7);
    pool.reset();
    expect([...a.data]).toEqual([0, 0, 0]);
    expect(() => pool.alloc('float64', [13])).toThrow(
      expect.objectContaining({ code: 'POOL_EXHAUSTED', details: { bytes: 104, used: 0, poolBytes: 100 } }),
    );
    expect(() => mock.createTensorPool({ bytes: 1.5 })).toThrow(/positive integer byte count for options\.bytes but received number 1\.5/);
    expect(() => tensorSharedInfo({} as never)).toThrow(/Expected a Tensor for tensor/);
    pool.dispose();
    expect(pool.disposed).toBe(true);
    expect(() => pool.reset()).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });
});
