/** A timer that an `AbortSignal` cancels: the one wait of every backoff, poll and pacing loop. */
import { StorageError } from './errors.js';

/**
 * Resolves after `ms` (at once when `ms <= 0`), or rejects with `Aborted`
 * carrying `message` when the signal fires, or has already fired.
 */
export function abortableSleep(
  ms: number,
  signal: AbortSignal | undefined,
  message = 'The operation was aborted while waiting.',
): Promise<void> {
  if (signal?.aborted) return Promise.reject(new StorageError('Aborted', message, { cause: signal.reason }));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new StorageError('Aborted', message, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
