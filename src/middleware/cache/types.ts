/** The public and shared types of the cache: its clock, settings, counters and warm-up result. */

/** A source of time in milliseconds (inject one in tests). */
export interface Clock {
  /** Milliseconds since an arbitrary epoch; never decreases. */
  now(): number;
}

/** Settings of a cache after validation. */
export interface CacheSettings {
  ttl: number;
  maxObjectSize: number;
  clock: Clock;
}

/** Counters returned by `stats()`. */
export interface CacheStats {
  /** Reads, stats and listings answered from the cache (revalidated ones included). */
  hits: number;
  /** Reads, stats and listings that went to the backend. */
  misses: number;
  /** Stale entries confirmed unchanged by an `ifNoneMatch` request. */
  revalidations: number;
  /** Bytes of object data held. */
  bytes: number;
  /** Objects (and infos) held. */
  entries: number;
  /** Entries evicted to stay within `maxSize`. */
  evictions: number;
  /** Listings held. */
  listings: number;
}

/** What `warm()` did. */
export interface WarmResult {
  /** Objects now in the cache. */
  objects: number;
  /** Their bytes. */
  bytes: number;
  /** Objects left out (larger than `maxObjectSize`, or gone meanwhile). */
  skipped: number;
}
