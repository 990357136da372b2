import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import { collect } from '../../src/core/body.js';
import { isStorageError } from '../../src/core/errors.js';
import { cache } from '../../src/middleware/cache.js';
import { freshPrefix, keysOf, ManualClock, spyOn } from './cache-helpers.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

function setup(options: Parameters<typeof cache>[0] = {}) {
  const inner = memory();
  const spy = spyOn(inner);
  const clock = new ManualClock();
  const middleware = cache({ clock, ...options });
  const storage = middleware(spy);
  return { inner, spy, clock, middleware, storage, p: freshPrefix() };
}

describe('cache: read-through', () => {
  it('serves repeated reads from the cache and counts hits and misses', async () => {
    const { spy, middleware, storage, p } = setup();
    await storage.write(`${p}a`, 'alpha');
    expect(text(await storage.read(`${p}a`))).toBe('alpha');
    expect(text(await storage.read(`${p}a`))).toBe('alpha');
    expect(text(await collect(await storage.stream(`${p}a`)))).toBe('alpha');
    expect(text(await storage.read(`${p}a`, { range: { offset: 1, length: 3 } }))).toBe('lph');
    expect(spy.count('read')).toBe(1);
    expect(spy.count('stream')).toBe(0);
    expect(middleware.stats()).toMatchObject({ hits: 3, misses: 1, entries: 1, bytes: 5 });
    // Callers get copies: changing one does not change the cache.
    const copy = await storage.read(`${p}a`);
    copy[0] = 0;
    expect(text(await storage.read(`${p}a`))).toBe('alpha');
  });

  it('caches stat and exists, and listings per prefix and options', async () => {
    const { spy, storage, p } = setup();
    await storage.write(`${p}x/1`, '1');
    await storage.write(`${p}x/2`, '22');
    expect((await storage.stat(`${p}x/2`)).size).toBe(2);
    expect((await storage.stat(`${p}x/2`)).size).toBe(2);
    expect(spy.count('stat')).toBe(1);
    expect(await storage.exists(`${p}x/2`)).toBe(true);
    expect(spy.count('stat')).toBe(1);
    expect(await keysOf(storage.list(p))).toEqual([`${p}x/1`, `${p}x/2`]);
    expect(await keysOf(storage.list(p))).toEqual([`${p}x/1`, `${p}x/2`]);
    expect(await keysOf(storage.list(p, { recursive: false }))).toEqual([`${p}x/`]);
    expect(spy.count('list')).toBe(2);
    // A listing abandoned part way is not cached.
    for await (const _ of storage.list(`${p}x`)) break;
    await keysOf(storage.list(`${p}x`));
    expect(spy.count('list')).toBe(4);
  });

  it('expires entries after ttl using the injected clock', async () => {
    const inner = memory();
    const spy = spyOn(inner);
    // A backend without conditional reads cannot revalidate: stale entries are fetched again.
    const plain = Object.create(spy, {
      capabilities: { get: () => ({ ...inner.capabilities, conditionalRead: false }) },
    });
    const clock = new ManualClock();
    const storage = cache({ ttl: '1m', clock })(plain);
    const p = freshPrefix();
    await inner.write(`${p}a`, 'v1');
    await storage.read(`${p}a`);
    clock.advance(59_000);
    await storage.read(`${p}a`);
    expect(spy.count('read')).toBe(1);
    await inner.write(`${p}a`, 'v2'); // behind the cache's back
    clock.advance(2_000);
    expect(text(await storage.read(`${p}a`))).toBe('v2');
    expect(spy.count('read')).toBe(2);
  });

  it('revalidates a stale entry with ifNoneMatch and keeps the bytes on 304', async () => {
    const { spy, clock, middleware, storage, p, inner } = setup({ ttl: '10s' });
    await storage.write(`${p}a`, 'same');
    await storage.read(`${p}a`);
    clock.advance(11_000);
    spy.reset();
    expect(text(await storage.read(`${p}a`))).toBe('same');
    const etag = (await inner.stat(`${p}a`)).etag;
    expect(spy.calls).toEqual([
      { op: 'stat', key: `${p}a`, options: { ifNoneMatch: etag, signal: undefined } },
    ]);
    expect(middleware.stats().revalidations).toBe(1);
    // Fresh again for another ttl.
    clock.advance(9_000);
    await storage.read(`${p}a`);
    expect(spy.calls.length).toBe(1);
    // Changed behind the cache: the revalidation sees it and the new bytes are fetched.
    await inner.write(`${p}a`, 'changed');
    clock.advance(2_000);
    expect(text(await storage.read(`${p}a`))).toBe('changed');
  });

  it('lets objects larger than maxObjectSize bypass the cache', async () => {
    const { spy, middleware, storage, p } = setup({ maxSize: 10_000, maxObjectSize: 100 });
    await storage.write(`${p}big`, 'x'.repeat(101));
    await storage.write(`${p}small`, 'x'.repeat(100));
    await storage.read(`${p}big`);
    await storage.read(`${p}big`);
    await storage.read(`${p}small`);
    await storage.read(`${p}small`);
    expect(spy.count('read', `${p}big`)).toBe(2);
    expect(spy.count('read', `${p}small`)).toBe(1);
    // Only the big object's info is kept: the second read skipped the stat.
    expect(spy.count('stat', `${p}big`)).toBe(1);
    expect(middleware.stats()).toMatchObject({ bytes: 100, entries: 2 });
    expect((await storage.stat(`${p}big`)).size).toBe(101);
    expect(spy.count('stat', `${p}big`)).toBe(1);
  });

  it('shares one backend read among concurrent misses (single-flight)', async () => {
    const { spy, storage, p } = setup();
    await storage.write(`${p}a`, 'shared');
    const results = await Promise.all(Array.from({ length: 20 }, () => storage.read(`${p}a`)));
    expect(results.map(text)).toEqual(Array(20).fill('shared'));
    expect(spy.count('read')).toBe(1);
    expect(spy.count('stat')).toBe(1);
  });

  it('passes conditional and versioned reads straight to the backend', async () => {
    const { spy, storage, p } = setup();
    const info = await storage.write(`${p}a`, 'abc');
    await storage.read(`${p}a`);
    await storage.read(`${p}a`, { ifMatch: info.etag });
    expect(spy.count('read')).toBe(2);
    const e = await storage.read(`${p}a`, { ifNoneMatch: info.etag }).catch((x: unknown) => x);
    expect(isStorageError(e, 'PreconditionFailed')).toBe(true);
  });
});

describe('cache: invalidation through the cache', () => {
  it('write, delete, deleteMany, copy and move each drop what they change', async () => {
    const { storage, p } = setup();
    const warm = async (...keys: string[]) => {
      for (const key of keys) await storage.read(key).catch(() => undefined);
      await keysOf(storage.list(p));
    };
    await storage.write(`${p}a`, 'a1');
    await warm(`${p}a`);
    await storage.write(`${p}a`, 'a2');
    expect(text(await storage.read(`${p}a`))).toBe('a2');
    expect(await keysOf(storage.list(p))).toEqual([`${p}a`]);

    await storage.write(`${p}b`, 'b1');
    expect(await keysOf(storage.list(p))).toEqual([`${p}a`, `${p}b`]);
    await storage.delete(`${p}b`);
    expect(await storage.exists(`${p}b`)).toBe(false);
    expect(await keysOf(storage.list(p))).toEqual([`${p}a`]);

    await storage.write(`${p}c`, 'c1');
    await warm(`${p}c`);
    await storage.deleteMany([`${p}c`]);
    await expect(storage.read(`${p}c`)).rejects.toMatchObject({ code: 'NotFound' });
    expect(await keysOf(storage.list(p))).toEqual([`${p}a`]);

    await storage.write(`${p}d`, 'd-old');
    await warm(`${p}d`);
    await storage.copy(`${p}a`, `${p}d`);
    expect(text(await storage.read(`${p}d`))).toBe('a2');

    await storage.write(`${p}e`, 'e-old');
    await warm(`${p}a`, `${p}e`);
    await storage.move(`${p}a`, `${p}e`);
    expect(text(await storage.read(`${p}e`))).toBe('a2');
    expect(await storage.exists(`${p}a`)).toBe(false);
    await expect(storage.stat(`${p}a`)).rejects.toMatchObject({ code: 'NotFound' });
    expect(await keysOf(storage.list(p))).toEqual([`${p}d`, `${p}e`]);
  });

  it('does not cache a read that raced with a write', async () => {
    const { storage, inner, p } = setup();
    await inner.write(`${p}a`, 'old');
    const reading = storage.read(`${p}a`);
    await storage.write(`${p}a`, 'new');
    await reading;
    expect(text(await storage.read(`${p}a`))).toBe('new');
  });
});

describe('cache: management', () => {
  it('clear({ olderThan }) drops only older entries; clear() drops all', async () => {
    const { clock, middleware, storage, spy, p } = setup();
    await storage.write(`${p}old`, 'o');
    await storage.write(`${p}new`, 'n');
    await storage.read(`${p}old`);
    clock.advance(60_000);
    await storage.read(`${p}new`);
    await middleware.clear({ olderThan: '30s' });
    expect(middleware.stats().entries).toBe(1);
    spy.reset();
    await storage.read(`${p}new`);
    await storage.read(`${p}old`);
    expect(spy.count('read')).toBe(1);
    await middleware.clear();
    expect(middleware.stats()).toMatchObject({ entries: 0, bytes: 0, listings: 0 });
  });

  it('warm(prefix) reads every object under the prefix into the cache', async () => {
    const { inner, spy, middleware, storage, p } = setup({ maxSize: 100_000, maxObjectSize: 1000 });
    await inner.write(`${p}w/1`, 'one');
    await inner.write(`${p}w/2`, 'two');
    await inner.write(`${p}w/big`, 'x'.repeat(2000));
    await inner.write(`${p}other`, 'not warmed');
    expect(await middleware.warm(`${p}w/`)).toEqual({ objects: 2, bytes: 6, skipped: 1 });
    spy.reset();
    expect(text(await storage.read(`${p}w/1`))).toBe('one');
    expect(text(await storage.read(`${p}w/2`))).toBe('two');
    expect(spy.count('read')).toBe(0);
  });

  it('keeps the entries of two wrapped backends apart and warms both', async () => {
    const middleware = cache();
    const a = memory();
    const b = memory();
    await a.write('same-key', 'from a');
    await b.write('same-key', 'from b');
    const ca = middleware(a);
    const cb = middleware(b);
    expect(text(await ca.read('same-key'))).toBe('from a');
    expect(text(await cb.read('same-key'))).toBe('from b');
    await middleware.clear();
    expect((await middleware.warm('')).objects).toBe(2);
  });

  it('validates its options with InvalidConfig naming the option', () => {
    for (const [options, name] of [
      [{ ttl: 'soon' }, 'ttl'],
      [{ maxSize: 'huge' }, 'maxSize'],
      [{ strategy: 'random' }, 'strategy'],
      [{ maxSize: 100, maxObjectSize: 200 }, 'maxObjectSize'],
      [{ clock: 5 }, 'clock'],
    ] as const) {
      let error: unknown;
      try {
        cache(options as never);
      } catch (e) {
        error = e;
      }
      expect(isStorageError(error, 'InvalidConfig')).toBe(true);
      expect(String((error as Error).message)).toContain(name);
    }
  });
});

describe('cache: edges', () => {
  it('never holds an entry larger than maxSize, whatever the strategy', async () => {
    for (const strategy of ['lru', 'lfu', 'fifo'] as const) {
      const { middleware, storage, p } = setup({ strategy, maxSize: 1000, maxObjectSize: 1000 });
      await storage.write(`${p}a`, 'x'.repeat(950)); // 950 + 128 > 1000
      await storage.read(`${p}a`);
      expect(middleware.stats()).toMatchObject({ entries: 0, bytes: 0 });
    }
  });

  it('answers exists() with false for an entry deleted behind its back once stale', async () => {
    const { inner, clock, storage, p } = setup({ ttl: '1s' });
    await storage.write(`${p}a`, 'here');
    await storage.stat(`${p}a`);
    await inner.delete(`${p}a`);
    clock.advance(2000);
    expect(await storage.exists(`${p}a`)).toBe(false);
    await expect(storage.read(`${p}a`)).rejects.toMatchObject({ code: 'NotFound' });
  });
});

describe('cache: results are copies', () => {
  it('stat returns a plain ObjectInfo that callers may change freely', async () => {
    const { storage, p } = setup();
    await storage.write(`${p}a`, 'abc', { metadata: { k: 'v' } });
    const first = await storage.stat(`${p}a`);
    expect('type' in first).toBe(false);
    first.metadata.k = 'changed';
    first.lastModified.setTime(0);
    const second = await storage.stat(`${p}a`);
    expect(second.metadata).toEqual({ k: 'v' });
    expect(second.lastModified.getTime()).not.toBe(0);
  });
});

describe('cache: concurrency', () => {
  it('does not cache a listing that a write through the cache overlapped', async () => {
    const { spy, storage, p } = setup();
    await storage.write(`${p}a`, '1');
    await storage.write(`${p}b`, '2');
    const seen: string[] = [];
    for await (const entry of storage.list(p)) {
      seen.push(entry.key);
      if (seen.length === 1) await storage.write(`${p}c`, '3');
    }
    expect(await keysOf(storage.list(p))).toEqual([`${p}a`, `${p}b`, `${p}c`]);
    expect(spy.count('list')).toBe(2);
  });

  it('lets one caller abort its wait on a shared fetch without failing the others', async () => {
    const { storage, p } = setup();
    await storage.write(`${p}a`, 'shared');
    const controller = new AbortController();
    const aborted = storage.read(`${p}a`, { signal: controller.signal });
    const other = storage.read(`${p}a`);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'Aborted' });
    expect(text(await other)).toBe('shared');
  });
});
