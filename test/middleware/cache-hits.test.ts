/**
 * The synchronous hit path of the in-memory cache: copies even from a
 * backend that hands out Buffers, the checks a hit still makes, and two
 * wrapped backends never sharing entries.
 */
import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { ReadOptions } from '../../src/core/backend.js';
import { ForwardingBackend, layer } from '../../src/core/layer.js';
import { cache } from '../../src/middleware/cache.js';
import { freshPrefix } from './cache-helpers.js';

/** Returns the bytes as a Buffer (as many SDKs do), whose `slice` makes a view. */
class BufferReads extends ForwardingBackend {
  override async read(key: string, options?: ReadOptions): Promise<Uint8Array> {
    const bytes = await super.read(key, options);
    return Buffer.from(bytes);
  }
}

describe('cache: hits', () => {
  it('hands out copies even when the backend returns Buffers', async () => {
    const storage = layer(new BufferReads(memory()), cache());
    const key = `${freshPrefix()}k`;
    await storage.write(key, 'hello');
    const miss = await storage.read(key);
    miss.fill(0);
    const hit = await storage.read(key);
    expect(Buffer.from(hit).toString()).toBe('hello');
    hit.fill(0);
    expect(Buffer.from(await storage.read(key)).toString()).toBe('hello');
    const range = await storage.read(key, { range: { offset: 1, length: 2 } });
    range.fill(0);
    expect(Buffer.from(await storage.read(key)).toString()).toBe('hello');
  });

  it('still rejects a key that is not a string, even one whose text is cached', async () => {
    const middleware = cache();
    const storage = layer(memory(), middleware);
    await storage.write('5', 'five');
    await storage.read('5');
    await storage.stat('5');
    const before = middleware.stats().hits;
    await expect(storage.read(5 as unknown as string)).rejects.toMatchObject({ code: 'InvalidKey' });
    await expect(storage.stat(5 as unknown as string)).rejects.toMatchObject({ code: 'InvalidKey' });
    expect(middleware.stats().hits).toBe(before);
  });

  it('checks the options of a hit, and does not count a rejected call as a hit', async () => {
    const middleware = cache();
    const storage = layer(memory(), middleware);
    const key = `${freshPrefix()}k`;
    await storage.write(key, 'hello');
    await storage.read(key);
    const before = middleware.stats().hits;
    await expect(storage.read(key, { bogus: 1 } as ReadOptions)).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    const controller = new AbortController();
    controller.abort();
    await expect(storage.stat(key, { signal: controller.signal })).rejects.toMatchObject({ code: 'Aborted' });
    await expect(storage.read(key, { range: { offset: 9 } })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    expect(middleware.stats().hits).toBe(before);
  });

  it('keeps the entries of two wrapped backends apart', async () => {
    const middleware = cache();
    const a = layer(memory({ name: `a-${freshPrefix()}` }), middleware);
    const b = layer(memory({ name: `b-${freshPrefix()}` }), middleware);
    await a.write('k', 'from a');
    await b.write('k', 'from b');
    expect(Buffer.from(await a.read('k')).toString()).toBe('from a');
    expect(Buffer.from(await b.read('k')).toString()).toBe('from b');
    expect(Buffer.from(await a.read('k')).toString()).toBe('from a');
    expect((await b.stat('k')).size).toBe(6);
  });
});
