/** The deadline of listings: each wait for the next entry, not the listing as a whole. */
import type { Entry, ListOptions, StorageBackend } from '../../core/backend.js';
import type { StorageError } from '../../core/errors.js';
import type { TimerWheel } from './timers.js';

/**
 * Lists `prefix` of `next`, failing with `makeError()` when one wait for the
 * next entry (at most one page request) outlasts the wheel's duration. Time
 * the caller spends between entries does not count. On expiry the inner
 * listing is aborted and not waited for (it may be stuck in a request); the
 * caller's own abort wins over the deadline.
 */
export async function* listWithDeadlines(
  next: StorageBackend,
  prefix: string | undefined,
  options: ListOptions | undefined,
  wheel: TimerWheel,
  makeError: () => StorageError,
): AsyncGenerator<Entry> {
  const callerSignal = options?.signal;
  const controller = new AbortController();
  const signal = callerSignal ? AbortSignal.any([callerSignal, controller.signal]) : controller.signal;
  const entries = next.list(prefix, { ...options, signal })[Symbol.asyncIterator]();
  let timedOut = false;
  try {
    for (;;) {
      let rejectWait: (e: StorageError) => void = () => {};
      const expired = new Promise<never>((_, reject) => {
        rejectWait = reject;
      });
      const timer = wheel.timer(() => {
        if (callerSignal?.aborted) return;
        timedOut = true;
        const error = makeError();
        controller.abort(error);
        rejectWait(error);
      });
      timer.start();
      const step = entries.next();
      step.catch(() => {});
      let result: IteratorResult<Entry>;
      try {
        result = await Promise.race([step, expired]);
      } finally {
        timer.stop();
      }
      if (result.done) return;
      yield result.value;
    }
  } finally {
    // After a timeout the inner iterator may be stuck in a request; do not wait for it.
    const closing = entries.return?.();
    if (closing && !timedOut) await closing.catch(() => {});
  }
}
