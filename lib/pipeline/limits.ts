/**
 * What a manifest may make the runner do, bounded: loop iterations per run, the size of
 * any one tensor a step allocates, and how long the runner keeps the event loop busy
 * between yields (so AbortSignal timeouts and other timers fire during long loops).
 * Callers raise the bounds with `Pipeline.load(…, { limits })`.
 */
import { QnnNodeError, invalidArg } from '../errors.js';
import { DTYPES, type DType } from '../tensor/dtypes.js';

export interface PipelineLimits {
  /**
   * Loop iterations one run may execute, over every loop together (default 1,000,000).
   * A loop whose `count` or `max` alone exceeds it is rejected before its first iteration.
   */
  readonly maxLoopIterations?: number;
  /** Bytes of the largest tensor a step may allocate (default 1 GiB). */
  readonly maxAllocationBytes?: number;
  /**
   * The longest the runner executes steps without yielding to the event loop, in ms
   * (default 10). One host op or graph call is never interrupted.
   */
  readonly maxBlockingMs?: number;
}

export const DEFAULT_LIMITS: Required<PipelineLimits> = Object.freeze({
  maxLoopIterations: 1_000_000,
  maxAllocationBytes: 1024 * 1024 * 1024,
  maxBlockingMs: 10,
});

/** The caller's limits over the defaults; ERR_INVALID_ARG for anything but positive numbers. */
export function resolveLimits(limits: PipelineLimits | undefined): Required<PipelineLimits> {
  if (limits === undefined) return DEFAULT_LIMITS;
  if (typeof limits !== 'object' || limits === null) throw invalidArg('an object of limits', 'options.limits', limits);
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(limits)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, key)) throw invalidArg(`a known limit (${Object.keys(DEFAULT_LIMITS).join(', ')})`, `options.limits.${key}`, (limits as Record<string, unknown>)[key]);
    const v = (limits as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const integer = key !== 'maxBlockingMs';
    if (typeof v !== 'number' || !(v >= 0) || (integer ? !Number.isSafeInteger(v) : !Number.isFinite(v))) {
      throw invalidArg(integer ? 'a safe integer >= 0' : 'a finite number >= 0', `options.limits.${key}`, v);
    }
    out[key] = v;
  }
  return Object.freeze(out) as Required<PipelineLimits>;
}

/** Bytes of a tensor of `dtype` and `dims` (NaN for an unknown dtype or dims that are not non-negative integers). */
export function tensorBytes(dtype: DType, dims: readonly number[]): number {
  if (!Object.hasOwn(DTYPES, dtype) || !Array.isArray(dims)) return Number.NaN;
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) return Number.NaN;
    n *= d;
  }
  return Math.ceil((n * DTYPES[dtype].bits) / 8);
}

/** LIMIT_EXCEEDED for an allocation of `bytes` requested at `path` (a JSON pointer). */
export function allocationError(path: string, what: string, bytes: number, limit: number): QnnNodeError {
  return new QnnNodeError(
    'LIMIT_EXCEEDED',
    `${path}: ${what} needs ${bytes} bytes, over the limit of ${limit} bytes (raise limits.maxAllocationBytes to allow it)`,
    { details: { path, limit: 'maxAllocationBytes', requested: bytes, allowed: limit } },
  );
}

/** LIMIT_EXCEEDED for a loop at `path` that would run more iterations than the limit allows. */
export function loopLimitError(path: string, what: string, iterations: number, limit: number): QnnNodeError {
  return new QnnNodeError(
    'LIMIT_EXCEEDED',
    `${path}: ${what} asks for ${iterations} loop iterations, over the limit of ${limit} per run (raise limits.maxLoopIterations to allow it)`,
    { details: { path, limit: 'maxLoopIterations', requested: iterations, allowed: limit } },
  );
}
