/**
 * A cache store kept in any backend (e.g. `local({ root })`), so the cache
 * survives restarts. Each entry is two objects: `d/<id-hash>` (the bytes, for
 * entries cached by a read) and `m/<id-hash>.json` (a small JSON document with
 * the object's info, its size, `storedAt` and `hits`). The metadata document
 * is written last, so an entry exists only once its bytes are complete. On
 * first use the metadata documents are listed and read to rebuild the index;
 * `ttl` is then counted from each entry's `storedAt`.
 */
import { createHash } from 'node:crypto';
import type { ObjectInfo, StorageBackend } from '../../core/backend.js';
import { type CacheStrategy, createPolicy, type EvictionPolicy } from './policies.js';
import { type CacheEntry, ENTRY_OVERHEAD, type EntryStore, type StoreCounters } from './store.js';

/** The JSON document stored for each entry. */
interface EntryMeta {
  v: 1;
  /** The cache id (namespace and key). */
  id: string;
  /** Object info, `lastModified` as an ISO string. */
  info: Omit<ObjectInfo, 'lastModified'> & { lastModified: string };
  /** Bytes of data stored beside it, or `null` for an info-only entry. */
  size: number | null;
  storedAt: number;
  hits: number;
}

const DATA_PREFIX = 'd/';
const META_PREFIX = 'm/';

/** Entries stored as objects in a backend. One process per store. */
export class BackendEntryStore implements EntryStore {
  private readonly index = new Map<string, EntryMeta>();
  private readonly policy: EvictionPolicy;
  private readonly dirty = new Set<string>();
  private readonly chains = new Map<string, Promise<void>>();
  private loading: Promise<void> | undefined;
  private bytes = 0;
  private evictions = 0;

  constructor(
    private readonly store: StorageBackend,
    strategy: CacheStrategy,
    private readonly maxSize: number,
  ) {
    this.policy = createPolicy(strategy, maxSize);
  }

  async get(id: string): Promise<CacheEntry | undefined> {
    await this.load();
    const meta = this.index.get(id);
    if (meta === undefined) return undefined;
    let data: Uint8Array | undefined;
    if (meta.size !== null) {
      try {
        data = await this.store.read(dataKey(id));
      } catch {
        data = undefined;
      }
      // Missing or damaged bytes: the entry is dropped and the read goes to the backend.
      if (data === undefined || data.byteLength !== meta.size) {
        await this.delete(id);
        return undefined;
      }
    }
    if (this.index.get(id) !== meta) return undefined; // invalidated meanwhile
    meta.hits++;
    this.dirty.add(id);
    this.policy.touch(id);
    return { info: reviveInfo(meta.info), data, storedAt: meta.storedAt, hits: meta.hits };
  }

  async set(id: string, entry: CacheEntry): Promise<void> {
    await this.load();
    if ((entry.data?.byteLength ?? 0) + ENTRY_OVERHEAD > this.maxSize) return this.delete(id); // could never fit
    const meta: EntryMeta = {
      v: 1,
      id,
      info: { ...entry.info, lastModified: entry.info.lastModified.toISOString() },
      size: entry.data === undefined ? null : entry.data.byteLength,
      storedAt: entry.storedAt,
      hits: entry.hits,
    };
    await this.serial(id, async () => {
      if (entry.data !== undefined) await this.store.write(dataKey(id), entry.data);
      else if ((this.index.get(id)?.size ?? null) !== null) await this.store.delete(dataKey(id));
      await this.store.write(metaKey(id), JSON.stringify(meta), { contentType: 'application/json' });
      this.track(id, meta);
    });
  }

  async refresh(id: string, storedAt: number): Promise<void> {
    await this.load();
    const meta = this.index.get(id);
    if (meta === undefined) return;
    meta.storedAt = storedAt;
    await this.serial(id, () => this.writeMeta(id));
  }

  async delete(id: string): Promise<void> {
    await this.load();
    this.untrack(id);
    await this.serial(id, async () => {
      this.untrack(id);
      await this.store.delete(metaKey(id));
      await this.store.delete(dataKey(id));
    });
  }

  async clear(cutoff?: number): Promise<void> {
    await this.load();
    const doomed = [...this.index.values()].filter((m) => cutoff === undefined || m.storedAt < cutoff);
    await Promise.all(doomed.map((meta) => this.delete(meta.id)));
    if (cutoff !== undefined) return;
    // Also remove leftovers no index knows about (e.g. bytes whose metadata was never written).
    for (const prefix of [META_PREFIX, DATA_PREFIX]) {
      const keys: string[] = [];
      for await (const entry of this.store.list(prefix)) keys.push(entry.key);
      if (keys.length > 0) await this.store.deleteMany(keys);
    }
  }

  async flush(): Promise<void> {
    const ids = [...this.dirty];
    this.dirty.clear();
    await Promise.all(ids.map((id) => this.serial(id, () => this.writeMeta(id))));
  }

  counters(): StoreCounters {
    return { bytes: this.bytes, entries: this.index.size, evictions: this.evictions };
  }

  /** Rebuilds the index from the metadata documents, oldest first. */
  private load(): Promise<void> {
    this.loading ??= (async () => {
      const metas: EntryMeta[] = [];
      for await (const entry of this.store.list(META_PREFIX)) {
        if (entry.type !== 'object') continue;
        let meta: EntryMeta | undefined;
        try {
          meta = parseMeta(new TextDecoder().decode(await this.store.read(entry.key)));
        } catch {
          meta = undefined;
        }
        if (meta === undefined || metaKey(meta.id) !== entry.key) await this.store.delete(entry.key);
        else metas.push(meta);
      }
      metas.sort((a, b) => a.storedAt - b.storedAt);
      for (const meta of metas) if (!this.index.has(meta.id)) this.track(meta.id, meta);
    })();
    // A store that failed to list is tried again on the next call.
    this.loading.catch(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private track(id: string, meta: EntryMeta): void {
    this.untrack(id);
    this.index.set(id, meta);
    this.bytes += meta.size ?? 0;
    for (const victim of this.policy.add(id, (meta.size ?? 0) + ENTRY_OVERHEAD, meta.hits)) {
      const gone = this.index.get(victim);
      if (gone === undefined) continue;
      this.index.delete(victim);
      this.bytes -= gone.size ?? 0;
      this.evictions++;
      void this.serial(victim, async () => {
        await this.store.delete(metaKey(victim));
        await this.store.delete(dataKey(victim));
      }).catch(() => {});
    }
  }

  private untrack(id: string): void {
    const meta = this.index.get(id);
    if (meta === undefined) return;
    this.index.delete(id);
    this.dirty.delete(id);
    this.bytes -= meta.size ?? 0;
    this.policy.remove(id);
  }

  private async writeMeta(id: string): Promise<void> {
    const meta = this.index.get(id);
    if (meta !== undefined) {
      await this.store.write(metaKey(id), JSON.stringify(meta), { contentType: 'application/json' });
    }
  }

  /** Runs store operations on one id one after another, so a delete cannot overtake a write. */
  private serial(id: string, task: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(task);
    const tail = run.catch(() => {});
    this.chains.set(id, tail);
    void tail.then(() => {
      if (this.chains.get(id) === tail) this.chains.delete(id);
    });
    return run;
  }
}

function hashOf(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

function dataKey(id: string): string {
  return `${DATA_PREFIX}${hashOf(id)}`;
}

function metaKey(id: string): string {
  return `${META_PREFIX}${hashOf(id)}.json`;
}

function reviveInfo(info: EntryMeta['info']): ObjectInfo {
  return {
    ...info,
    lastModified: new Date(info.lastModified),
    metadata: { ...info.metadata },
    ...(info.checksums ? { checksums: { ...info.checksums } } : {}),
  };
}

function parseMeta(text: string): EntryMeta | undefined {
  const value = JSON.parse(text) as Partial<EntryMeta>;
  const ok =
    value.v === 1 &&
    typeof value.id === 'string' &&
    typeof value.storedAt === 'number' &&
    typeof value.hits === 'number' &&
    (value.size === null || typeof value.size === 'number') &&
    typeof value.info === 'object' &&
    value.info !== null &&
    typeof value.info.key === 'string' &&
    typeof value.info.size === 'number' &&
    typeof value.info.lastModified === 'string';
  return ok ? (value as EntryMeta) : undefined;
}
