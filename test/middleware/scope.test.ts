import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { StorageError } from '../../src/core/errors.js';
import { layer } from '../../src/core/layer.js';
import { scope } from '../../src/middleware/scope.js';

const tenant = () => `tenants/t-${Math.random().toString(36).slice(2, 10)}`;

describe('scope', () => {
  it('stores under the prefix and returns keys relative to it', async () => {
    const inner = memory();
    const root = tenant();
    const storage = layer(inner, scope(root));
    const info = await storage.write('docs/a.txt', 'hello');
    expect(info.key).toBe('docs/a.txt');
    expect(await inner.exists(`${root}/docs/a.txt`)).toBe(true);
    expect((await storage.stat('docs/a.txt')).key).toBe('docs/a.txt');
    expect(new TextDecoder().decode(await storage.read('docs/a.txt'))).toBe('hello');
    await storage.write('top.txt', 'x');
    const flat: string[] = [];
    for await (const e of storage.list()) flat.push(e.key);
    expect(flat).toEqual(['docs/a.txt', 'top.txt']);
    const folders: string[] = [];
    for await (const e of storage.list('', { recursive: false })) folders.push(`${e.type}:${e.key}`);
    expect(folders).toEqual(['prefix:docs/', 'object:top.txt']);
    const after: string[] = [];
    for await (const e of storage.list('', { startAfter: 'docs/a.txt' })) after.push(e.key);
    expect(after).toEqual(['top.txt']);
    expect((await storage.copy('top.txt', 'copy.txt')).key).toBe('copy.txt');
    expect((await storage.move('copy.txt', 'moved.txt')).key).toBe('moved.txt');
    expect(await inner.exists(`${root}/moved.txt`)).toBe(true);
  });

  it('accepts the prefix with or without a trailing slash', async () => {
    const inner = memory();
    const root = tenant();
    await layer(inner, scope(`${root}/`)).write('k', 'x');
    expect(await layer(inner, scope(root)).exists('k')).toBe(true);
  });

  it('lets no key escape the prefix', async () => {
    const inner = memory();
    const root = tenant();
    await inner.write('secret.txt', 'other tenant data');
    await inner.write(`${root}-evil/x`, 'neighbour');
    const storage = layer(inner, scope(root));
    for (const key of [
      '../secret.txt',
      '../../secret.txt',
      'a/../../secret.txt',
      '/secret.txt',
      './x',
      '',
      'a//b',
      'x/',
    ]) {
      for (const call of [
        () => storage.read(key),
        () => storage.write(key, 'pwn'),
        () => storage.delete(key),
      ]) {
        const error = (await call().catch((e) => e)) as StorageError;
        expect(error.code).toBe('InvalidKey');
      }
    }
    await expect(storage.copy('../secret.txt', 'stolen')).rejects.toMatchObject({ code: 'InvalidKey' });
    await expect(storage.list('../')[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: 'InvalidKey',
    });
    const all: string[] = [];
    for await (const e of storage.list()) all.push(e.key);
    expect(all).toEqual([]);
    expect(inner.size).toBe(2);
    expect(new TextDecoder().decode(await inner.read('secret.txt'))).toBe('other tenant data');
  });

  it('keeps tenants apart, even when one prefix starts the other', async () => {
    const inner = memory();
    const a = layer(inner, scope('tenants/a'));
    const ab = layer(inner, scope('tenants/ab'));
    await a.write('k', 'A');
    await ab.write('k', 'AB');
    expect(new TextDecoder().decode(await a.read('k'))).toBe('A');
    const listed: string[] = [];
    for await (const e of a.list()) listed.push(e.key);
    expect(listed).toEqual(['k']);
  });

  it('does not leak the prefix in errors', async () => {
    const root = tenant();
    const storage = layer(memory(), scope(root));
    const error = (await storage.read('missing.txt').catch((e) => e)) as StorageError;
    expect(error.code).toBe('NotFound');
    expect(error.key).toBe('missing.txt');
    expect(error.message).not.toContain(root);
    expect(error.message).toContain('"missing.txt"');
    expect(error.stack ?? '').not.toContain(root);
    const copy = (await storage.copy('nope', 'dest').catch((e) => e)) as StorageError;
    expect(copy.code).toBe('NotFound');
    expect(copy.message).not.toContain(root);
    await storage.write('exists', 'x');
    const conflict = (await storage
      .write('exists', 'y', { ifNotExists: true })
      .catch((e) => e)) as StorageError;
    expect(conflict.code).toBe('AlreadyExists');
    expect(`${conflict.key} ${conflict.message}`).not.toContain(root);
  });

  it('reports the key budget left after the prefix', () => {
    const storage = layer(memory(), scope('tenants/acme'));
    expect(storage.capabilities.maxKeyBytes).toBe(1024 - 'tenants/acme/'.length);
    expect(storage.capabilities.rangeRead).toBe(true);
  });

  it('makes deleteMany relative', async () => {
    const inner = memory();
    const root = tenant();
    const storage = layer(inner, scope(root));
    await storage.write('a', 'x');
    await storage.write('b', 'x');
    expect(await storage.deleteMany(['a', 'b', 'absent'])).toEqual({ deleted: 3, errors: [] });
    expect(inner.size).toBe(0);
    await expect(storage.deleteMany(['ok', '../escape'])).rejects.toMatchObject({ code: 'InvalidKey' });
  });

  it('rejects prefixes that are not valid folders with InvalidConfig', () => {
    for (const bad of ['', '/', '/abs', '../up', 'a/../b', 'a//b', '.', 'a/./b', 'a\u0000b']) {
      expect(() => scope(bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'InvalidConfig' }),
      );
    }
    expect(() => scope(42 as never)).toThrow(/string/);
  });
});
