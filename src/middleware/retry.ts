/**
 * `retry`: retries failed operations with exponential backoff and full
 * jitter, on the policy the migrate engine shares (`core/retry-policy.ts`):
 * only errors marked `retryable` (RateLimited, Unavailable, Timeout by
 * default), the service's `retryAfterMs` honoured, and a retry budget per
 * wrapped backend so an outage does not multiply the load on it. The final
 * error keeps the last error's code and says "(after N attempts)".
 *
 * Per operation:
 * - `write`: bytes, strings and Blobs are sent again as they are. A streamed
 *   body is kept in memory as it is sent, up to `maxBufferedBody`, and
 *   replayed; once it has grown past that, a failure is not retried (the
 *   error says why), so a truncated body is never sent.
 * - `stream`: opening is retried. With `resumeStreams`, a stream that fails
 *   part-way is reopened from the next byte, pinned to the etag it opened
 *   with; without it, the error reaches the consumer.
 * - `list`: a failing page is retried; entries already yielded are not
 *   repeated (the listing resumes after the last key yielded).
 * - `deleteMany`: keys that failed with retryable errors are deleted again one
 *   by one; the whole call is retried only when `keys` is a synchronous
 *   iterable (an async one cannot be read twice).
 * - `move` and `write` with `ifNotExists`: if an attempt succeeded but its
 *   answer was lost, the retry reports `NotFound` / `AlreadyExists`.
 *
 * Put it outside `timeout` so each attempt gets its own deadline.
 */
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type {
  Body,
  CopyOptions,
  DeleteManyResult,
  DeleteOptions,
  Entry,
  ListOptions,
  ObjectInfo,
  PresignedRequest,
  PresignOptions,
  ReadOptions,
  Signal,
  StatOptions,
  StorageBackend,
  WriteOptions,
} from '../core/backend.js';
import { prepareBody } from '../core/body.js';
import { parseOptions } from '../core/config.js';
import { isStorageError, StorageError, toStorageError } from '../core/errors.js';
import { ForwardingBackend, type Middleware } from '../core/layer.js';
import { RetryBudget, type RetryPolicyOptions, retrying } from '../core/retry-policy.js';
import { type Duration, parseDuration, parseSize, type Size } from '../core/units.js';
import { isReplayable, monotonic, ReplayableBody } from './retry/replay.js';
import { resumeDecision, resumingStream } from './retry/resume.js';

/** Settings of the retry budget (a token bucket shared by the calls through one backend). */
export interface RetryBudgetOptions {
  /** Retries allowed per request made. @default 0.2 */
  readonly ratio?: number;
  /** Retries always allowed per second, whatever the ratio. @default 10 */
  readonly minPerSecond?: number;
  /** Most tokens the bucket holds. @default 100 */
  readonly capacity?: number;
  /** Clock in ms (for tests). @default Date.now */
  readonly now?: () => number;
}

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 3 */
  readonly retries?: number;
  /** Base delay of the exponential backoff. @default '100ms' */
  readonly minDelay?: Duration;
  /** Longest wait between attempts (also caps `retryAfterMs`). @default '20s' */
  readonly maxDelay?: Duration;
  /** Veto: return false to give up on a retryable error. @default retry every retryable error */
  readonly shouldRetry?: (error: StorageError, attempt: number) => boolean;
  /** Called before each retry with the error, the failed attempt (1-based) and the delay in ms. */
  readonly onRetry?: (error: StorageError, attempt: number, delayMs: number) => void;
  /**
   * The retry budget: settings for one budget per wrapped backend, a
   * `RetryBudget` to share between backends, or `false` for none.
   * @default { ratio: 0.2, minPerSecond: 10, capacity: 100 } per wrapped backend
   */
  readonly budget?: RetryBudgetOptions | RetryBudget | false;
  /** Most bytes of a streamed write body kept in memory to replay it. @default '8MiB' */
  readonly maxBufferedBody?: Size;
  /**
   * Resume read streams that fail part-way: `stream()` first stats the object
   * (one more request), opens it pinned to that etag, and after a retryable
   * failure reopens it from the next byte (needs `rangeRead` and
   * `conditionalRead`; otherwise streams are not resumed). @default false
   */
  readonly resumeStreams?: boolean;
  /** Random source in [0, 1) for the jitter (for tests). @default Math.random */
  readonly random?: () => number;
  /** How to wait between attempts (for tests). @default an abortable timer */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const duration = z.union([z.number().nonnegative(), z.string().min(1)]);
const retrySchema = z
  .object({
    retries: z.number().int().nonnegative().optional(),
    minDelay: duration.optional(),
    maxDelay: duration.optional(),
    shouldRetry: z.function().optional(),
    onRetry: z.function().optional(),
    budget: z
      .union([
        z.literal(false),
        z.instanceof(RetryBudget),
        z
          .object({
            ratio: z.number().nonnegative().optional(),
            minPerSecond: z.number().nonnegative().optional(),
            capacity: z.number().nonnegative().optional(),
            now: z.function().optional(),
          })
          .strict(),
      ])
      .optional(),
    maxBufferedBody: z.union([z.number().int().nonnegative(), z.string().min(1)]).optional(),
    resumeStreams: z.boolean().optional(),
    random: z.function().optional(),
    sleep: z.function().optional(),
  })
  .strict();

/**
 * Retries operations that fail with retryable errors.
 *
 * @example
 * ```ts
 * import { layer } from 'stowage';
 * import { retry, timeout } from 'stowage/middleware';
 * const storage = layer(backend, retry({ retries: 5, maxDelay: '10s' }), timeout({ ms: '30s' }));
 * ```
 */
export function retry(options: RetryOptions = {}): Middleware {
  parseOptions(retrySchema, options, 'retry');
  // Parsed now so a bad duration fails at configuration, naming the option.
  const minDelay = parseDuration(options.minDelay ?? '100ms', 'minDelay');
  const maxDelay = parseDuration(options.maxDelay ?? '20s', 'maxDelay');
  const maxBufferedBody = parseSize(options.maxBufferedBody ?? '8MiB', 'maxBufferedBody');
  const { budget } = options;
  return (next) => {
    const policy: RetryPolicyOptions = {
      retries: options.retries ?? 3,
      minDelay,
      maxDelay,
      shouldRetry: options.shouldRetry,
      onRetry: options.onRetry,
      random: options.random,
      sleep: options.sleep,
      budget: budget === false ? undefined : budget instanceof RetryBudget ? budget : new RetryBudget(budget),
    };
    return new RetryBackend(next, policy, maxBufferedBody, options.resumeStreams === true);
  };
}

class RetryBackend extends ForwardingBackend {
  constructor(
    next: StorageBackend,
    private readonly policy: RetryPolicyOptions,
    private readonly maxBufferedBody: number,
    private readonly resumeStreams: boolean,
  ) {
    super(next);
  }

  /**
   * Runs `call`; after a retryable failure, hands over to the shared policy
   * with that failure as attempt 1. The first attempt is made directly,
   * through one plain `then` (no async function), because p-retry costs
   * tens of microseconds per call even when nothing fails, and on a fast
   * backend every promise hop of this layer shows.
   */
  private retried<T>(signal: AbortSignal | undefined, call: (attempt: number) => Promise<T>): Promise<T> {
    let first: Promise<T>;
    try {
      first = call(1);
    } catch (e) {
      return this.afterFailure(e, signal, call);
    }
    return first.then(
      (result) => {
        this.policy.budget?.deposit();
        return result;
      },
      (error: unknown) => this.afterFailure(error, signal, call),
    );
  }

  /** Decides what follows a failed first attempt: the error as it is, `Aborted`, or the retries. */
  private afterFailure<T>(
    first: unknown,
    signal: AbortSignal | undefined,
    call: (attempt: number) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted && !isStorageError(first, 'Aborted')) {
      // Whatever the attempt raised, the caller's abort is the answer.
      return Promise.reject(
        new StorageError('Aborted', 'The operation was aborted.', { backend: this.kind, cause: first }),
      );
    }
    if (!isStorageError(first) || !first.retryable || signal?.aborted) {
      this.policy.budget?.deposit();
      return Promise.reject(first);
    }
    const failed = first;
    // `retrying` deposits for this call itself.
    return retrying((attempt) => (attempt === 1 ? Promise.reject(failed) : call(attempt)), {
      ...this.policy,
      signal,
    });
  }

  override read(key: string, options?: ReadOptions): Promise<Uint8Array> {
    const onProgress = monotonic(options?.onProgress);
    const opts = onProgress === options?.onProgress ? options : { ...options, onProgress };
    return this.retried(options?.signal, () => this.next.read(key, opts));
  }

  override async stream(key: string, options?: ReadOptions): Promise<Readable> {
    const caps = this.next.capabilities;
    if (!this.resumeStreams || !caps.rangeRead || !caps.conditionalRead || options?.version !== undefined) {
      return this.retried(options?.signal, () => this.next.stream(key, options));
    }
    const signal = options?.signal;
    const info = await this.retried(signal, () => this.next.stat(key, { signal }));
    const etag = options?.ifMatch ?? info.etag;
    if (etag === undefined) return this.retried(signal, () => this.next.stream(key, options));
    const { onProgress, ...rest } = options ?? {};
    const offset = rest.range?.offset ?? 0;
    const end =
      rest.range?.length === undefined ? info.size : Math.min(info.size, offset + rest.range.length);
    const first = await this.retried(signal, () => this.next.stream(key, { ...rest, ifMatch: etag }));
    return resumingStream({
      first,
      total: Math.max(0, end - offset),
      onProgress: typeof onProgress === 'function' ? onProgress : undefined,
      reopen: (delivered) =>
        this.retried(signal, () =>
          this.next.stream(key, {
            signal,
            ifMatch: etag,
            range: { offset: offset + delivered, length: end - offset - delivered },
          }),
        ),
      shouldResume: resumeDecision(this.policy, signal),
    });
  }

  override write(key: string, body: Body, options?: WriteOptions): Promise<ObjectInfo> {
    const onProgress = monotonic(options?.onProgress);
    // Options are copied only when there is a progress callback to wrap.
    const opts = onProgress === options?.onProgress ? options : { ...options, onProgress };
    if (isReplayable(body)) return this.retried(options?.signal, () => this.next.write(key, body, opts));
    return this.writeStreamed(key, body, options, opts);
  }

  /** A streamed body, kept as it is sent (up to `maxBufferedBody`) so that it can be sent again. */
  private async writeStreamed(
    key: string,
    body: Body,
    options: WriteOptions | undefined,
    opts: WriteOptions | undefined,
  ): Promise<ObjectInfo> {
    let replay: ReplayableBody;
    try {
      const prepared = prepareBody(body, options?.size);
      replay = new ReplayableBody(prepared.stream(), this.maxBufferedBody);
    } catch (e) {
      throw toStorageError(e, { backend: this.kind, operation: 'write', key });
    }
    let succeeded = false;
    try {
      const info = await this.retried(options?.signal, async () => {
        try {
          return await this.next.write(key, replay.attempt(), opts);
        } catch (e) {
          // Decide only once no read of the source is in flight, so a replay never skips bytes.
          await replay.settle();
          if (replay.replayable || !isStorageError(e) || !e.retryable) throw e;
          throw new StorageError(e.code, `${e.message} Not retried: ${replay.reason}.`, {
            retryable: false,
            backend: e.backend ?? this.kind,
            operation: 'write',
            key,
            status: e.status,
            cause: e,
          });
        }
      });
      succeeded = true;
      return info;
    } finally {
      if (!succeeded) replay.dispose();
    }
  }

  override stat(key: string, options?: StatOptions): Promise<ObjectInfo> {
    return this.retried(options?.signal, () => this.next.stat(key, options));
  }

  override exists(key: string, options?: Signal): Promise<boolean> {
    return this.retried(options?.signal, () => this.next.exists(key, options));
  }

  override list(prefix?: string, options?: ListOptions): AsyncIterable<Entry> {
    return { [Symbol.asyncIterator]: () => this.listEntries(prefix, options) };
  }

  private async *listEntries(prefix: string | undefined, options: ListOptions = {}): AsyncGenerator<Entry> {
    let last: string | undefined;
    let yielded = 0;
    // Resume after the last key yielded, with what is left of the limit.
    const open = () =>
      this.next
        .list(prefix, {
          ...options,
          startAfter: last ?? options.startAfter,
          limit: options.limit === undefined ? undefined : options.limit - yielded,
        })
        [Symbol.asyncIterator]();
    let entries = open();
    try {
      for (;;) {
        let result: IteratorResult<Entry>;
        try {
          result = await entries.next();
        } catch (first) {
          // The failed page counts as attempt 1; later attempts reopen the listing.
          result = await this.retried(options.signal, async (attempt) => {
            if (attempt === 1) throw first;
            entries = open();
            return entries.next();
          });
        }
        if (result.done) return;
        last = result.value.key;
        yielded++;
        yield result.value;
        if (options.limit !== undefined && yielded >= options.limit) return;
      }
    } finally {
      await entries.return?.()?.catch(() => {});
    }
  }

  override delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.retried(options?.signal, () => this.next.delete(key, options));
  }

  override async deleteMany(
    keys: Iterable<string> | AsyncIterable<string>,
    options?: Signal,
  ): Promise<DeleteManyResult> {
    const signal = options?.signal;
    const isObject = keys !== null && typeof keys === 'object';
    // An async iterable of keys can be read once only: that call is not repeated.
    const once = isObject && Symbol.asyncIterator in keys;
    const replay = isObject && !once && Symbol.iterator in keys ? [...(keys as Iterable<string>)] : keys;
    const result = once
      ? await this.next.deleteMany(keys, options)
      : await this.retried(signal, () => this.next.deleteMany(replay, options));
    let deleted = result.deleted;
    const errors: DeleteManyResult['errors'] = [];
    await Promise.all(
      result.errors.map(async (failure) => {
        if (!failure.error.retryable) return errors.push(failure);
        try {
          await this.retried(signal, async (attempt) => {
            if (attempt === 1) throw failure.error;
            return this.next.delete(failure.key, { signal });
          });
          deleted++;
        } catch (e) {
          errors.push({
            key: failure.key,
            error: toStorageError(e, { backend: this.kind, operation: 'delete' }),
          });
        }
      }),
    );
    return { deleted, errors };
  }

  override copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.retried(options?.signal, () => this.next.copy(from, to, options));
  }

  override move(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.retried(options?.signal, () => this.next.move(from, to, options));
  }

  override presign(key: string, options: PresignOptions): Promise<PresignedRequest> {
    return this.retried(undefined, () => this.next.presign(key, options));
  }
}
