/** Where cache entries live: the interface, and the in-memory store. */
import type { ObjectInfo } from '../../core/backend.js';
import { createPolicy, type CacheStrategy, type EvictionPolicy } from './policies.js';

/** Bytes each entry counts for its info, on top of its data. */
export const ENTRY_OVERHEAD = 128;

/** One cached object: its info, and its bytes when a full read cached them. */
export interface CacheEntry {
  /** The object's info as the backend reported it. */
  info: ObjectInfo;
  /** The whole object, when cached by a read (a `stat` caches the info only). */
  data?: Uint8Array;
  /** When the entry was stored or last revalidated (clock ms). */
  storedAt: number;
  /** Hits since it was stored. */
  hits: number;
}

/** Counters kept by a store. */
export interface StoreCounters {
  /** Bytes of cached object data. */
  bytes: number;
  /** Entries held. */
  entries: number;
  /** Entries evicted to keep within `maxSize`. */
  evictions: number;
}

/** The operations the cache needs from where its entries live. */
export interface EntryStore {
  /** The entry, counted as a use for eviction; `undefined` when absent. */
  get(id: string): Promise<CacheEntry | undefined>;
  /** Stores an entry (replacing any), evicting others to stay within the size bound. */
  set(id: string, entry: CacheEntry): Promise<void>;
  /** Marks an entry fresh again (revalidated) at `storedAt`. */
  refresh(id: string, storedAt: number): Promise<void>;
  /** Removes an entry. */
  delete(id: string): Promise<void>;
  /** Removes entries stored before `cutoff` (all when `cutoff` is undefined). */
  clear(cutoff?: number): Promise<void>;
  /** Persists what is only in memory (hit counts). */
  flush(): Promise<void>;
  /** Current counters. */
  counters(): StoreCounters;
}

/** Size an entry counts for. */
export function entrySize(entry: CacheEntry): number {
  return (entry.data?.byteLength ?? 0) + ENTRY_OVERHEAD;
}

/** Entries in a Map, evicted by the chosen policy. */
export class MemoryEntryStore implements EntryStore {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly policy: EvictionPolicy;
  private bytes = 0;
  private evictions = 0;

  constructor(
    strategy: CacheStrategy,
    private readonly maxSize: number,
  ) {
    this.policy = createPolicy(strategy, maxSize);
  }

  /** The entry without counting a use (the synchronous fast path of hits). */
  peek(id: string): CacheEntry | undefined {
    return this.entries.get(id);
  }

  /** Counts a use of an entry found by {@link peek}. */
  touch(id: string, entry: CacheEntry): void {
    entry.hits++;
    this.policy.touch(id);
  }

  async get(id: string): Promise<CacheEntry | undefined> {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    entry.hits++;
    this.policy.touch(id);
    return entry;
  }

  async set(id: string, entry: CacheEntry): Promise<void> {
    this.put(id, entry);
  }

  /** {@link set}, synchronously. */
  put(id: string, entry: CacheEntry): void {
    this.drop(id);
    if (entrySize(entry) > this.maxSize) return; // could never fit
    this.entries.set(id, entry);
    this.bytes += entry.data?.byteLength ?? 0;
    for (const victim of this.policy.add(id, entrySize(entry), entry.hits)) {
      this.drop(victim, false);
      this.evictions++;
    }
  }

  async refresh(id: string, storedAt: number): Promise<void> {
    const entry = this.entries.get(id);
    if (entry !== undefined) entry.storedAt = storedAt;
  }

  async delete(id: string): Promise<void> {
    this.drop(id);
  }

  async clear(cutoff?: number): Promise<void> {
    for (const [id, entry] of this.entries) {
      if (cutoff === undefined || entry.storedAt < cutoff) this.drop(id);
    }
  }

  async flush(): Promise<void> {}

  counters(): StoreCounters {
    return { bytes: this.bytes, entries: this.entries.size, evictions: this.evictions };
  }

  /** Removes an entry, synchronously. */
  drop(id: string, fromPolicy = true): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    this.bytes -= entry.data?.byteLength ?? 0;
    if (fromPolicy) this.policy.remove(id);
  }
}
