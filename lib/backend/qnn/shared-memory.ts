/** The QNN backend's shared-memory blocks: rpcmem through the native runtime (docs/shared-memory.md). */
import path from 'node:path';
import { QnnNodeError } from '../../errors.js';
import type { NativeRuntime, NativeRuntimeInfo } from '../../native/AddonTypes.js';
import type { BlockSource, SharedMemoryInfo } from '../../tensor/shared.js';
import { fromNative } from './errors.js';

/** The reference backend's rpcmem stand-in: `rpcmem/libcdsprpc.{so,dll}` beside it. */
export function referenceRpcmemPath(ref: { backend: string; rpcmem?: string }): string {
  if (ref.rpcmem) return ref.rpcmem;
  const name = process.platform === 'win32' ? 'libcdsprpc.dll' : 'libcdsprpc.so';
  return path.join(path.dirname(ref.backend), 'rpcmem', name);
}

/**
 * The info's sharedMemory. `descriptor` is live: what registrations really use
 * ('shared-buffer' until the backend refuses it for 'ion', 'raw' when it refuses
 * registration and shared tensors run as raw buffers; the addon's sharedDescriptor()).
 */
export function sharedMemoryInfoOf(n: NativeRuntimeInfo, runtime?: NativeRuntime): SharedMemoryInfo {
  const s = n.sharedMemory ?? { available: false, reason: 'the addon predates shared memory', library: null, descriptor: null };
  const info = { available: s.available, reason: s.reason, library: s.library } as SharedMemoryInfo;
  const live = s.available && runtime && typeof runtime.sharedDescriptor === 'function';
  Object.defineProperty(info, 'descriptor', {
    enumerable: true,
    get: live ? () => runtime.sharedDescriptor() : () => s.descriptor,
  });
  return Object.freeze(info);
}

export function nativeBlocks(runtime: NativeRuntime, info: SharedMemoryInfo, isDisposed: () => boolean): BlockSource {
  const unavailable = (): Error => {
    const reason = info.reason ?? 'unknown';
    const code = reason.includes('status 22') ? 'EXTERNAL_BUFFERS_FORBIDDEN' : 'SHARED_MEMORY_UNAVAILABLE';
    return new QnnNodeError(code, `Shared memory is unavailable: ${reason}`, { details: { reason } });
  };
  return {
    info,
    alloc(bytes) {
      if (isDisposed()) throw fromNative({ code: 'DISPOSED', message: '' }, 'QNN backend');
      if (!info.available) return null;
      try {
        return runtime.allocShared(bytes);
      } catch (error) {
        throw fromNative(error, 'QNN backend');
      }
    },
    free: (buffer) => runtime.freeShared(buffer),
    unavailable,
  };
}
