import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { ObjectInfo, ReadOptions, StorageBackend, WriteOptions } from '../../src/core/backend.js';
import { StorageError } from '../../src/core/errors.js';
import { check, extensionOf, stats } from '../../src/core/helpers.js';
import { ForwardingBackend, layer, type Middleware } from '../../src/core/layer.js';

describe('check', () => {
  it('reports a working backend (empty, then with objects, then with a write probe)', async () => {
    const storage = memory();
    const empty = await check(storage);
    expect(empty).toMatchObject({ ok: true, canList: true, canRead: true });
    expect(empty.canWrite).toBeUndefined();
    expect(empty.latencyMs).toBeGreaterThanOrEqual(0);
    await storage.write('a.txt', 'x');
    expect(await check(storage)).toMatchObject({ ok: true, canList: true, canRead: true });
    const withWrite = await check(storage, { write: true });
    expect(withWrite).toMatchObject({ ok: true, canWrite: true });
    // The probe is cleaned up.
    const keys: string[] = [];
    for await (const e of storage.list('')) keys.push(e.key);
    expect(keys).toEqual(['a.txt']);
  });

  it('never throws: reports the first failure', async () => {
    class ReadOnly extends ForwardingBackend {
      override async write(): Promise<ObjectInfo> {
        throw new StorageError('PermissionDenied', 'read-only', { backend: 'memory' });
      }
    }
    const result = await check(new ReadOnly(memory()), { write: true });
    expect(result).toMatchObject({ ok: false, canList: true, canRead: true, canWrite: false });
    expect(result.error?.code).toBe('PermissionDenied');

    class Broken extends ForwardingBackend {
      override list(): AsyncIterable<never> {
        return {
          [Symbol.asyncIterator]: () => ({
            next: () => Promise.reject(new Error('connection refused')),
          }),
        };
      }
    }
    const broken = await check(new Broken(memory()));
    expect(broken).toMatchObject({ ok: false, canList: false, canRead: false });
    expect(broken.error?.code).toBe('Unknown');
    expect(broken.error?.message).toContain('connection refused');
  });
});

describe('stats', () => {
  it('counts objects and bytes, by extension, under a prefix', async () => {
    const storage = memory();
    await storage.write('img/a.PNG', new Uint8Array(10));
    await storage.write('img/b.png', new Uint8Array(5));
    await storage.write('img/c.jpg', new Uint8Array(7));
    await storage.write('img/README', new Uint8Array(1));
    await storage.write('img/.hidden', new Uint8Array(2));
    await storage.write('doc/x.txt', new Uint8Array(100));
    const all = await stats(storage);
    expect(all.objects).toBe(6);
    expect(all.bytes).toBe(125);
    expect(all.lastModified).toBeInstanceOf(Date);
    const img = await stats(storage, 'img/');
    expect(img).toMatchObject({
      objects: 5,
      bytes: 25,
      byExtension: {
        png: { objects: 2, bytes: 15 },
        jpg: { objects: 1, bytes: 7 },
        '': { objects: 2, bytes: 3 },
      },
    });
    expect(await stats(storage, 'none/')).toEqual({ objects: 0, bytes: 0, byExtension: {} });
  });

  it('rejects a non-string prefix and honours abort', async () => {
    await expect(stats(memory(), 42 as never)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(stats(memory(), '', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'Aborted',
    });
  });

  it('extensionOf', () => {
    expect(extensionOf('a/b.tar.GZ')).toBe('gz');
    expect(extensionOf('a.b/c')).toBe('');
    expect(extensionOf('.env')).toBe('');
  });
});

describe('layer', () => {
  /** A middleware that records the order calls pass through it. */
  const tracer =
    (name: string, log: string[]): Middleware =>
    (next) =>
      new (class extends ForwardingBackend {
        override read(key: string, o?: ReadOptions) {
          log.push(`${name}:read`);
          return super.read(key, o);
        }
        override write(key: string, body: Parameters<StorageBackend['write']>[1], o?: WriteOptions) {
          log.push(`${name}:write`);
          return super.write(key, body, o);
        }
      })(next);

  it('applies the first middleware outermost: a call passes m1, then m2, then m3', async () => {
    const log: string[] = [];
    const storage = layer(memory(), tracer('m1', log), tracer('m2', log), tracer('m3', log));
    await storage.write('k', 'v');
    await storage.read('k');
    expect(log).toEqual(['m1:write', 'm2:write', 'm3:write', 'm1:read', 'm2:read', 'm3:read']);
  });

  it('with no middleware returns the backend itself', () => {
    const base = memory();
    expect(layer(base)).toBe(base);
  });

  it('forwards kind, capabilities and every method', async () => {
    const base = memory();
    const wrapped = layer(base, (next) => new ForwardingBackend(next));
    expect(wrapped.kind).toBe('memory');
    expect(wrapped.capabilities).toBe(base.capabilities);
    await wrapped.write('a', 'x');
    expect(await wrapped.exists('a')).toBe(true);
    expect((await wrapped.stat('a')).size).toBe(1);
    await wrapped.copy('a', 'b');
    await wrapped.move('b', 'c');
    const chunks: Buffer[] = [];
    for await (const c of await wrapped.stream('c')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('x');
    const keys: string[] = [];
    for await (const e of wrapped.list('')) keys.push(e.key);
    expect(keys).toEqual(['a', 'c']);
    expect(await wrapped.deleteMany(['a'])).toEqual({ deleted: 1, errors: [] });
    await wrapped.delete('c');
    await expect(wrapped.presign('c', { method: 'GET', expiresIn: 60 })).rejects.toMatchObject({
      code: 'Unsupported',
    });
    await wrapped.close();
  });
});

describe('memory named stores', () => {
  it('share listings at once between backends of the same name', async () => {
    const name = `shared-${Math.random().toString(36).slice(2)}`;
    const a = memory({ name });
    const b = memory({ name });
    await a.write('k1', '1');
    const seen: string[] = [];
    for await (const e of b.list()) seen.push(e.key);
    await b.write('k0', '0');
    for await (const e of a.list()) seen.push(e.key);
    expect(seen).toEqual(['k1', 'k0', 'k1']);
  });
});
