/**
 * The shared state of one `cache()` middleware: the entry store, counters,
 * single-flight fetches, the listing cache, and the backends it wraps (each
 * under its own namespace, so two wrapped backends never share entries).
 */
import type { Entry, ListOptions, ObjectInfo, StorageBackend } from '../../core/backend.js';
import { checkKnownOptions } from '../../core/base.js';
import { isStorageError, StorageError, throwIfAborted } from '../../core/errors.js';
import { assertPrefix } from '../../core/keys.js';
import { cloneEntry, ListingCache } from './listings.js';
import { type CacheEntry, type EntryStore, MemoryEntryStore } from './store.js';
import type { CacheSettings, CacheStats, WarmResult } from './types.js';

export type { CacheSettings, CacheStats, Clock, WarmResult } from './types.js';

/** A fetch shared by concurrent misses on one id. */
interface Flight {
  promise: Promise<Fetched>;
  invalidated: boolean;
}

interface Fetched {
  info: ObjectInfo;
  data?: Uint8Array;
  cacheable: boolean;
}

const LIST_KEYS = new Set(['recursive', 'startAfter', 'limit', 'pageSize', 'signal']);
const WARM_CONCURRENCY = 4;

/** The cache behind every backend one `cache()` middleware wraps. */
export class CacheCore {
  private readonly backends: { ns: string; backend: StorageBackend }[] = [];
  /** Fetches in flight, by entry id: whole reads and stats apart (no id strings built per miss). */
  private readonly readFlights = new Map<string, Flight>();
  private readonly statFlights = new Map<string, Flight>();
  private readonly listings = new ListingCache();
  private hits = 0;
  private misses = 0;
  private revalidations = 0;

  constructor(
    private readonly store: EntryStore,
    readonly settings: CacheSettings,
  ) {}

  /** The namespace of a wrapped backend: its position in wrap order ('0', '1', ...). */
  register(backend: StorageBackend): string {
    const known = this.backends.find((b) => b.backend === backend);
    if (known !== undefined) return known.ns;
    const ns = String(this.backends.length);
    this.backends.push({ ns, backend });
    return ns;
  }

  /**
   * The id of `key` in namespace `ns`. In the in-memory store the first
   * namespace uses the key itself (keys never contain NUL, so no other id
   * can collide with it): building and hashing a new string per lookup was
   * a tenth of a hit's cost. Persistent stores keep `idOf`, the ids they
   * already hold.
   */
  id(ns: string, key: string): string {
    return ns === '0' && this.store instanceof MemoryEntryStore ? key : idOf(ns, key);
  }

  /**
   * A fresh entry from an in-memory store, found without awaiting anything
   * (hits are most calls; sparing them the promise hops of {@link lookup}
   * keeps a hit about as cheap as a memory-backend read). Not counted yet:
   * the caller checks its options first, then calls {@link countHit}.
   * `undefined` sends the caller down the full path.
   */
  freshNow(id: string, needData: boolean): CacheEntry | undefined {
    const store = this.store;
    if (!(store instanceof MemoryEntryStore)) return undefined;
    const entry = store.peek(id);
    if (entry === undefined || (needData && entry.data === undefined)) return undefined;
    if (this.settings.clock.now() - entry.storedAt >= this.settings.ttl) return undefined;
    return entry;
  }

  /** Counts a hit on an entry {@link freshNow} found. */
  countHit(id: string, entry: CacheEntry): void {
    (this.store as MemoryEntryStore).touch(id, entry);
    this.hits++;
  }

  /** A fresh entry (revalidated if stale and the backend can), or `undefined`. Counts a hit. */
  async lookup(
    ns: string,
    key: string,
    backend: StorageBackend,
    needData: boolean,
    signal?: AbortSignal,
    count = true,
  ): Promise<CacheEntry | undefined> {
    const id = this.id(ns, key);
    const entry = await this.safe(() => this.store.get(id));
    if (entry === undefined) return undefined;
    const fresh = this.settings.clock.now() - entry.storedAt < this.settings.ttl;
    if (needData && entry.data === undefined) {
      // An info-only entry of an object too large to cache tells a read to go straight to the backend.
      return fresh && entry.info.size > this.settings.maxObjectSize ? entry : undefined;
    }
    if (fresh) {
      if (count) this.hits++;
      return entry;
    }
    if (!backend.capabilities.conditionalRead || entry.info.etag === undefined) return undefined;
    try {
      await backend.stat(key, { ifNoneMatch: entry.info.etag, signal });
      return undefined; // changed: the caller fetches it again
    } catch (e) {
      if (isStorageError(e, 'NotFound')) {
        // Deleted behind the cache: forget it, and let the caller ask the backend.
        await this.safe(() => this.store.delete(id));
        return undefined;
      }
      if (!isStorageError(e, 'PreconditionFailed')) throw e;
    }
    // 304: unchanged, so the cached bytes are good for another `ttl`.
    const now = this.settings.clock.now();
    entry.storedAt = now;
    await this.safe(() => this.store.refresh(id, now));
    this.revalidations++;
    if (count) this.hits++;
    return entry;
  }

  /** Counts a request that went to the backend. */
  countMiss(): void {
    this.misses++;
  }

  /** Reads a whole object through the cache. Concurrent misses share one fetch. */
  async readObject(
    ns: string,
    key: string,
    backend: StorageBackend,
    signal?: AbortSignal,
    count = true,
  ): Promise<{ info: ObjectInfo; data: Uint8Array }> {
    const id = this.id(ns, key);
    // Nothing held at all (the usual miss, e.g. after a write): no lookup to await.
    const absent = this.store instanceof MemoryEntryStore && this.store.peek(id) === undefined;
    const entry = absent ? undefined : await this.lookup(ns, key, backend, true, signal, count);
    if (entry?.data !== undefined) return { info: entry.info, data: entry.data };
    if (count) this.misses++;
    if (entry !== undefined) return { info: entry.info, data: await backend.read(key, { signal }) };
    const fetched = await this.fly(this.readFlights, id, signal, async () => {
      // stat first: the etag pins the read (so bytes and info agree) and the size decides the bypass.
      const info = await backend.stat(key);
      // Too large: only the info is cached, so the next read skips the stat.
      if (info.size > this.settings.maxObjectSize) {
        return { info, data: await backend.read(key), cacheable: true };
      }
      const pinned = backend.capabilities.conditionalRead && info.etag !== undefined;
      try {
        const data = await backend.read(key, pinned ? { ifMatch: info.etag } : {});
        return { info, data, cacheable: data.byteLength === info.size };
      } catch (e) {
        if (!pinned || !isStorageError(e, 'PreconditionFailed')) throw e;
        // Replaced between stat and read: serve the new bytes, cache nothing.
        return { info, data: await backend.read(key), cacheable: false };
      }
    });
    return { info: fetched.info, data: fetched.data! };
  }

  /** Stats an object through the cache. */
  async statObject(
    ns: string,
    key: string,
    backend: StorageBackend,
    signal?: AbortSignal,
  ): Promise<ObjectInfo> {
    const id = this.id(ns, key);
    const absent = this.store instanceof MemoryEntryStore && this.store.peek(id) === undefined;
    const entry = absent ? undefined : await this.lookup(ns, key, backend, false, signal);
    if (entry !== undefined) return entry.info;
    this.misses++;
    const fetched = await this.fly(this.statFlights, id, signal, async () => ({
      info: await backend.stat(key),
      cacheable: true,
    }));
    return fetched.info;
  }

  /** Lists through the listing cache. */
  list(ns: string, backend: StorageBackend, prefix: string, options: ListOptions): AsyncIterable<Entry> {
    return {
      [Symbol.asyncIterator]: () => this.listEntries(ns, backend, prefix, options)[Symbol.asyncIterator](),
    };
  }

  private async *listEntries(ns: string, backend: StorageBackend, prefix: string, options: ListOptions) {
    assertPrefix(prefix, 'list');
    checkKnownOptions(options, LIST_KEYS, 'list');
    throwIfAborted(options.signal, 'list');
    const { recursive = true, startAfter = null, limit = null } = options;
    const id = JSON.stringify([ns, prefix, recursive, startAfter, limit]);
    const cached = this.listings.get(id, this.settings.clock.now(), this.settings.ttl);
    if (cached !== undefined) {
      this.hits++;
      for (const entry of cached) {
        throwIfAborted(options.signal, 'list');
        yield cloneEntry(entry);
      }
      return;
    }
    this.misses++;
    const pending = this.listings.begin(ns, prefix);
    const storedAt = this.settings.clock.now();
    let collected: Entry[] | undefined = [];
    try {
      for await (const entry of backend.list(prefix, options)) {
        collected?.push(cloneEntry(entry));
        if ((collected?.length ?? 0) > 10_000) collected = undefined;
        yield entry;
      }
      this.listings.end(pending, id, collected, storedAt);
    } finally {
      this.listings.end(pending, id, undefined, storedAt);
    }
  }

  /**
   * Forgets a key (and every listing that could include it), after a change
   * through the cache. Synchronous with the in-memory store (`undefined`,
   * nothing to wait for: a write need not take another promise hop), else
   * a promise of the store's deletion.
   */
  invalidate(ns: string, key: string): Promise<void> | undefined {
    const id = this.id(ns, key);
    // Two calls, not a loop over a new array: every write through the cache comes here.
    forgetFlight(this.readFlights, id);
    forgetFlight(this.statFlights, id);
    this.listings.invalidate(ns, key);
    const store = this.store;
    if (store instanceof MemoryEntryStore) {
      store.drop(id);
      return undefined;
    }
    return this.safe(() => store.delete(id)).then(() => {});
  }

  stats(): CacheStats {
    const counters = this.store.counters();
    return {
      hits: this.hits,
      misses: this.misses,
      revalidations: this.revalidations,
      bytes: counters.bytes,
      entries: counters.entries,
      evictions: counters.evictions,
      listings: this.listings.size,
    };
  }

  /** Drops entries stored (or last revalidated) more than `olderThanMs` ago; all without it. */
  async clear(olderThanMs?: number): Promise<void> {
    const cutoff = olderThanMs === undefined ? undefined : this.settings.clock.now() - olderThanMs;
    if (cutoff === undefined) {
      for (const flights of [this.readFlights, this.statFlights]) {
        for (const flight of flights.values()) flight.invalidated = true;
        flights.clear();
      }
    }
    this.listings.clear(cutoff);
    await this.store.clear(cutoff);
  }

  /** Reads every object under `prefix`, in every wrapped backend, into the cache. */
  async warm(prefix: string): Promise<WarmResult> {
    const result: WarmResult = { objects: 0, bytes: 0, skipped: 0 };
    const running = new Set<Promise<void>>();
    for (const { ns, backend } of this.backends) {
      for await (const entry of backend.list(prefix)) {
        if (entry.type !== 'object') continue;
        if (entry.size > this.settings.maxObjectSize) {
          result.skipped++;
          continue;
        }
        const task: Promise<void> = this.readObject(ns, entry.key, backend, undefined, false)
          .then(({ data }) => {
            result.objects++;
            result.bytes += data.byteLength;
          })
          .catch((e: unknown) => {
            if (!isStorageError(e, 'NotFound')) throw e;
            result.skipped++;
          })
          .finally(() => running.delete(task));
        running.add(task);
        if (running.size >= WARM_CONCURRENCY) await Promise.race(running);
      }
    }
    await Promise.all(running);
    return result;
  }

  /** Persists hit counts (persistent stores). */
  async flush(): Promise<void> {
    await this.safe(() => this.store.flush());
  }

  /**
   * Runs (or joins) the fetch for `id` in `flights`; stores its result unless
   * invalidated meanwhile. The in-memory store takes it synchronously, with
   * no further promise hop.
   */
  private fly(
    flights: Map<string, Flight>,
    id: string,
    signal: AbortSignal | undefined,
    fetch: () => Promise<Fetched>,
  ): Promise<Fetched> {
    let flight = flights.get(id);
    if (flight === undefined) {
      const current: Flight = { invalidated: false, promise: undefined as never };
      current.promise = fetch().then(
        (fetched) => {
          if (flights.get(id) === current) flights.delete(id);
          if (!fetched.cacheable || current.invalidated) return fetched;
          const entry: CacheEntry = { info: fetched.info, storedAt: this.settings.clock.now(), hits: 0 };
          const data = fetched.data;
          if (data !== undefined && data.byteLength <= this.settings.maxObjectSize) entry.data = data;
          const store = this.store;
          if (store instanceof MemoryEntryStore) {
            try {
              store.put(id, entry);
            } catch {
              // As with `safe`: a store failure never fails the call.
            }
            return fetched;
          }
          return this.safe(() => store.set(id, entry)).then(() => fetched);
        },
        (e: unknown) => {
          if (flights.get(id) === current) flights.delete(id);
          throw e;
        },
      );
      flight = current;
      flights.set(id, flight);
    }
    return untilAborted(flight.promise, signal);
  }

  /** Store failures never fail a call: the cache steps aside and the backend answers. */
  private async safe<T>(op: () => Promise<T>): Promise<T | undefined> {
    try {
      return await op();
    } catch {
      return undefined;
    }
  }
}

/** The entry id of a key in a namespace. */
export function idOf(ns: string, key: string): string {
  return `${ns}\u0000${key}`;
}

/** Waits for a shared promise, but lets one caller's signal give up on it alone. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(new StorageError('Aborted', 'The read was aborted', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Marks the fetch of `id` in flight (if any) as invalidated, so its result is not stored, and forgets it. */
function forgetFlight(flights: Map<string, Flight>, id: string): void {
  if (flights.size === 0) return;
  const flight = flights.get(id);
  if (flight === undefined) return;
  flight.invalidated = true;
  flights.delete(id);
}
