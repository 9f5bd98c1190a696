/** withDeadline (lib/backend/qnn/deadline.ts): TIMEOUT / ABORTED at once, late results freed. */
import { describe, expect, it } from 'vitest';
import { abandonedNativeCalls, withDeadline } from '../../lib/backend/qnn/deadline.js';
import { QnnNodeError } from '../../lib/errors.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('withDeadline', () => {
  it('passes the work through when it finishes in time', async () => {
    await expect(withDeadline(Promise.resolve(7), { timeoutMs: 1000 }, 'op')).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('boom')), { timeoutMs: 1000 }, 'op')).rejects.toThrow('boom');
  });

  it('rejects with TIMEOUT, counts the call as abandoned, and hands the late result to onLate', async () => {
    const work = deferred<string>();
    const late: string[] = [];
    let abandonedHook = 0;
    const before = abandonedNativeCalls();
    const e = (await withDeadline(work.promise, { timeoutMs: 20 }, 'Thing.load', {
      onAbandon: () => abandonedHook++,
      onLate: (v) => late.push(v),
      details: () => ({ path: '/x.so' }),
      hint: 'Try harder.',
    }).catch((x: unknown) => x)) as QnnNodeError;
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toBe('Thing.load did not finish within 20 ms. The backend call is still running in a worker thread and cannot be interrupted; what it creates is freed when it returns. Try harder.');
    expect(e.details).toEqual({ operation: 'Thing.load', timeoutMs: 20, path: '/x.so' });
    expect(abandonedHook).toBe(1);
    expect(abandonedNativeCalls()).toBe(before + 1);
    work.resolve('late value');
    await new Promise((r) => setTimeout(r, 0));
    expect(late).toEqual(['late value']);
    expect(abandonedNativeCalls()).toBe(before);
  });

  it('rejects with ABORTED (with the reason as cause); a late failure is swallowed', async () => {
    const work = deferred<number>();
    const ac = new AbortController();
    const pending = withDeadline(work.promise, { signal: ac.signal }, 'op');
    ac.abort(new Error('stop'));
    const e = (await pending.catch((x: unknown) => x)) as QnnNodeError;
    expect(e.code).toBe('ABORTED');
    expect((e.cause as Error).message).toBe('stop');
    work.reject(new Error('late failure'));
    await new Promise((r) => setTimeout(r, 0));
    const already = await withDeadline(new Promise(() => {}), { signal: AbortSignal.abort() }, 'op').catch((x: unknown) => x);
    expect((already as QnnNodeError).code).toBe('ABORTED');
  });
});
