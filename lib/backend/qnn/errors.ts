/** Native errors (plain Errors with a `code`) → the classes of lib/errors.ts. */
import { DisposedError, QnnNodeError, QnnRangeError, QnnStatusError, QnnTypeError, type ErrorCode } from '../../errors.js';
import type { NativeError } from '../../native/AddonTypes.js';
import { describeQnnStatus } from './status.js';

export function fromNative(error: unknown, what = 'QNN object'): Error {
  if (error instanceof QnnNodeError || error instanceof QnnTypeError || error instanceof QnnRangeError) return error;
  if (typeof error !== 'object' || error === null) return new QnnNodeError('QNN_ERROR', String(error));
  const e = error as NativeError;
  const code = (typeof e.code === 'string' ? e.code : 'QNN_ERROR') as ErrorCode;
  const details: Record<string, unknown> = { ...(e.details ?? {}) };
  if (code === 'QNN_ERROR' && typeof e.status === 'bigint') {
    const statusName = e.statusName ?? 'QNN_UNKNOWN_ERROR';
    const apiFunction = e.apiFunction ?? 'unknown';
    return new QnnStatusError(
      {
        status: e.status,
        statusName,
        apiFunction,
        backendMessage: e.backendMessage,
        // An unknown code still names its number and component range.
        message: e.message || `${apiFunction} failed with ${describeQnnStatus(Number(e.status & 0xffffn), statusName)}`,
      },
      { details },
    );
  }
  if (code === 'DISPOSED') return new DisposedError(what);
  if (e instanceof TypeError || code === 'ERR_INVALID_ARG') return new QnnTypeError(code, e.message, details);
  if (e instanceof RangeError || code === 'ERR_OUT_OF_RANGE') return new QnnRangeError(code, e.message, details);
  const out = new QnnNodeError(code, e.message, { details });
  if (typeof e.status === 'bigint') Object.assign(out.details, { status: e.status, statusName: e.statusName, apiFunction: e.apiFunction, ...(e.backendMessage ? { backendMessage: e.backendMessage } : {}) });
  return out;
}

/**
 * Rejections of native async work carry the stack of the worker's completion, which says
 * nothing about the caller. Capture the caller's stack when the call is made and graft it
 * onto whatever the promise rejects with (sharp does the same).
 */
export async function withCallerStack<T>(start: () => Promise<T>, callSite: Error, what?: string): Promise<T> {
  try {
    return await start(); // a synchronous throw of the native call lands here too
  } catch (error) {
    throw fromNativeAt(error, callSite, what);
  }
}

/** fromNative, with the stack of `callSite` (see withCallerStack). */
export function fromNativeAt(error: unknown, callSite: Error, what?: string): Error {
  const converted = fromNative(error, what);
  const frames = (callSite.stack ?? '').split('\n').slice(1).join('\n');
  if (frames) converted.stack = `${converted.name}: ${converted.message}\n${frames}`;
  return converted;
}
