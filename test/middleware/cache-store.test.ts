import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { local } from '../../src/backends/local/index.js';
import { memory } from '../../src/backends/memory/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { type CacheStrategy, cache } from '../../src/middleware/cache.js';
import { freshPrefix, keysOf, ManualClock, spyOn } from './cache-helpers.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
const body = (c: string) => c.repeat(100); // 100 bytes: with the 128-byte overhead, 3 fit in 700

/** Reads `survivors` then `victims`; returns which went to the backend. */
async function backendReads(storage: StorageBackend, spy: ReturnType<typeof spyOn>, keys: string[]) {
  const went: string[] = [];
  for (const key of keys) {
    const before = spy.count('read', key);
    await storage.read(key);
    if (spy.count('read', key) > before) went.push(key);
  }
  return went;
}

describe('cache: eviction order of each strategy', () => {
  const cases: [CacheStrategy, string][] = [
    ['lru', 'b'], // a was used again after b, so b is least recently used
    ['lfu', 'c'], // c was used least often
    ['fifo', 'a'], // a came in first, however often it was used
  ];
  for (const [strategy, victim] of cases) {
    for (const where of ['memory', 'store'] as const) {
      it(`${strategy} (${where}) evicts ${victim} first`, async () => {
        const inner = memory();
        const spy = spyOn(inner);
        const middleware = cache({
          strategy,
          maxSize: 700,
          maxObjectSize: 200,
          ...(where === 'store' ? { store: memory() } : {}),
        });
        const storage = middleware(spy);
        const p = freshPrefix();
        const k = (c: string) => `${p}${c}`;
        for (const c of 'abcd') await inner.write(k(c), body(c));
        await storage.read(k('a'));
        await storage.read(k('b'));
        await storage.read(k('a'));
        await storage.read(k('b'));
        await storage.read(k('c'));
        await storage.read(k('a'));
        await storage.read(k('d')); // over budget: one leaves
        expect(middleware.stats()).toMatchObject({ evictions: 1, entries: 3, bytes: 300 });
        const survivors = ['a', 'b', 'c', 'd'].filter((c) => c !== victim).map(k);
        expect(await backendReads(storage, spy, [...survivors, k(victim)])).toEqual([k(victim)]);
      });
    }
  }
});

describe('cache: persistent store', () => {
  it('finds its entries again from a new instance on the same store, ttl counted from storedAt', async () => {
    const store = memory();
    const inner = memory();
    const clock = new ManualClock();
    const p = freshPrefix();
    await inner.write(`${p}a`, 'persisted');
    await inner.write(`${p}b`, 'also');
    const first = cache({ store, clock, ttl: '1h' })(inner);
    await first.read(`${p}a`);
    await first.stat(`${p}b`);
    await first.close();

    const spy = spyOn(inner);
    clock.advance(30 * 60_000);
    const secondMiddleware = cache({ store, clock, ttl: '1h' });
    const second = secondMiddleware(spy);
    expect(text(await second.read(`${p}a`))).toBe('persisted');
    expect((await second.stat(`${p}b`)).size).toBe(4);
    expect(spy.calls).toEqual([]);
    expect(secondMiddleware.stats()).toMatchObject({ entries: 2, bytes: 9, hits: 2 });

    // 31 minutes later the entry is past its ttl: it is revalidated, not trusted.
    clock.advance(31 * 60_000);
    expect(text(await second.read(`${p}a`))).toBe('persisted');
    expect(spy.calls.map((c) => c.op)).toEqual(['stat']);
    expect(secondMiddleware.stats().revalidations).toBe(1);
  });

  it('works on a local directory across restarts, and drops a damaged entry', async () => {
    const root = await mkdtemp(join(tmpdir(), 'stowage-cache-'));
    try {
      const inner = memory();
      const p = freshPrefix();
      await inner.write(`${p}doc`, 'on disk');
      await inner.write(`${p}doc2`, 'second');
      const first = cache({ store: local({ root }) })(inner);
      await first.read(`${p}doc`);
      await first.read(`${p}doc2`);
      await first.close();

      const spy = spyOn(inner);
      const diskStore = local({ root });
      const second = cache({ store: diskStore })(spy);
      expect(text(await second.read(`${p}doc`))).toBe('on disk');
      expect(spy.count('read')).toBe(0);
      // Remove the bytes of every entry: the cache notices and asks the backend.
      for (const key of await keysOf(diskStore.list('d/'))) await diskStore.delete(key);
      expect(text(await second.read(`${p}doc2`))).toBe('second');
      expect(spy.count('read')).toBe(1);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('invalidates persisted entries on writes, and clear() empties the store', async () => {
    const store = memory();
    const inner = memory();
    const middleware = cache({ store });
    const storage = middleware(inner);
    const p = freshPrefix();
    await storage.write(`${p}a`, 'v1');
    await storage.read(`${p}a`);
    expect(store.size).toBe(2); // bytes + metadata document
    await storage.write(`${p}a`, 'v2');
    expect(store.size).toBe(0);
    expect(text(await cache({ store })(inner).read(`${p}a`))).toBe('v2');
    await storage.read(`${p}a`);
    await middleware.clear();
    expect(store.size).toBe(0);
  });

  it('persists hit counts on close, so lfu keeps its order after a restart', async () => {
    const store = memory();
    const inner = memory();
    const p = freshPrefix();
    for (const c of 'abcd') await inner.write(`${p}${c}`, body(c));
    const first = cache({ store, strategy: 'lfu', maxSize: 700, maxObjectSize: 200 })(inner);
    for (const c of 'aaabbc') await first.read(`${p}${c}`);
    await first.close();
    const spy = spyOn(inner);
    const middleware = cache({ store, strategy: 'lfu', maxSize: 700, maxObjectSize: 200 });
    const second = middleware(spy);
    await second.read(`${p}d`); // evicts c, the least used before the restart
    expect(middleware.stats().evictions).toBe(1);
    expect(await backendReads(second, spy, [`${p}a`, `${p}b`, `${p}d`, `${p}c`])).toEqual([`${p}c`]);
  });
});
