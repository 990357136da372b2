import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { ObjectInfo, StorageBackend } from '../../src/core/backend.js';
import { ForwardingBackend } from '../../src/core/layer.js';
import { BandwidthLimit } from '../../src/migrate/bandwidth.js';
import { copy, copyObject, fnv1a32, inShard } from '../../src/migrate/index.js';
import { Recording } from './helpers.js';

describe('copy', () => {
  it('streams across backends keeping content type, metadata and headers', async () => {
    const from = memory();
    const to = new Recording(memory());
    await from.write('a/b.txt', 'hello', {
      contentType: 'text/plain',
      metadata: { owner: 'ann' },
      cacheControl: 'max-age=60',
      contentDisposition: 'attachment',
    });
    const progress: number[] = [];
    const info = await copy(from, 'a/b.txt', to, 'c/d.txt', { onProgress: (p) => progress.push(p.loaded) });
    expect(info.size).toBe(5);
    const stat = await to.stat('c/d.txt');
    expect(stat).toMatchObject({
      contentType: 'text/plain',
      metadata: { owner: 'ann' },
      cacheControl: 'max-age=60',
      contentDisposition: 'attachment',
    });
    expect(Buffer.from(await to.read('c/d.txt')).toString()).toBe('hello');
    expect(to.writes).toEqual(['c/d.txt']);
    expect(progress.at(-1)).toBe(5);
  });

  it('copies server-side when both ends are the same backend', async () => {
    const store = new Recording(memory());
    await store.write('x', 'data');
    const outcome = await copyObject(store, 'x', store, 'y');
    expect(outcome.serverSide).toBe(true);
    expect(store.copies).toEqual(['y']);
    expect(store.writes).toEqual(['x']);
  });

  it('uses a backend-provided serverSideCopyTo hook, and streams when it declines', async () => {
    const target = memory();
    const calls: string[] = [];
    class Hooked extends ForwardingBackend {
      accept = true;
      async serverSideCopyTo(
        to: StorageBackend,
        fromKey: string,
        toKey: string,
      ): Promise<ObjectInfo | undefined> {
        calls.push(`${fromKey}->${toKey}`);
        if (!this.accept) return undefined;
        return to.write(toKey, await this.read(fromKey));
      }
    }
    const source = new Hooked(memory());
    await source.write('k', 'v');
    expect((await copyObject(source, 'k', target, 'k1')).serverSide).toBe(true);
    source.accept = false;
    expect((await copyObject(source, 'k', target, 'k2')).serverSide).toBe(false);
    expect(calls).toEqual(['k->k1', 'k->k2']);
    expect(Buffer.from(await target.read('k2')).toString()).toBe('v');
  });

  it('verifies by checksum and fails with IntegrityError when the target differs', async () => {
    const from = memory();
    await from.write('k', 'right');
    class Corrupting extends ForwardingBackend {
      override async write(key: string, _body: unknown, options?: object) {
        return super.write(key, 'wrong', { ...options, size: undefined });
      }
    }
    await expect(copy(from, 'k', memory(), 'k', { verify: 'checksum' })).resolves.toMatchObject({ size: 5 });
    await expect(
      copy(from, 'k', new Corrupting(memory()), 'k', { verify: 'checksum' }),
    ).rejects.toMatchObject({
      code: 'IntegrityError',
    });
  });

  it('honours ifNotExists and aborts', async () => {
    const from = memory();
    const to = memory();
    await from.write('k', 'v');
    await to.write('k', 'old');
    await expect(copy(from, 'k', to, 'k', { ifNotExists: true })).rejects.toMatchObject({
      code: 'AlreadyExists',
    });
    await expect(copy(from, 'k', to, 'k2', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'Aborted',
    });
    expect(await to.exists('k2')).toBe(false);
  });

  it('limits bandwidth through a shared schedule', async () => {
    let now = 0;
    const limit = new BandwidthLimit(1000, () => now);
    // The first 100 ms are a burst allowance; after that each byte books 1 ms.
    expect(limit.reserve(100)).toBe(0);
    expect(limit.reserve(1000)).toBe(1000);
    now = 1100;
    expect(limit.reserve(100)).toBe(0);
    const from = memory();
    await from.write('k', new Uint8Array(200_000));
    const real = new BandwidthLimit(4_000_000);
    const info = await copy(from, 'k', memory(), 'k', { bandwidth: real });
    expect(info.size).toBe(200_000);
  });
});

describe('shard', () => {
  it('hashes with FNV-1a and splits keys without overlap', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    const keys = Array.from({ length: 1000 }, (_, i) => `photos/${i}.jpg`);
    const first = keys.filter((k) => inShard(k, { index: 0, count: 3 }));
    const second = keys.filter((k) => inShard(k, { index: 1, count: 3 }));
    const third = keys.filter((k) => inShard(k, { index: 2, count: 3 }));
    expect(first.length + second.length + third.length).toBe(1000);
    expect(new Set([...first, ...second, ...third]).size).toBe(1000);
    expect(Math.min(first.length, second.length, third.length)).toBeGreaterThan(250);
  });
});
