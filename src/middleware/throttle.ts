/**
 * `throttle`: limits how hard a backend is used. Three independent limits,
 * each optional:
 * - `concurrency`: operations in flight at once, served in arrival order. A `stream()` holds
 *   its slot until the stream ends or is destroyed, because that is when its
 *   connection is released; a `list()` holds a slot only while it waits for
 *   the next entry. (So with `concurrency: 1`, piping `stream()` of this
 *   backend into its own `write()` would wait forever: use `copy()`.)
 * - `opsPerSecond`: operations started per second (one token per call; a
 *   `list()` takes one token however many pages it reads).
 * - `bytesPerSecond`: bandwidth of bodies in both directions, paced chunk by
 *   chunk: a 1 MiB write at 512 KiB/s takes about 2 s. `read()` is served
 *   through a paced stream when this is set.
 *
 * The limits are shared by every backend this middleware value wraps, so one
 * `throttle()` applied to two backends limits them together.
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
import { collect, prepareBody } from '../core/body.js';
import { parseOptions } from '../core/config.js';
import { StorageError, throwIfAborted, toStorageError } from '../core/errors.js';
import { assertKey } from '../core/keys.js';
import { ForwardingBackend, type Middleware } from '../core/layer.js';
import { parseSize, type Size } from '../core/units.js';
import { abortableSleep } from '../core/sleep.js';
import { Pacer, Slots } from './throttle/limits.js';

/** A clock, injectable so tests can check the delays asked for without waiting. */
export interface ThrottleClock {
  /** Current time in ms. */
  now(): number;
  /** Waits `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Options of {@link throttle}. */
export interface ThrottleOptions {
  /** Operations in flight at once. @default unlimited */
  readonly concurrency?: number;
  /** Operations started per second. @default unlimited */
  readonly opsPerSecond?: number;
  /** Body bytes per second, both directions together: bytes or '512KiB'. @default unlimited */
  readonly bytesPerSecond?: Size;
  /** The clock used to pace (for tests). @default real time */
  readonly clock?: ThrottleClock;
}

const throttleSchema = z
  .object({
    concurrency: z.number().int().positive().optional(),
    opsPerSecond: z.number().positive().optional(),
    bytesPerSecond: z.union([z.number().positive(), z.string().min(1)]).optional(),
    clock: z.object({ now: z.function(), sleep: z.function() }).optional(),
  })
  .strict();

/** Largest piece paced at once, so bandwidth stays smooth with big chunks. */
const PACE_CHUNK = 64 * 1024;

const noop = () => {};

const realClock: ThrottleClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => abortableSleep(ms, signal, 'The operation was aborted while throttled.'),
};

interface ThrottleState {
  slots: Slots | undefined;
  ops: Pacer | undefined;
  bytes: Pacer | undefined;
}

/**
 * Limits concurrency, operation rate and bandwidth.
 *
 * @example
 * ```ts
 * import { layer } from 'stowage';
 * import { throttle } from 'stowage/middleware';
 * const storage = layer(backend, throttle({ concurrency: 16, opsPerSecond: 100, bytesPerSecond: '10MiB' }));
 * ```
 */
export function throttle(options: ThrottleOptions = {}): Middleware {
  const parsed = parseOptions(throttleSchema, options, 'throttle');
  const clock = options.clock ?? realClock;
  const bytesPerSecond =
    parsed.bytesPerSecond === undefined ? undefined : parseSize(parsed.bytesPerSecond, 'bytesPerSecond');
  if (bytesPerSecond !== undefined && bytesPerSecond < 1) {
    throw new StorageError(
      'InvalidConfig',
      '[stowage] [throttle] Invalid options: bytesPerSecond: must be at least 1.',
    );
  }
  const state: ThrottleState = {
    slots: parsed.concurrency === undefined ? undefined : new Slots(parsed.concurrency),
    ops: parsed.opsPerSecond === undefined ? undefined : new Pacer(parsed.opsPerSecond, clock, false),
    bytes: bytesPerSecond === undefined ? undefined : new Pacer(bytesPerSecond, clock, true),
  };
  return (next) => new ThrottleBackend(next, state);
}

class ThrottleBackend extends ForwardingBackend {
  constructor(
    next: StorageBackend,
    private readonly state: ThrottleState,
  ) {
    super(next);
  }

  /** Waits for a concurrency slot; resolves with its release function. */
  private slot(signal: AbortSignal | undefined): Promise<() => void> {
    return this.state.slots === undefined ? Promise.resolve(noop) : this.state.slots.take(signal);
  }

  /** Slot, then an operation token; returns the slot's release. */
  private async admit(operation: string, key: string | undefined, signal?: AbortSignal): Promise<() => void> {
    throwIfAborted(signal, operation, key);
    const release = await this.slot(signal);
    try {
      await this.state.ops?.take(1, signal);
      return release;
    } catch (e) {
      release();
      throw e;
    }
  }

  private run<T>(
    operation: string,
    key: string | undefined,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const { slots, ops } = this.state;
    if (slots === undefined && ops === undefined) {
      try {
        throwIfAborted(signal, operation, key);
        return call();
      } catch (e) {
        return Promise.reject(e);
      }
    }
    // Fast path: a free slot and no rate limit, taken without waiting and
    // released by one plain `then` (no async function: on a fast backend
    // every promise hop of this layer shows).
    if (ops === undefined && !signal?.aborted && slots!.tryTakeNow()) {
      let work: Promise<T>;
      try {
        work = call();
      } catch (e) {
        slots!.release();
        return Promise.reject(e);
      }
      return work.then(
        (result) => {
          slots!.release();
          return result;
        },
        (error: unknown) => {
          slots!.release();
          throw error;
        },
      );
    }
    return this.runQueued(operation, key, signal, call);
  }

  /** Waits for a slot and an operation token, then runs `call`. */
  private async runQueued<T>(
    operation: string,
    key: string | undefined,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const release = await this.admit(operation, key, signal).catch((e: unknown) => {
      throw toStorageError(e, { backend: this.kind, operation, key });
    });
    try {
      return await call();
    } finally {
      release();
    }
  }

  /** A pass-through that paces bytes against the shared bandwidth budget. */
  private pacer(signal?: AbortSignal): Transform {
    const bytes = this.state.bytes!;
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        void (async () => {
          for (let offset = 0; offset < chunk.byteLength; offset += PACE_CHUNK) {
            const piece = chunk.subarray(offset, offset + PACE_CHUNK);
            await bytes.take(piece.byteLength, signal);
            this.push(piece);
          }
        })().then(() => callback(), callback);
      },
    });
  }

  override read(key: string, options?: ReadOptions): Promise<Uint8Array> {
    if (this.state.bytes === undefined) {
      return this.run('read', key, options?.signal, () => this.next.read(key, options));
    }
    return this.readPaced(key, options);
  }

  /** Reads through a paced stream, so the bytes arrive at the allowed rate. */
  private async readPaced(key: string, options?: ReadOptions): Promise<Uint8Array> {
    const stream = await this.stream(key, options);
    try {
      return await collect(stream);
    } catch (e) {
      throw toStorageError(e, { backend: this.kind, operation: 'read', key });
    }
  }

  override async stream(key: string, options?: ReadOptions): Promise<Readable> {
    const signal = options?.signal;
    const release = await this.admit('stream', key, signal).catch((e: unknown) => {
      throw toStorageError(e, { backend: this.kind, operation: 'stream', key });
    });
    let source: Readable;
    try {
      source = await this.next.stream(key, options);
    } catch (e) {
      release();
      throw e;
    }
    let out = source;
    if (this.state.bytes !== undefined) {
      out = this.pacer(signal);
      pipeline(source, out as Transform, () => {});
    }
    // The slot is held until the stream is done with, whichever way it ends.
    out.once('close', release);
    return out;
  }

  override write(key: string, body: Body, options?: WriteOptions): Promise<ObjectInfo> {
    if (this.state.bytes === undefined) {
      return this.run('write', key, options?.signal, () => this.next.write(key, body, options));
    }
    return this.run('write', key, options?.signal, async () => {
      let prepared: ReturnType<typeof prepareBody>;
      try {
        assertKey(key, 'write');
        prepared = prepareBody(body, options?.size);
      } catch (e) {
        throw toStorageError(e, { backend: this.kind, operation: 'write', key });
      }
      const paced = this.pacer(options?.signal);
      pipeline(prepared.stream(), paced, () => {});
      return this.next.write(key, paced, { ...options, size: prepared.size });
    });
  }

  override stat(key: string, options?: StatOptions): Promise<ObjectInfo> {
    return this.run('stat', key, options?.signal, () => this.next.stat(key, options));
  }

  override exists(key: string, options?: Signal): Promise<boolean> {
    return this.run('exists', key, options?.signal, () => this.next.exists(key, options));
  }

  override list(prefix?: string, options?: ListOptions): AsyncIterable<Entry> {
    return { [Symbol.asyncIterator]: () => this.listEntries(prefix, options) };
  }

  private async *listEntries(prefix: string | undefined, options?: ListOptions): AsyncGenerator<Entry> {
    const signal = options?.signal;
    await this.state.ops?.take(1, signal);
    const entries = this.next.list(prefix, options)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const release = await this.slot(signal);
        let result: IteratorResult<Entry>;
        try {
          result = await entries.next();
        } finally {
          release();
        }
        if (result.done) return;
        yield result.value;
      }
    } finally {
      await entries.return?.();
    }
  }

  override delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.run('delete', key, options?.signal, () => this.next.delete(key, options));
  }

  override deleteMany(
    keys: Iterable<string> | AsyncIterable<string>,
    options?: Signal,
  ): Promise<DeleteManyResult> {
    return this.run('deleteMany', undefined, options?.signal, () => this.next.deleteMany(keys, options));
  }

  override copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.run('copy', from, options?.signal, () => this.next.copy(from, to, options));
  }

  override move(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.run('move', from, options?.signal, () => this.next.move(from, to, options));
  }

  override presign(key: string, options: PresignOptions): Promise<PresignedRequest> {
    return this.run('presign', key, undefined, () => this.next.presign(key, options));
  }
}
