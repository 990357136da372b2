/**
 * Cached listing results, per (backend, prefix, options), kept in memory
 * with the cache's `ttl`. Any write under a listing's prefix drops it, also
 * while the listing is still being read (it is then not stored).
 */
import type { Entry } from '../../core/backend.js';
import { cloneInfo } from '../../core/info.js';

/** Most listings kept; the least recently used leaves first. */
export const MAX_LISTINGS = 256;
/** Listings longer than this are not cached (they would crowd out objects). */
export const MAX_LISTING_ENTRIES = 10_000;

interface CachedListing {
  ns: string;
  prefix: string;
  entries: Entry[];
  storedAt: number;
}

/** A listing being read from the backend. */
export interface PendingListing {
  ns: string;
  prefix: string;
  invalidated: boolean;
}

/** The listing cache. */
export class ListingCache {
  private readonly listings = new Map<string, CachedListing>();
  private readonly pending = new Set<PendingListing>();

  /** A fresh listing, or `undefined`. */
  get(id: string, now: number, ttl: number): Entry[] | undefined {
    const listing = this.listings.get(id);
    if (listing === undefined) return undefined;
    if (now - listing.storedAt >= ttl) {
      this.listings.delete(id);
      return undefined;
    }
    // Re-insert: Map order is the recency order.
    this.listings.delete(id);
    this.listings.set(id, listing);
    return listing.entries;
  }

  /** Starts tracking a listing read from the backend. */
  begin(ns: string, prefix: string): PendingListing {
    const pending = { ns, prefix, invalidated: false };
    this.pending.add(pending);
    return pending;
  }

  /** Stops tracking it; stores the entries when it completed untouched by writes. */
  end(pending: PendingListing, id: string, entries: Entry[] | undefined, storedAt: number): void {
    this.pending.delete(pending);
    if (entries === undefined || pending.invalidated || entries.length > MAX_LISTING_ENTRIES) return;
    this.listings.set(id, { ns: pending.ns, prefix: pending.prefix, entries, storedAt });
    for (const oldest of this.listings.keys()) {
      if (this.listings.size <= MAX_LISTINGS) break;
      this.listings.delete(oldest);
    }
  }

  /** Drops every listing whose prefix covers `key`. */
  invalidate(ns: string, key: string): void {
    for (const [id, listing] of this.listings) {
      if (listing.ns === ns && key.startsWith(listing.prefix)) this.listings.delete(id);
    }
    for (const pending of this.pending) {
      if (pending.ns === ns && key.startsWith(pending.prefix)) pending.invalidated = true;
    }
  }

  /** Drops listings stored before `cutoff` (all when undefined). */
  clear(cutoff?: number): void {
    for (const [id, listing] of this.listings) {
      if (cutoff === undefined || listing.storedAt < cutoff) this.listings.delete(id);
    }
    if (cutoff === undefined) for (const pending of this.pending) pending.invalidated = true;
  }

  /** Listings held. */
  get size(): number {
    return this.listings.size;
  }
}

/** A deep copy of an entry, so callers cannot change what is cached. */
export function cloneEntry(entry: Entry): Entry {
  return entry.type === 'prefix' ? { ...entry } : { type: 'object', ...cloneInfo(entry) };
}
