/**
 * The retry policy shared by the `retry` middleware and the migrate engine:
 * exponential backoff with full jitter, only `retryable` errors, the
 * service's `retryAfterMs` honoured, and a {@link RetryBudget} so an outage
 * does not multiply load. Built on p-retry (attempt counting, abort); the
 * delay is ours, because p-retry's `randomize` is not full jitter.
 */
import pRetry from 'p-retry';
import { isStorageError, StorageError, toStorageError } from './errors.js';
import { abortableSleep } from './sleep.js';
import { type Duration, parseDuration } from './units.js';

/**
 * A token bucket shared by every call through one retry policy: each request
 * deposits `ratio` tokens, each retry withdraws one, and `minPerSecond`
 * retries per second are always allowed. During an outage retries stop once
 * the bucket is empty, so load stays near `1 + ratio` times normal.
 */
export class RetryBudget {
  private tokens: number;
  private windowStart = 0;
  private windowRetries = 0;

  constructor(
    private readonly options: {
      /** Retries allowed per request made. @default 0.2 */
      ratio?: number;
      /** Retries always allowed per second, whatever the ratio. @default 10 */
      minPerSecond?: number;
      /** Most tokens the bucket holds. @default 100 */
      capacity?: number;
      /** Clock in ms. @default Date.now */
      now?: () => number;
    } = {},
  ) {
    this.tokens = options.capacity ?? 100;
  }

  /** Records a first attempt. */
  deposit(): void {
    this.tokens = Math.min(this.options.capacity ?? 100, this.tokens + (this.options.ratio ?? 0.2));
  }

  /** Takes one retry from the budget; false when it is spent. */
  withdraw(): boolean {
    const now = (this.options.now ?? Date.now)();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowRetries = 0;
    }
    if (this.windowRetries < (this.options.minPerSecond ?? 10)) {
      this.windowRetries++;
      return true;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/** Options of {@link retrying}. */
export interface RetryPolicyOptions {
  /** Retries after the first attempt. @default 3 */
  retries?: number;
  /** Base delay of the backoff. @default '100ms' */
  minDelay?: Duration;
  /** Longest delay between attempts (also caps `retryAfterMs`). @default '20s' */
  maxDelay?: Duration;
  /** Extra veto: return false to stop retrying an error that is `retryable`. */
  shouldRetry?: (error: StorageError, attempt: number) => boolean;
  /** Called before each retry with the error, the attempt that failed (1-based) and the delay. */
  onRetry?: (error: StorageError, attempt: number, delayMs: number) => void;
  /** Shared budget; without one, every retryable error is retried up to `retries`. */
  budget?: RetryBudget;
  /** Stops retrying (and waiting) when aborted. */
  signal?: AbortSignal;
  /** Random source in [0, 1), for tests. @default Math.random */
  random?: () => number;
  /** Sleep, for tests. @default a timer that the signal cancels */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * The delay before retry number `attempt` (1-based): a random value in
 * `[0, min(maxDelay, minDelay * 2^(attempt-1))]` ("full jitter"), or the
 * service's `retryAfterMs` when it asked for one (capped at `maxDelay`).
 */
export function backoffDelay(
  attempt: number,
  minDelayMs: number,
  maxDelayMs: number,
  random: () => number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.min(retryAfterMs, maxDelayMs);
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Runs `fn` until it succeeds, a non-retryable error occurs, retries run out,
 * the budget is spent or the signal aborts. `fn` gets the attempt number
 * (1-based). Rejects with a `StorageError`; when more than one attempt was
 * made, its message ends with "(after N attempts)" and `cause` is the last error.
 *
 * @example
 * ```ts
 * const data = await retrying((attempt) => backend.read('a.txt'), { retries: 5 });
 * ```
 */
export async function retrying<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryPolicyOptions = {},
): Promise<T> {
  const retries = options.retries ?? 3;
  const minDelay = parseDuration(options.minDelay ?? 100, 'minDelay');
  const maxDelay = parseDuration(options.maxDelay ?? 20_000, 'maxDelay');
  const random = options.random ?? Math.random;
  const sleep =
    options.sleep ??
    ((ms: number, signal?: AbortSignal) =>
      abortableSleep(ms, signal, 'The operation was aborted while waiting to retry.'));
  options.budget?.deposit();

  /** Decides whether attempt `failed` (1-based) is followed by another, and waits the backoff if so. */
  const another = async (error: unknown, failed: number): Promise<boolean> => {
    if (failed > retries || !isStorageError(error) || !error.retryable) return false;
    if (options.shouldRetry && !options.shouldRetry(error, failed)) return false;
    if (options.budget && !options.budget.withdraw()) return false;
    const delay = backoffDelay(failed, minDelay, maxDelay, random, error.retryAfterMs);
    options.onRetry?.(error, failed, delay);
    await sleep(delay, options.signal);
    return true;
  };

  let attempts = 1;
  try {
    // The first attempt runs bare: p-retry's bookkeeping is only paid once something failed.
    try {
      return await fn(1);
    } catch (first) {
      if (options.signal?.aborted || !(await another(first, 1))) throw first;
    }
    return await pRetry(
      async (attempt) => {
        attempts = attempt + 1;
        return fn(attempts);
      },
      {
        retries: retries - 1,
        // The delay is applied in `another` (full jitter, Retry-After), so p-retry waits for nothing.
        minTimeout: 0,
        factor: 1,
        signal: options.signal,
        shouldRetry: ({ error, attemptNumber }) => another(error, attemptNumber + 1),
      },
    );
  } catch (e) {
    if (options.signal?.aborted) {
      if (isStorageError(e, 'Aborted')) throw e;
      throw new StorageError('Aborted', 'The operation was aborted while retrying.', { cause: e });
    }
    const error = toStorageError(e, {});
    if (attempts <= 1) throw error;
    throw new StorageError(error.code, `${error.message} (after ${attempts} attempts)`, {
      retryable: error.retryable,
      backend: error.backend,
      operation: error.operation,
      key: error.key,
      status: error.status,
      retryAfterMs: error.retryAfterMs,
      cause: error,
    });
  }
}
