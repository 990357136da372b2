/**
 * Eviction policies: which entry leaves when the cache is over `maxSize`.
 * Each tracks ids and their sizes only; the entries live in a store.
 */
import { LRUCache } from 'lru-cache';

/** The eviction strategies of the cache. */
export type CacheStrategy = 'lru' | 'lfu' | 'fifo';

/** Tracks entry sizes and picks victims. */
export interface EvictionPolicy {
  /** Adds or replaces an entry; returns the ids evicted to make room (never `id` itself). */
  add(id: string, size: number, hits?: number): string[];
  /** Records a use of an entry (a hit). */
  touch(id: string): void;
  /** Forgets an entry (invalidated or cleared). */
  remove(id: string): void;
  /** Total size of the tracked entries. */
  readonly size: number;
}

/** Makes the policy for a strategy, bounded by `maxSize`. */
export function createPolicy(strategy: CacheStrategy, maxSize: number): EvictionPolicy {
  if (strategy === 'lru') return new LeastRecentlyUsed(maxSize);
  if (strategy === 'lfu') return new LeastFrequentlyUsed(maxSize);
  return new FirstInFirstOut(maxSize);
}

/** Least recently used, on lru-cache (sizes as values, `maxSize` as its bound). */
class LeastRecentlyUsed implements EvictionPolicy {
  private readonly lru: LRUCache<string, number>;
  private evicted: string[] = [];

  constructor(maxSize: number) {
    this.lru = new LRUCache<string, number>({
      maxSize: Math.max(1, maxSize),
      sizeCalculation: (size) => Math.max(1, size),
      dispose: (_size, id, reason) => {
        if (reason === 'evict') this.evicted.push(id);
      },
    });
  }

  add(id: string, size: number): string[] {
    this.evicted = [];
    this.lru.set(id, size);
    return this.evicted.filter((victim) => victim !== id);
  }

  touch(id: string): void {
    this.lru.get(id);
  }

  remove(id: string): void {
    this.lru.delete(id);
  }

  get size(): number {
    return this.lru.calculatedSize;
  }
}

/** First in, first out: the oldest stored entry leaves first, however often it is used. */
class FirstInFirstOut implements EvictionPolicy {
  private readonly sizes = new Map<string, number>();
  private total = 0;

  constructor(private readonly maxSize: number) {}

  add(id: string, size: number): string[] {
    this.remove(id);
    const evicted: string[] = [];
    // Map iteration order is insertion order: the first key is the oldest.
    for (const [victim, victimSize] of this.sizes) {
      if (this.total + size <= this.maxSize) break;
      this.sizes.delete(victim);
      this.total -= victimSize;
      evicted.push(victim);
    }
    this.sizes.set(id, size);
    this.total += size;
    return evicted;
  }

  touch(): void {}

  remove(id: string): void {
    const size = this.sizes.get(id);
    if (size === undefined) return;
    this.sizes.delete(id);
    this.total -= size;
  }

  get size(): number {
    return this.total;
  }
}

/**
 * Least frequently used, in O(1) per operation: entries sit in buckets by use
 * count; the victim is the oldest entry of the lowest bucket (so ties go to
 * the least recently promoted).
 */
class LeastFrequentlyUsed implements EvictionPolicy {
  private readonly entries = new Map<string, { size: number; count: number }>();
  private readonly buckets = new Map<number, Set<string>>();
  private minCount = 1;
  private total = 0;

  constructor(private readonly maxSize: number) {}

  add(id: string, size: number, hits = 0): string[] {
    this.remove(id);
    const evicted: string[] = [];
    while (this.total + size > this.maxSize && this.entries.size > 0) {
      const victim = this.lowest();
      this.remove(victim);
      evicted.push(victim);
    }
    const count = hits + 1;
    this.entries.set(id, { size, count });
    this.bucket(count).add(id);
    this.minCount = Math.min(this.minCount, count);
    this.total += size;
    return evicted;
  }

  touch(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.unbucket(id, entry.count);
    entry.count++;
    this.bucket(entry.count).add(id);
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    this.unbucket(id, entry.count);
    this.total -= entry.size;
  }

  get size(): number {
    return this.total;
  }

  private lowest(): string {
    if (!this.buckets.has(this.minCount)) this.minCount = Math.min(...this.buckets.keys());
    return this.buckets.get(this.minCount)!.values().next().value as string;
  }

  private bucket(count: number): Set<string> {
    let set = this.buckets.get(count);
    if (set === undefined) {
      set = new Set();
      this.buckets.set(count, set);
    }
    return set;
  }

  private unbucket(id: string, count: number): void {
    const set = this.buckets.get(count);
    set?.delete(id);
    if (set?.size === 0) this.buckets.delete(count);
  }
}
