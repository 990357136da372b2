/**
 * `timeout`: a deadline per operation and an idle timeout on bodies in both
 * directions. It raises `Timeout`, which is retryable, so a `retry` layer
 * outside it gives each attempt a fresh deadline:
 * `layer(backend, retry(), timeout({ ms: '30s' }))`.
 *
 * What the deadline (`ms`) covers:
 * - every call from start to settle, except the transfer of streamed bodies;
 * - `stream()`: until the stream is open (then `idleMs` guards the bytes);
 * - `write()` with a streamed body (a Readable, web stream, async iterable or
 *   Blob): until the backend starts taking the body, and again from the
 *   body's end until the write settles, so a large upload is bounded by
 *   `idleMs` (no progress), not by `ms`; bytes and strings: the whole call;
 * - `list()`: each wait for the next entry (at most one page request); the
 *   time your code spends between entries does not count, so a long listing
 *   never times out as a whole.
 *
 * The deadline aborts the inner call through its `AbortSignal` (combined with
 * the caller's); the caller's own abort still rejects with `Aborted`.
 */
import { getEventListeners } from 'node:events';
import { pipeline, type Readable } from 'node:stream';
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
import { StorageError, toStorageError } from '../core/errors.js';
import { assertKey } from '../core/keys.js';
import { ForwardingBackend, type Middleware } from '../core/layer.js';
import { type Duration, parseDuration } from '../core/units.js';
import { BatchedCall, DeadlineBatch } from './timeout/batch.js';
import { idleGuardedStream, progressWatch } from './timeout/idle.js';
import { listWithDeadlines } from './timeout/list.js';
import { type Timer, TimerWheel } from './timeout/timers.js';

/** Options of {@link timeout}. */
export interface TimeoutOptions {
  /**
   * Deadline of each operation (see the module comment for what it covers).
   * Calls made without a `signal` of their own that start within the same
   * tenth of `ms` (at most 1 s) share one deadline, rounded up to the end of
   * that window: such a call times out between `ms` and `ms` plus a tenth
   * (at most 1 s) after it started. Calls with a signal of their own get
   * the same granularity from a shared timer.
   * @default '30s'
   */
  readonly ms?: Duration;
  /** A body (read stream or write body) that makes no progress for this long fails with `Timeout`. @default '60s' */
  readonly idleMs?: Duration;
}

const duration = z.union([z.number().positive(), z.string().min(1)]);
const timeoutSchema = z.object({ ms: duration.optional(), idleMs: duration.optional() }).strict();

/**
 * Bounds how long each operation may take and how long a body may stall.
 *
 * @example
 * ```ts
 * import { layer } from 'stowage';
 * import { retry, timeout } from 'stowage/middleware';
 * const storage = layer(s3Backend, retry(), timeout({ ms: '10s', idleMs: '30s' }));
 * ```
 */
export function timeout(options: TimeoutOptions = {}): Middleware {
  const parsed = parseOptions(timeoutSchema, options, 'timeout');
  const ms = positive(parseDuration(parsed.ms ?? '30s', 'ms'), 'ms');
  const idleMs = positive(parseDuration(parsed.idleMs ?? '60s', 'idleMs'), 'idleMs');
  return (next) => new TimeoutBackend(next, ms, idleMs);
}

function positive(value: number, option: string): number {
  if (value <= 0) {
    throw new StorageError(
      'InvalidConfig',
      `[stowage] [timeout] Invalid options: ${option}: must be above 0.`,
    );
  }
  return value;
}

/** One guarded call: a signal for the inner call and a promise that rejects on expiry. */
interface Guard {
  signal: AbortSignal;
  /** The deadline timer (stopped while a streamed body flows). */
  deadline: Timer;
  /** Fails the call with `error` (idle timers use it). */
  expire(error: StorageError): void;
}

class TimeoutBackend extends ForwardingBackend {
  private readonly deadlines: TimerWheel;
  private readonly idleTimers: TimerWheel;
  /** Controllers of finished calls, never aborted and with no listener left, for reuse (see `guarded`). */
  private readonly spare: AbortController[] = [];
  /** Width of a batching window: calls without a signal starting within one share a deadline. */
  private readonly window: number;
  /** The batch new calls without a signal join (see `batched`). */
  private batch: DeadlineBatch | undefined;

  constructor(
    next: StorageBackend,
    private readonly ms: number,
    private readonly idleMs: number,
  ) {
    super(next);
    this.deadlines = new TimerWheel(ms);
    this.idleTimers = new TimerWheel(idleMs);
    this.window = Math.max(1, Math.min(1000, Math.ceil(ms / 10)));
  }

  private timeoutError(operation: string, key: string | undefined, what: string): StorageError {
    return new StorageError(
      'Timeout',
      `${operation}${key === undefined ? '' : ` of ${JSON.stringify(key)}`} ${what}; the service may be slow or unreachable (a retry layer outside this one retries it).`,
      { backend: this.kind, operation, key, retryable: true },
    );
  }

  /**
   * Runs `call` under a deadline shared with the other calls made without a
   * signal that started in the same window (see timeout/batch.ts): no
   * controller, timer or listener of its own, which is what makes this layer
   * cheap in front of a fast backend. At the deadline the call rejects with
   * `Timeout` even if the inner call ignores the signal, and the inner call
   * is aborted through the shared signal.
   */
  private batched<T>(
    operation: string,
    key: string | undefined,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    let batch = this.batch;
    if (batch === undefined) {
      batch = new DeadlineBatch(
        this.window,
        this.ms,
        (expired) => this.timeoutError(expired.operation, expired.key, `did not finish within ${this.ms} ms`),
        () =>
          this.timeoutError(
            operation,
            undefined,
            `(a call started in the same window) did not finish within ${this.ms} ms`,
          ),
        (closed) => {
          if (this.batch === closed) this.batch = undefined;
        },
      );
      this.batch = batch;
    }
    let work: Promise<T>;
    try {
      work = call(batch.signal);
    } catch (e) {
      return Promise.reject(e);
    }
    const pending = new BatchedCall<T>(operation, key);
    const joined = batch;
    joined.join(pending);
    work.then(
      (value) => {
        if (pending.settled) return;
        pending.settled = true;
        joined.leave(pending);
        pending.resolve(value);
      },
      (error: unknown) => {
        if (pending.settled) return;
        pending.settled = true;
        joined.leave(pending);
        pending.reject(error);
      },
    );
    return pending.promise;
  }

  /** A call without a signal of its own joins a batch; one with a signal is guarded alone. */
  private deadline<T>(
    operation: string,
    key: string | undefined,
    callerSignal: AbortSignal | undefined,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (callerSignal === undefined) return this.batched(operation, key, call);
    return this.guarded(operation, key, callerSignal, ({ signal }) => call(signal));
  }

  /**
   * Runs `call` under the deadline. On expiry the inner call is aborted and
   * the result is a `Timeout` at once (even if the inner call ignores its
   * signal), unless the caller aborted first: then it is the caller's
   * `Aborted`.
   *
   * A controller per call. Making one costs more than a whole call on a fast
   * backend (~3.5 µs and garbage-collector work in Node 20), so the
   * controller of a call that ended without being aborted, and whose signal
   * no one listens to any more, is reused. The caller's signal is linked by
   * hand: cheaper than AbortSignal.any, and it holds nothing after the call.
   * Written with one promise and no async function, for the same reason.
   */
  private guarded<T>(
    operation: string,
    key: string | undefined,
    callerSignal: AbortSignal | undefined,
    call: (guard: Guard) => Promise<T>,
    /** Keep the caller's signal linked after the call settles (a stream's body still flows). */
    linkBeyondCall = false,
  ): Promise<T> {
    let controller: AbortController;
    let signal: AbortSignal;
    let onCallerAbort: (() => void) | undefined;
    if (linkBeyondCall) {
      // A stream's body flows after the call: its signal stays linked and is never reused.
      controller = new AbortController();
      signal = callerSignal ? AbortSignal.any([callerSignal, controller.signal]) : controller.signal;
    } else {
      const own = this.spare.pop() ?? new AbortController();
      controller = own;
      signal = own.signal;
      if (callerSignal?.aborted) own.abort(callerSignal.reason);
      else if (callerSignal !== undefined) {
        onCallerAbort = () => own.abort(callerSignal.reason);
        callerSignal.addEventListener('abort', onCallerAbort, { once: true });
      }
    }
    return new Promise<T>((resolve, reject) => {
      let expired = false;
      const finish = () => {
        deadline.stop();
        if (onCallerAbort !== undefined) callerSignal?.removeEventListener('abort', onCallerAbort);
        if (
          !linkBeyondCall &&
          !signal.aborted &&
          this.spare.length < 256 &&
          getEventListeners(signal, 'abort').length === 0
        ) {
          this.spare.push(controller);
        }
      };
      const expire = (error: StorageError) => {
        if (expired || callerSignal?.aborted) return;
        expired = true;
        controller.abort(error);
        finish();
        reject(error);
      };
      const deadline = this.deadlines.timer(() =>
        expire(this.timeoutError(operation, key, `did not finish within ${this.ms} ms`)),
      );
      deadline.start();
      let work: Promise<T>;
      try {
        work = call({ signal, deadline, expire });
      } catch (e) {
        finish();
        reject(e);
        return;
      }
      work.then(
        (value) => {
          if (expired) return;
          finish();
          resolve(value);
        },
        (error: unknown) => {
          if (expired) return;
          finish();
          reject(error);
        },
      );
    });
  }

  override read(key: string, options?: ReadOptions): Promise<Uint8Array> {
    return this.deadline('read', key, options?.signal, (signal) =>
      this.next.read(key, withSignal(options, signal)),
    );
  }

  override async stream(key: string, options?: ReadOptions): Promise<Readable> {
    const source = await this.guarded(
      'stream',
      key,
      options?.signal,
      ({ signal }) => this.next.stream(key, { ...options, signal }),
      true,
    );
    return idleGuardedStream(source, this.idleTimers, () =>
      this.timeoutError('stream', key, `delivered no bytes for ${this.idleMs} ms`),
    );
  }

  override write(key: string, body: Body, options?: WriteOptions): Promise<ObjectInfo> {
    if (typeof body === 'string' || body instanceof Uint8Array) {
      return this.deadline('write', key, options?.signal, (signal) =>
        this.next.write(key, body, withSignal(options, signal)),
      );
    }
    // A streamed body: its own deadline, paused while the body flows.
    return this.guarded('write', key, options?.signal, ({ signal, deadline, expire }) => {
      let prepared: ReturnType<typeof prepareBody>;
      try {
        assertKey(key, 'write');
        prepared = prepareBody(body, options?.size);
      } catch (e) {
        return Promise.reject(toStorageError(e, { backend: this.kind, operation: 'write', key }));
      }
      const idle = this.idleTimers.timer(() =>
        expire(this.timeoutError('write', key, `made no progress on the body for ${this.idleMs} ms`)),
      );
      // Every chunk that passes restarts the idle timer; a source that stops
      // producing, or a backend that stops taking (backpressure), lets it fire.
      const activity = progressWatch(idle, deadline);
      pipeline(prepared.stream(), activity, () => {});
      return this.next
        .write(key, activity, { ...options, size: prepared.size, signal })
        .finally(() => idle.stop());
    });
  }

  override stat(key: string, options?: StatOptions): Promise<ObjectInfo> {
    return this.deadline('stat', key, options?.signal, (signal) =>
      this.next.stat(key, withSignal(options, signal)),
    );
  }

  override exists(key: string, options?: Signal): Promise<boolean> {
    return this.deadline('exists', key, options?.signal, (signal) =>
      this.next.exists(key, withSignal(options, signal)),
    );
  }

  override list(prefix?: string, options?: ListOptions): AsyncIterable<Entry> {
    return {
      [Symbol.asyncIterator]: () =>
        listWithDeadlines(this.next, prefix, options, this.deadlines, () =>
          this.timeoutError('list', prefix, `waited over ${this.ms} ms for the next entry`),
        ),
    };
  }

  override delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.deadline('delete', key, options?.signal, (signal) =>
      this.next.delete(key, withSignal(options, signal)),
    );
  }

  override deleteMany(
    keys: Iterable<string> | AsyncIterable<string>,
    options?: Signal,
  ): Promise<DeleteManyResult> {
    return this.deadline('deleteMany', undefined, options?.signal, (signal) =>
      this.next.deleteMany(keys, withSignal(options, signal)),
    );
  }

  override copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.deadline('copy', from, options?.signal, (signal) =>
      this.next.copy(from, to, withSignal(options, signal)),
    );
  }

  override move(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.deadline('move', from, options?.signal, (signal) =>
      this.next.move(from, to, withSignal(options, signal)),
    );
  }

  override presign(key: string, options: PresignOptions): Promise<PresignedRequest> {
    return this.batched('presign', key, () => this.next.presign(key, options));
  }

  override close(): Promise<void> {
    return this.batched('close', undefined, () => this.next.close());
  }
}

/** The caller's options with the layer's signal in place of theirs (a copy: the object is the caller's). */
function withSignal<O extends { signal?: AbortSignal }>(options: O | undefined, signal: AbortSignal): O {
  return options === undefined ? ({ signal } as O) : { ...options, signal };
}
