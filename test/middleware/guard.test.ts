import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { Body, ObjectInfo, WriteOptions } from '../../src/core/backend.js';
import type { StorageError } from '../../src/core/errors.js';
import { ForwardingBackend, layer } from '../../src/core/layer.js';
import { guard } from '../../src/middleware/guard.js';

const prefix = () => `guard-${Math.random().toString(36).slice(2, 10)}/`;

class CountingWrites extends ForwardingBackend {
  writes = 0;
  override write(key: string, body: Body, o?: WriteOptions): Promise<ObjectInfo> {
    this.writes++;
    return super.write(key, body, o);
  }
}

describe('guard', () => {
  it('refuses a body of known size over maxSize before any I/O', async () => {
    const inner = new CountingWrites(memory());
    const storage = layer(inner, guard({ maxSize: '1KiB' }));
    for (const body of [new Uint8Array(1025), 'x'.repeat(2000), new Blob([new Uint8Array(4096)])]) {
      const error = (await storage.write(`${prefix()}k`, body).catch((e) => e)) as StorageError;
      expect(error.code).toBe('InvalidArgument');
      expect(error.message).toMatch(/over the 1024-byte limit/);
    }
    await expect(
      storage.write(`${prefix()}k`, Readable.from([Buffer.alloc(10)]), { size: 5000 }),
    ).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    expect(inner.writes).toBe(0);
    await storage.write(`${prefix()}ok`, new Uint8Array(1024));
    expect(inner.writes).toBe(1);
  });

  it('stops reading a stream of unknown size at the limit and stores nothing', async () => {
    const inner = memory();
    const key = `${prefix()}upload`;
    await inner.write(key, 'previous');
    let produced = 0;
    async function* endless() {
      for (let i = 0; i < 1000; i++) {
        produced++;
        yield Buffer.alloc(1024, 1);
      }
    }
    const storage = layer(inner, guard({ maxSize: 10 * 1024 }));
    const error = (await storage.write(key, endless()).catch((e) => e)) as StorageError;
    expect(error.code).toBe('InvalidArgument');
    expect(error.message).toMatch(/grew past the 10240-byte limit.*nothing was stored/);
    expect(produced).toBeLessThan(100);
    expect(new TextDecoder().decode(await inner.read(key))).toBe('previous');
    const fresh = `${prefix()}fresh`;
    await expect(
      storage.write(fresh, Readable.from([Buffer.alloc(6000), Buffer.alloc(6000)])),
    ).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    expect(await inner.exists(fresh)).toBe(false);
    await storage.write(fresh, Readable.from([Buffer.alloc(5000), Buffer.alloc(5000)]));
    expect((await inner.stat(fresh)).size).toBe(10_000);
  });

  it('reports the smaller maxObjectSize in capabilities', () => {
    expect(layer(memory(), guard({ maxSize: '1MiB' })).capabilities.maxObjectSize).toBe(1024 * 1024);
    expect(
      layer(memory({ limits: { maxObjectSize: 10 } }), guard({ maxSize: '1MiB' })).capabilities.maxObjectSize,
    ).toBe(10);
  });

  it('allows only listed content types, with wildcards, ignoring case and parameters', async () => {
    const storage = layer(memory(), guard({ contentTypes: ['image/*', 'text/plain'] }));
    const p = prefix();
    await storage.write(`${p}a.png`, 'x', { contentType: 'image/png' });
    await storage.write(`${p}a.txt`, 'x', { contentType: 'Text/Plain; charset=utf-8' });
    for (const contentType of ['application/pdf', 'text/html', undefined]) {
      const error = (await storage.write(`${p}bad`, 'x', { contentType }).catch((e) => e)) as StorageError;
      expect(error.code).toBe('InvalidArgument');
      expect(error.message).toMatch(/is not allowed here; allowed: image\/\*, text\/plain/);
    }
    await expect(storage.copy(`${p}a.png`, `${p}b`, { contentType: 'text/html' })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    const any = layer(memory(), guard({ contentTypes: ['*/*'] }));
    await any.write(`${p}c`, 'x');
  });

  it('refuses every mutating call in readOnly mode and lets reads through', async () => {
    const inner = memory();
    const key = `${prefix()}k`;
    await inner.write(key, 'data');
    const storage = layer(inner, guard({ readOnly: true }));
    const refused = [
      () => storage.write(key, 'new'),
      () => storage.delete(key),
      () => storage.deleteMany([key]),
      () => storage.copy(key, `${key}2`),
      () => storage.move(key, `${key}2`),
      () => storage.presign(key, { method: 'PUT', expiresIn: 60 }),
    ];
    for (const call of refused) {
      const error = (await call().catch((e) => e)) as StorageError;
      expect(error.code).toBe('PermissionDenied');
      expect(error.message).toMatch(/read-only/);
    }
    expect(new TextDecoder().decode(await storage.read(key))).toBe('data');
    expect((await storage.stat(key)).size).toBe(4);
    // GET presigning is a read: it reaches the backend (memory cannot presign).
    await expect(storage.presign(key, { method: 'GET', expiresIn: 60 })).rejects.toMatchObject({
      code: 'Unsupported',
    });
    expect(inner.size).toBe(1);
  });

  it('rejects invalid options with InvalidConfig naming the option', () => {
    expect(() => guard({ maxSize: 'huge' })).toThrow(/maxSize/);
    expect(() => guard({ contentTypes: ['png'] })).toThrow(/contentTypes/);
    expect(() => guard({ readOnly: 'yes' as never })).toThrow(/readOnly/);
  });
});
