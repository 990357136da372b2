/** The backend the `cache` middleware returns: read-through for read/stat/list, invalidating on changes. */
import { Readable } from 'node:stream';
import type {
  Body,
  CopyOptions,
  DeleteManyResult,
  DeleteOptions,
  Entry,
  ListOptions,
  ObjectInfo,
  ReadOptions,
  Signal,
  StatOptions,
  StorageBackend,
  WriteOptions,
} from '../../core/backend.js';
import { checkKnownOptions } from '../../core/base.js';
import { meter } from '../../core/body.js';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import { assertKey } from '../../core/keys.js';
import { ForwardingBackend } from '../../core/layer.js';
import { assertRange, resolveRange } from '../../core/range.js';
import type { CacheCore } from './core.js';
import { cloneInfo } from '../../core/info.js';

const READ_KEYS = new Set(['range', 'ifMatch', 'ifNoneMatch', 'version', 'signal', 'onProgress']);
const STAT_KEYS = new Set(['version', 'ifMatch', 'ifNoneMatch', 'signal']);
const SIGNAL_KEYS = new Set(['signal']);
/** The options of a call made without any (shared: never changed). */
const NO_OPTIONS = Object.freeze({});

/** A backend behind a read-through cache. Made by `cache()`. */
export class CachedBackend extends ForwardingBackend {
  constructor(
    next: StorageBackend,
    private readonly core: CacheCore,
    private readonly ns: string,
  ) {
    super(next);
  }

  /**
   * A hit is answered without an async function or an await (one resolved
   * promise): hits are most calls, and in front of a fast backend every
   * promise hop shows. Misses take {@link readMiss}.
   */
  override read(key: string, options: ReadOptions = NO_OPTIONS): Promise<Uint8Array> {
    try {
      const id = typeof key === 'string' ? this.core.id(this.ns, key) : undefined;
      const hit = id === undefined ? undefined : this.core.freshNow(id, true);
      checkRead(key, options, READ_KEYS, 'read', hit !== undefined);
      // Conditional and versioned reads ask the backend a question the cache cannot answer.
      if (bypasses(options)) return this.next.read(key, options);
      if (hit?.data === undefined) return this.readMiss(key, options);
      const out = copyOf(hit.data, options.range);
      this.core.countHit(id!, hit);
      return Promise.resolve(delivered(out, options.onProgress));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async readMiss(key: string, options: ReadOptions): Promise<Uint8Array> {
    const { range, onProgress, signal } = options;
    if (range === undefined) {
      const { data } = await this.core.readObject(this.ns, key, this.next, signal);
      return delivered(copyOf(data, undefined), onProgress);
    }
    const entry = await this.core.lookup(this.ns, key, this.next, true, signal);
    if (entry?.data === undefined) {
      // A range of an object not cached whole goes to the backend as it is.
      this.core.countMiss();
      return this.next.read(key, options);
    }
    return delivered(copyOf(entry.data, range), onProgress);
  }

  /** Served from the cache when the whole object is cached; otherwise streamed from the backend (not cached). */
  override async stream(key: string, options: ReadOptions = {}): Promise<Readable> {
    checkRead(key, options, READ_KEYS, 'stream', false);
    if (bypasses(options)) return this.next.stream(key, options);
    const entry = await this.core.lookup(this.ns, key, this.next, true, options.signal);
    if (entry?.data === undefined) {
      this.core.countMiss();
      return this.next.stream(key, options);
    }
    const { start, end } = resolveRange(options.range, entry.data.byteLength);
    // A copy: the consumer may change the chunks it gets, the cache keeps its own bytes.
    const slice = Buffer.from(entry.data.subarray(start, end));
    const source = Readable.from(slice.length === 0 ? [] : [slice], { objectMode: false });
    if (options.onProgress === undefined) return source;
    return source.pipe(meter({ onProgress: options.onProgress, total: slice.length }));
  }

  /** A hit is answered without an async function (see `read`). */
  override stat(key: string, options: StatOptions = NO_OPTIONS): Promise<ObjectInfo> {
    try {
      const id = typeof key === 'string' ? this.core.id(this.ns, key) : undefined;
      const hit = id === undefined ? undefined : this.core.freshNow(id, false);
      checkRead(key, options, STAT_KEYS, 'stat', hit !== undefined);
      if (bypasses(options)) return this.next.stat(key, options);
      if (hit !== undefined) {
        this.core.countHit(id!, hit);
        return Promise.resolve(cloneInfo(hit.info));
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return this.core.statObject(this.ns, key, this.next, options.signal).then(cloneInfo);
  }

  override async exists(key: string, options: Signal = {}): Promise<boolean> {
    assertKey(key, 'exists');
    checkKnownOptions(options, SIGNAL_KEYS, 'exists');
    throwIfAborted(options.signal, 'exists', key);
    const entry = await this.core.lookup(this.ns, key, this.next, false, options.signal, false);
    return entry !== undefined || this.next.exists(key, options);
  }

  override list(prefix = '', options: ListOptions = {}): AsyncIterable<Entry> {
    return this.core.list(this.ns, this.next, prefix, options);
  }

  override write(key: string, body: Body, options?: WriteOptions): Promise<ObjectInfo> {
    return this.thenInvalidate(key, () => this.next.write(key, body, options));
  }

  override delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.thenInvalidate(key, () => this.next.delete(key, options));
  }

  /**
   * Runs a change, then forgets `key` whether it succeeded or not. One plain
   * `then` when the store is in memory (forgetting is then synchronous).
   */
  private thenInvalidate<T>(key: string, change: () => Promise<T>): Promise<T> {
    let work: Promise<T>;
    try {
      work = change();
    } catch (e) {
      return Promise.resolve(this.afterInvalidate(key, () => Promise.reject(e)));
    }
    return work.then(
      (result) => this.afterInvalidate(key, () => result),
      (error: unknown) => this.afterInvalidate(key, () => Promise.reject(error)),
    );
  }

  /** Forgets `key`, then gives `outcome`. */
  private afterInvalidate<T>(key: string, outcome: () => T | Promise<T>): T | Promise<T> {
    const pending = this.core.invalidate(this.ns, key);
    return pending === undefined ? outcome() : pending.then(outcome);
  }

  override async deleteMany(
    keys: Iterable<string> | AsyncIterable<string>,
    options?: Signal,
  ): Promise<DeleteManyResult> {
    const seen: string[] = [];
    const tapped =
      keys !== null && typeof keys === 'object' && (Symbol.iterator in keys || Symbol.asyncIterator in keys)
        ? (async function* () {
            for await (const key of keys as AsyncIterable<string>) {
              seen.push(key);
              yield key;
            }
          })()
        : keys;
    try {
      return await this.next.deleteMany(tapped, options);
    } finally {
      for (const key of seen) if (typeof key === 'string') await this.core.invalidate(this.ns, key);
    }
  }

  override async copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    try {
      return await this.next.copy(from, to, options);
    } finally {
      if (typeof to === 'string') await this.core.invalidate(this.ns, to);
    }
  }

  override async move(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    try {
      return await this.next.move(from, to, options);
    } finally {
      if (typeof from === 'string') await this.core.invalidate(this.ns, from);
      if (typeof to === 'string') await this.core.invalidate(this.ns, to);
    }
  }

  /** Persists hit counts of a persistent cache, then closes the backend (not the cache store). */
  override async close(): Promise<void> {
    await this.core.flush();
    await this.next.close();
  }
}

function bypasses(options: ReadOptions | StatOptions): boolean {
  return options.ifMatch !== undefined || options.ifNoneMatch !== undefined || options.version !== undefined;
}

/**
 * The checks the backend would make, made here too because a hit never
 * reaches it. A key found in the cache was accepted by the backend when it
 * was cached, so it is not checked again (`keyIsKnown`).
 */
function checkRead(
  key: string,
  options: ReadOptions | StatOptions,
  allowed: ReadonlySet<string>,
  operation: string,
  keyIsKnown: boolean,
): void {
  if (!keyIsKnown) assertKey(key, operation);
  checkKnownOptions(options, allowed, operation);
  throwIfAborted(options.signal, operation, key);
  const range = (options as ReadOptions).range;
  if (range !== undefined) assertRange(range);
  const onProgress = (options as ReadOptions).onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new StorageError('InvalidArgument', '`onProgress` must be a function.');
  }
}

/**
 * A copy of the cached bytes (of `range`, when given). Always a copy, made
 * with the typed-array `slice`: `Buffer#slice` would return a view, and a
 * caller changing it would change what the cache serves next.
 */
function copyOf(data: Uint8Array, range: ReadOptions['range']): Uint8Array {
  if (range === undefined) return Uint8Array.prototype.slice.call(data);
  const { start, end } = resolveRange(range, data.byteLength);
  return Uint8Array.prototype.slice.call(data, start, end);
}

/** Reports the whole read as progress, once. */
function delivered(out: Uint8Array, onProgress: ReadOptions['onProgress']): Uint8Array {
  onProgress?.({ loaded: out.byteLength, total: out.byteLength });
  return out;
}
