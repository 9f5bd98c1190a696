/**
 * Pipeline.stream(): a run's events as an async iterator. Events queue as the run produces
 * them (nothing is dropped when the consumer is slow); leaving the loop early aborts the run.
 */
import type { PipelineEvent, PipelineResult } from './events.js';

/**
 * Starts `execute` with a signal that also fires when the consumer stops iterating, and
 * returns its events (every event also goes to `onEvent`).
 */
export function eventStream(
  execute: (signal: AbortSignal, push: (e: PipelineEvent) => void) => Promise<PipelineResult>,
  options: { readonly signal?: AbortSignal; readonly onEvent?: (event: PipelineEvent) => void },
): AsyncIterableIterator<PipelineEvent> {
  const queue: PipelineEvent[] = [];
  let head = 0;
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const local = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal;
  const push = (e: PipelineEvent): void => {
    queue.push(e);
    options.onEvent?.(e);
    wake?.();
  };
  const done = execute(signal, push).then(
    () => {
      finished = true;
      wake?.();
    },
    (error: unknown) => {
      failure = error;
      finished = true;
      wake?.();
    },
  );
  const iterator: AsyncIterableIterator<PipelineEvent> = {
    async next(): Promise<IteratorResult<PipelineEvent>> {
      for (;;) {
        if (head < queue.length) {
          const value = queue[head++];
          if (head > 1024) {
            queue.splice(0, head);
            head = 0;
          }
          return { value, done: false };
        }
        if (finished) {
          if (failure !== undefined) {
            const e = failure;
            failure = undefined;
            throw e;
          }
          return { value: undefined, done: true };
        }
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
    async return(): Promise<IteratorResult<PipelineEvent>> {
      if (!finished) local.abort(new Error('The stream consumer stopped'));
      await done;
      finished = true;
      failure = undefined;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}
