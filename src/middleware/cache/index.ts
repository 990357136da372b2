/**
 * `cache`: a read-through cache of `read`, `stat` and `list`, in memory or in
 * any backend (a persistent on-disk cache with `store: local({ root })`).
 * Entries expire after `ttl` and are then revalidated with the etag
 * (`ifNoneMatch`) where the backend supports conditional reads; writes,
 * deletes, copies and moves through the cache invalidate what they touch.
 * See docs/cache.md.
 *
 * @example
 * ```ts
 * import { layer } from 'stowage';
 * import { s3 } from 'stowage/s3';
 * import { cache } from 'stowage/middleware';
 * const hot = cache({ ttl: '10m', maxSize: '512MiB', strategy: 'lfu' });
 * const storage = layer(s3({ bucket: 'assets' }), hot);
 * await storage.read('logo.png'); // miss: fetched and cached
 * await storage.read('logo.png'); // hit
 * console.log(hot.stats());       // { hits: 1, misses: 1, ... }
 * ```
 */
import { z } from 'zod';
import type { StorageBackend } from '../../core/backend.js';
import { parseOptions } from '../../core/config.js';
import type { Middleware } from '../../core/layer.js';
import { type Duration, parseDuration, parseSize, type Size } from '../../core/units.js';
import { CachedBackend } from './backend.js';
import { CacheCore, type CacheStats, type Clock, type WarmResult } from './core.js';
import { BackendEntryStore } from './persistent.js';
import type { CacheStrategy } from './policies.js';
import { MemoryEntryStore } from './store.js';

export { CachedBackend } from './backend.js';
export type { CacheStats, Clock as CacheClock, WarmResult as CacheWarmResult } from './core.js';
export type { CacheStrategy } from './policies.js';

/** Options of {@link cache}. */
export interface CacheOptions {
  /**
   * Where entries live. Any backend works; `local({ root })` gives a cache
   * that survives restarts (entries are found again and `ttl` counts from
   * when each was stored). Give the cache a store (or a `scope()`) of its
   * own: `clear()` empties it. One process per store. @default in memory
   */
  store?: StorageBackend;
  /** How long an entry is served without asking the backend; then it is revalidated (or fetched again). @default '1h' */
  ttl?: Duration;
  /** Bound on cached bytes (each entry also counts 128 bytes for its info). @default '256MiB' */
  maxSize?: Size;
  /** Objects larger than this bypass the cache. @default maxSize / 8 */
  maxObjectSize?: Size;
  /** Which entry leaves when full: least recently used, least frequently used, or first in first out. @default 'lru' */
  strategy?: CacheStrategy;
  /** Time source, for tests. @default Date */
  clock?: Clock;
}

/** Options of {@link CacheMiddleware.clear}. */
export interface CacheClearOptions {
  /** Only drop entries stored (or revalidated) longer ago than this. @default every entry */
  olderThan?: Duration;
}

/** The cache middleware: wrap backends with it, and inspect or manage what it holds. */
export interface CacheMiddleware extends Middleware {
  /** Hit, miss, revalidation and eviction counters, and what is held now. */
  stats(): CacheStats;
  /** Drops entries (all, or those older than `olderThan`) and cached listings. */
  clear(options?: CacheClearOptions): Promise<void>;
  /**
   * Reads every object under `prefix` (up to `maxObjectSize`) into the cache,
   * in every backend this middleware wraps. @default prefix ''
   */
  warm(prefix?: string): Promise<WarmResult>;
}

const optionsSchema = z
  .object({
    store: z
      .custom<StorageBackend>(
        (v) => typeof v === 'object' && v !== null && typeof (v as StorageBackend).read === 'function',
        { message: 'must be a storage backend' },
      )
      .optional(),
    ttl: z.union([z.number(), z.string()]).optional(),
    maxSize: z.union([z.number(), z.string()]).optional(),
    maxObjectSize: z.union([z.number(), z.string()]).optional(),
    strategy: z.enum(['lru', 'lfu', 'fifo']).optional(),
    clock: z
      .custom<Clock>((v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function', {
        message: 'must be an object with a now() method',
      })
      .optional(),
  })
  .strict();

/**
 * Creates a cache middleware. One middleware may wrap several backends: each
 * gets its own namespace (its position in wrap order, stable across restarts
 * if the wrapping order is), they share `maxSize`, and `warm()` warms each.
 *
 * @example
 * ```ts
 * import { local } from 'stowage/local';
 * const diskCache = cache({ store: local({ root: '/var/cache/app' }), ttl: '1d' });
 * const storage = layer(gcs({ bucket: 'media' }), diskCache);
 * await diskCache.warm('thumbnails/');
 * ```
 */
export function cache(options: CacheOptions = {}): CacheMiddleware {
  const parsed = parseOptions(optionsSchema, options, 'cache');
  const maxSize = parseSize(parsed.maxSize ?? '256MiB', 'maxSize');
  const maxObjectSize = parseSize(parsed.maxObjectSize ?? Math.floor(maxSize / 8), 'maxObjectSize');
  if (maxObjectSize > maxSize) {
    parseOptions(
      z.object({ maxObjectSize: z.never({ message: 'must not exceed maxSize' }) }),
      { maxObjectSize },
      'cache',
    );
  }
  const ttl = parseDuration(parsed.ttl ?? '1h', 'ttl');
  const strategy = parsed.strategy ?? 'lru';
  const store =
    parsed.store === undefined
      ? new MemoryEntryStore(strategy, maxSize)
      : new BackendEntryStore(parsed.store, strategy, maxSize);
  const core = new CacheCore(store, { ttl, maxObjectSize, clock: parsed.clock ?? Date });
  const wrap: Middleware = (next) => new CachedBackend(next, core, core.register(next));
  return Object.assign(wrap, {
    stats: () => core.stats(),
    clear: async (clearOptions: CacheClearOptions = {}) => {
      const olderThan =
        clearOptions.olderThan === undefined
          ? undefined
          : parseDuration(clearOptions.olderThan, 'olderThan', 'InvalidArgument');
      await core.clear(olderThan);
    },
    warm: (prefix = '') => core.warm(prefix),
  });
}
