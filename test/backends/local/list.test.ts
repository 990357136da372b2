/** Listing walks folders in key order, hides the backend's own files and never yields empty folders. */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '../../../src/core/keys.js';
import { fresh, keysOf } from './helpers.js';

describe('local: listing', () => {
  it('merges folders with sibling files in UTF-8 byte order', async () => {
    const { storage } = fresh();
    const keys = ['a/x', 'a.txt', 'a-b', 'a0', 'a/b/c', 'a/b.d', 'b', 'é/1', 'z', '\u{1F600}', '\uFFFD'];
    for (const key of keys) await storage.write(key, key);
    const expected = [...keys].sort(compareKeys);
    expect(await keysOf(storage.list())).toEqual(expected);
    expect(await keysOf(storage.list('a'))).toEqual(expected.filter((k) => k.startsWith('a')));
    expect(await keysOf(storage.list('', { recursive: false }))).toEqual([
      'a-b',
      'a.txt',
      'a/ (prefix)',
      'a0',
      'b',
      'z',
      'é/ (prefix)',
      '\uFFFD',
      '\u{1F600}',
    ]);
    expect(await keysOf(storage.list('a/', { recursive: false }))).toEqual(['a/b.d', 'a/b/ (prefix)', 'a/x']);
  });

  it('skips whole folders before startAfter and resumes inside one', async () => {
    const { storage } = fresh();
    for (const key of ['a/1', 'a/2', 'b/1', 'b/2', 'b/3/x', 'c']) await storage.write(key, 'x');
    expect(await keysOf(storage.list('', { startAfter: 'b/1' }))).toEqual(['b/2', 'b/3/x', 'c']);
    expect(await keysOf(storage.list('', { startAfter: 'b/' }))).toEqual(['b/1', 'b/2', 'b/3/x', 'c']);
    expect(await keysOf(storage.list('', { startAfter: 'b/3/x' }))).toEqual(['c']);
    expect(await keysOf(storage.list('', { startAfter: 'a', limit: 2 }))).toEqual(['a/1', 'a/2']);
  });

  it('never lists sidecars, temp or lock files, nor folders holding only those', async () => {
    const { root, storage } = fresh();
    await storage.write('keep/me', 'x', { metadata: { a: 'b' } });
    // What crashed writers could leave behind.
    mkdirSync(join(root, 'ghost', 'deeper'), { recursive: true });
    writeFileSync(join(root, 'ghost', '.stowage-tmp-0123456789abcdef'), 'partial');
    writeFileSync(join(root, 'ghost', 'deeper', '.stowage-lock-abc'), '{}');
    writeFileSync(join(root, 'keep', '.stowage-tmp-feedface'), 'partial');
    mkdirSync(join(root, 'empty', 'folders'), { recursive: true });
    expect(await keysOf(storage.list())).toEqual(['keep/me']);
    expect(await keysOf(storage.list('', { recursive: false }))).toEqual(['keep/ (prefix)']);
    expect(await keysOf(storage.list('ghost/'))).toEqual([]);
  });

  it('lists a folder of 2,000 files in order with their sizes and metadata', async () => {
    const { storage } = fresh();
    const keys = Array.from({ length: 2000 }, (_, i) => `many/${(i * 7919) % 2000}`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(
        keys.slice(i, i + 100).map((k) => storage.write(k, k, { contentType: 'text/plain' })),
      );
    }
    const entries = [];
    for await (const entry of storage.list('many/')) entries.push(entry);
    expect(entries.map((e) => e.key)).toEqual([...keys].sort(compareKeys));
    const first = entries[0]!;
    expect(first.type).toBe('object');
    if (first.type === 'object') {
      expect(first.size).toBe(first.key.length);
      expect(first.contentType).toBe('text/plain');
      expect(first.etag).toBe((await storage.stat(first.key)).etag);
    }
  });

  it('yields nothing for a missing prefix, a prefix inside a file, and an empty root', async () => {
    const { storage } = fresh();
    expect(await keysOf(storage.list())).toEqual([]);
    await storage.write('file', 'x');
    expect(await keysOf(storage.list('nope/'))).toEqual([]);
    expect(await keysOf(storage.list('file/'))).toEqual([]);
    expect(await keysOf(storage.list('fi'))).toEqual(['file']);
  });

  it('prunes emptied folders on delete, so they are never listed', async () => {
    const { root, storage } = fresh();
    await storage.write('x/y/z', 'x');
    await storage.write('x/w', 'x');
    await storage.delete('x/y/z');
    expect(await keysOf(storage.list('', { recursive: false }))).toEqual(['x/ (prefix)']);
    await storage.delete('x/w');
    expect(await keysOf(storage.list('', { recursive: false }))).toEqual([]);
    // Writes without metadata create no sidecar, so the root is empty again.
    expect(readdirSync(root)).toEqual([]);
  });

  it('keeps writes into a folder correct while deletes prune it concurrently', async () => {
    const { storage } = fresh();
    const work = [];
    for (let i = 0; i < 40; i++) {
      work.push(storage.write(`hot/${i}`, Readable.from([Buffer.from('x')])));
      work.push(storage.write(`hot/${i}-gone`, 'x').then(() => storage.delete(`hot/${i}-gone`)));
    }
    await Promise.all(work);
    expect(await keysOf(storage.list('hot/'))).toEqual(
      Array.from({ length: 40 }, (_, i) => `hot/${i}`).sort(compareKeys),
    );
  });
});
