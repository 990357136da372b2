/**
 * `observe`: one event per operation, for logs, metrics, traces and audit.
 * Each call produces exactly one event when it settles: a `stream()` when the
 * stream ends, fails or is destroyed (with the bytes delivered), a `list()`
 * when the iteration ends (with the number of entries). Events carry keys but
 * never a secret: no presigned URL, no body, no credential, and error
 * messages are not included (only the code).
 *
 * A throwing (or rejecting) `onEvent` never breaks the operation; the error
 * is dropped.
 *
 * Where it sits decides what it measures: outermost, the time the caller
 * waited (retries and throttling included); innermost (just around the
 * backend), each attempt the service saw.
 */
import { pipeline, type Readable, Transform } from 'node:stream';
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
import { parseOptions } from '../core/config.js';
import { type ErrorCode, isStorageError } from '../core/errors.js';
import { ForwardingBackend, type Middleware } from '../core/layer.js';

/** Operations an {@link ObserveEvent} can report. */
export type ObservedOperation =
  | 'read'
  | 'stream'
  | 'write'
  | 'stat'
  | 'exists'
  | 'list'
  | 'delete'
  | 'deleteMany'
  | 'copy'
  | 'move'
  | 'presign'
  | 'close';

/** What {@link observe} reports for each operation. */
export interface ObserveEvent {
  /** The operation. */
  op: ObservedOperation;
  /** The key (the source for copy/move, the prefix for list); absent for deleteMany and close. */
  key?: string;
  /** The destination of copy/move. */
  to?: string;
  /** The backend `kind` ('s3', 'memory', ...). */
  backend: string;
  /** Duration in ms, from the call to its end (for streams and listings: until they end). */
  ms: number;
  /** Body bytes moved: read/stream delivered, write stored, copy/move object size. */
  bytes?: number;
  /** Entries yielded (list) or keys deleted (deleteMany). */
  count?: number;
  /** Whether the operation succeeded. */
  ok: boolean;
  /** The error code when it failed (`Unknown` for a non-StorageError). */
  code?: ErrorCode;
}

/** Options of {@link observe}. */
export interface ObserveOptions {
  /** Receives one event per operation. Exceptions it throws are ignored. */
  readonly onEvent: (event: ObserveEvent) => void;
  /** Clock in ms, for tests. @default performance.now */
  readonly now?: () => number;
}

const observeSchema = z.object({ onEvent: z.function(), now: z.function().optional() }).strict();

/**
 * Reports one event per operation to `onEvent`.
 *
 * @example
 * ```ts
 * import { layer } from 'stowage';
 * import { observe } from 'stowage/middleware';
 * const storage = layer(backend, observe({
 *   onEvent: (e) => console.log(`${e.op} ${e.key ?? ''} ${e.ok ? 'ok' : e.code} ${e.ms.toFixed(1)}ms`),
 * }));
 * ```
 */
export function observe(options: ObserveOptions): Middleware {
  parseOptions(observeSchema, options, 'observe');
  const { onEvent } = options;
  const now = options.now ?? (() => performance.now());
  return (next) => new ObservedBackend(next, onEvent, now);
}

/** How much a result moved: bytes, or entries/keys for `count` operations. */
type Amount<T> = (result: T) => number | undefined;

class ObservedBackend extends ForwardingBackend {
  private backendKind: string | undefined;

  constructor(
    next: StorageBackend,
    private readonly onEvent: (event: ObserveEvent) => void,
    private readonly now: () => number,
  ) {
    super(next);
  }

  private emit(
    op: ObservedOperation,
    key: string | undefined,
    to: string | undefined,
    started: number,
    amount: number | undefined,
    error?: unknown,
  ): void {
    // The kind, read once: through a deep stack each read walks every layer.
    this.backendKind ??= this.kind;
    const event: ObserveEvent = {
      op,
      backend: this.backendKind,
      ms: this.now() - started,
      ok: error === undefined,
    };
    if (key !== undefined) event.key = key;
    if (to !== undefined) event.to = to;
    if (amount !== undefined) {
      if (op === 'deleteMany' || op === 'list') event.count = amount;
      else event.bytes = amount;
    }
    if (error !== undefined) event.code = isStorageError(error) ? error.code : 'Unknown';
    try {
      const result = this.onEvent(event) as unknown;
      // An async handler's rejection is dropped as well.
      if (result instanceof Promise) result.catch(() => {});
    } catch {
      // Observing must never change the outcome of the operation.
    }
  }

  /**
   * Runs `call` and reports its outcome. A plain promise chain (no async
   * function, no per-call option, key or amount objects): this layer sits in
   * front of every call, and on a fast backend each promise hop shows.
   */
  private timed<T>(
    op: ObservedOperation,
    key: string | undefined,
    to: string | undefined,
    call: () => Promise<T>,
    amount?: Amount<T>,
  ): Promise<T> {
    const started = this.now();
    let work: Promise<T>;
    try {
      work = call();
    } catch (e) {
      // A throw with no reason still counts as a failure.
      this.emit(op, key, to, started, undefined, e ?? new Error('failed'));
      return Promise.reject(e);
    }
    return work.then(
      (result) => {
        this.emit(op, key, to, started, amount?.(result));
        return result;
      },
      (error: unknown) => {
        // A rejection with no reason still counts as a failure.
        this.emit(op, key, to, started, undefined, error ?? new Error('failed'));
        throw error;
      },
    );
  }

  override read(key: string, options?: ReadOptions): Promise<Uint8Array> {
    return this.timed('read', key, undefined, () => this.next.read(key, options), byteLength);
  }

  override async stream(key: string, options?: ReadOptions): Promise<Readable> {
    const started = this.now();
    let source: Readable;
    try {
      source = await this.next.stream(key, options);
    } catch (e) {
      this.emit('stream', key, undefined, started, undefined, e);
      throw e;
    }
    let bytes = 0;
    let done = false;
    const counter = new Transform({
      transform(chunk: Uint8Array, _encoding, callback) {
        bytes += chunk.byteLength;
        callback(null, chunk);
      },
    });
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      this.emit('stream', key, undefined, started, bytes, error);
    };
    // Ended: ok. Failed: the error. Destroyed early by the consumer: ok, with the bytes read.
    counter.once('end', () => finish());
    counter.once('error', (e) => finish(e));
    counter.once('close', () => finish(counter.errored ?? undefined));
    pipeline(source, counter, () => {});
    return counter;
  }

  override write(key: string, body: Body, options?: WriteOptions): Promise<ObjectInfo> {
    return this.timed('write', key, undefined, () => this.next.write(key, body, options), bytesOfObject);
  }

  override stat(key: string, options?: StatOptions): Promise<ObjectInfo> {
    return this.timed('stat', key, undefined, () => this.next.stat(key, options));
  }

  override exists(key: string, options?: Signal): Promise<boolean> {
    return this.timed('exists', key, undefined, () => this.next.exists(key, options));
  }

  override list(prefix?: string, options?: ListOptions): AsyncIterable<Entry> {
    return { [Symbol.asyncIterator]: () => this.listEntries(prefix, options) };
  }

  private async *listEntries(prefix: string | undefined, options?: ListOptions): AsyncGenerator<Entry> {
    const started = this.now();
    let count = 0;
    let error: unknown;
    try {
      for await (const entry of this.next.list(prefix, options)) {
        count++;
        yield entry;
      }
    } catch (e) {
      error = e ?? new Error('list failed');
      throw e;
    } finally {
      // Also reached when the consumer stops early (break / return).
      this.emit('list', prefix ?? '', undefined, started, count, error);
    }
  }

  override delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.timed('delete', key, undefined, () => this.next.delete(key, options));
  }

  override deleteMany(
    keys: Iterable<string> | AsyncIterable<string>,
    options?: Signal,
  ): Promise<DeleteManyResult> {
    return this.timed(
      'deleteMany',
      undefined,
      undefined,
      () => this.next.deleteMany(keys, options),
      countDeleted,
    );
  }

  override copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.timed('copy', from, to, () => this.next.copy(from, to, options), bytesOfObject);
  }

  override move(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.timed('move', from, to, () => this.next.move(from, to, options), bytesOfObject);
  }

  override presign(key: string, options: PresignOptions): Promise<PresignedRequest> {
    // The event says a URL was made, never what it is: the URL is a bearer credential.
    return this.timed('presign', key, undefined, () => this.next.presign(key, options));
  }

  override close(): Promise<void> {
    return this.timed('close', undefined, undefined, () => this.next.close());
  }
}

const byteLength = (data: Uint8Array) => data.byteLength;
const bytesOfObject = (info: ObjectInfo) => info.size;
const countDeleted = (result: DeleteManyResult) => result.deleted;
