/**
 * Time limits and cancellation for native loads (Qnn.load, Qnn#loadContext).
 *
 * A vendor call (deviceCreate, contextCreateFromBinary…) runs in a libuv worker thread and
 * cannot be interrupted. When the limit passes or the signal aborts, the promise rejects at
 * once with TIMEOUT / ABORTED; the call keeps its worker thread until it returns, and what
 * it created then is freed (`onLate`). Until then it also keeps the event loop alive: the
 * CLI exits explicitly when such a call is still out (`abandonedNativeCalls()`).
 */
import { QnnNodeError, invalidArg, outOfRange } from '../../errors.js';
import { loadAddon } from '../../native/binding.js';

export interface DeadlineOptions {
  /** Rejects with ABORTED when this signal aborts (also when it already has). */
  readonly signal?: AbortSignal;
  /** Rejects with TIMEOUT after this many milliseconds (a positive number). */
  readonly timeoutMs?: number;
}

/** The longest timer Node keeps (larger delays fire after 1 ms). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

let abandoned = 0;

/** Native calls given up on (timed out or aborted) that have not returned yet. */
export function abandonedNativeCalls(): number {
  return abandoned;
}

/**
 * Ends the process with `code` even while an abandoned native call still runs: exit() would
 * wait for it (libuv joins its worker threads at exit), so this skips exit-time work.
 * Flush what must be written first.
 */
export function exitDespiteAbandonedCalls(code: number): never {
  if (abandoned === 0) process.exit(code);
  return loadAddon().Runtime.exitProcess(code);
}

/** Validates `signal` / `timeoutMs` of an options object (names as in `options.<key>`). */
export function checkDeadline(o: Record<string, unknown>, prefix = 'options', timeoutKey = 'timeoutMs'): void {
  const t = o[timeoutKey];
  const name = `${prefix}.${timeoutKey}`;
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)) {
    throw invalidArg('a positive number of milliseconds', name, t);
  }
  // setTimeout fires at once past 2^31 - 1 ms (about 24.8 days).
  if (typeof t === 'number' && t > MAX_TIMEOUT_MS) throw outOfRange(`at most ${MAX_TIMEOUT_MS} milliseconds`, name, t);
  const s = o.signal;
  if (s !== undefined && !(s instanceof AbortSignal)) throw invalidArg('an AbortSignal', `${prefix}.signal`, s);
}

const HANG_HINT = 'The backend call is still running in a worker thread and cannot be interrupted; what it creates is freed when it returns.';

/** Qnn.load's extra hint: the call that hangs in practice. */
export const DEVICE_HANG_HINT =
  'A backend whose deviceCreate hangs (libQnnHtpQemu, an HTP without a reachable DSP) loads with device: false (--no-device).';

function abortedError(what: string, signal: AbortSignal | undefined, hint: string, details?: Record<string, unknown>): QnnNodeError {
  return new QnnNodeError('ABORTED', `${what} was aborted. ${hint}`, { cause: signal?.reason, details: { operation: what, ...details } });
}

/** ABORTED at once when `signal` has already aborted: call before starting native work. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortedError(what, signal, 'Nothing was started.');
}

/**
 * `work`, or a TIMEOUT / ABORTED rejection when the limit passes first. `onAbandon` runs
 * when giving up (e.g. to stop trying further candidates); `onLate` receives a result that
 * arrives after that, to free it.
 */
export function withDeadline<T>(
  work: Promise<T>,
  options: DeadlineOptions,
  what: string,
  hooks: { onAbandon?: () => void; onLate?: (value: T) => void; details?: () => Record<string, unknown>; hint?: string } = {},
): Promise<T> {
  const { signal, timeoutMs } = options;
  const hint = hooks.hint ? `${HANG_HINT} ${hooks.hint}` : HANG_HINT;
  if (!signal && timeoutMs === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const giveUp = (error: QnnNodeError): void => {
      if (settled) return;
      settled = true;
      cleanup();
      abandoned++;
      hooks.onAbandon?.();
      work.then(
        (value) => {
          abandoned--;
          hooks.onLate?.(value);
        },
        () => {
          abandoned--;
        },
      );
      reject(error);
    };
    const onAbort = (): void => giveUp(abortedError(what, signal, hint, hooks.details?.()));
    if (timeoutMs !== undefined) {
      timer = setTimeout(
        () =>
          giveUp(
            new QnnNodeError('TIMEOUT', `${what} did not finish within ${timeoutMs} ms. ${hint}`, {
              details: { operation: what, timeoutMs, ...hooks.details?.() },
            }),
          ),
        timeoutMs,
      );
    }
    if (signal) {
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(error);
      },
    );
  });
}
