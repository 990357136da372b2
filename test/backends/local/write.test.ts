/** Atomic writes: no temp file survives a failure, metadata persists, folders and files collide clearly. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { local } from '../../../src/backends/local/index.js';
import { isStorageError } from '../../../src/core/errors.js';
import { filesUnder, fresh, text } from './helpers.js';

const run = promisify(execFile);

/** A body that yields `good` bytes, then fails. */
function failingBody(good: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(good, 1));
      } else this.destroy(new Error('the source broke'));
    },
  });
}

/** Object files on disk (ignores the backend's sidecar tree). */
function dataFiles(root: string): string[] {
  return filesUnder(root).filter((f) => !f.startsWith('.stowage/'));
}

describe('local: atomic writes', () => {
  it('leaves the old object and no temp file when the body errors', async () => {
    const { root, storage } = fresh();
    await storage.write('dir/obj', 'old', { metadata: { v: '1' } });
    const before = filesUnder(root);
    const error = await storage.write('dir/obj', failingBody(3 * 1024 * 1024)).catch((e: unknown) => e);
    expect(isStorageError(error)).toBe(true);
    expect(text(await storage.read('dir/obj'))).toBe('old');
    expect((await storage.stat('dir/obj')).metadata).toEqual({ v: '1' });
    expect(filesUnder(root)).toEqual(before);
  });

  it('leaves nothing behind when a write into new folders fails', async () => {
    const { root, storage } = fresh();
    await expect(storage.write('a/b/c/obj', failingBody(10))).rejects.toThrow();
    expect(readdirSync(root).filter((n) => n !== '.stowage')).toEqual([]);
  });

  it('leaves no temp file when the write is aborted mid-stream', async () => {
    const { root, storage } = fresh();
    const controller = new AbortController();
    let pushed = 0;
    const body = new Readable({
      read() {
        pushed++;
        if (pushed === 3) setTimeout(() => controller.abort(), 5);
        if (pushed < 1000) setTimeout(() => this.push(Buffer.alloc(64 * 1024, 2)), 1);
      },
    });
    const error = await storage.write('obj', body, { signal: controller.signal }).catch((e: unknown) => e);
    expect(isStorageError(error, 'Aborted')).toBe(true);
    expect(dataFiles(root)).toEqual([]);
    expect(await storage.exists('obj')).toBe(false);
  });

  it('leaves no temp file when a declared size does not match', async () => {
    const { root, storage } = fresh();
    const error = await storage
      .write('obj', Readable.from([Buffer.from('abc')]), { size: 10 })
      .catch((e: unknown) => e);
    expect(isStorageError(error, 'IntegrityError')).toBe(true);
    expect(dataFiles(root)).toEqual([]);
  });

  it('keeps metadata, content type, headers and etag across a new instance on the same root', async () => {
    const { root, storage } = fresh();
    const written = await storage.write('doc.html', '<p>hi</p>', {
      contentType: 'text/html',
      metadata: { Owner: 'ada', 'x-rev': '7' },
      cacheControl: 'max-age=60',
      contentDisposition: 'inline',
      contentEncoding: 'identity',
    });
    const again = local({ root });
    const info = await again.stat('doc.html');
    expect(info).toMatchObject({
      contentType: 'text/html',
      metadata: { owner: 'ada', 'x-rev': '7' },
      cacheControl: 'max-age=60',
      contentDisposition: 'inline',
      contentEncoding: 'identity',
      etag: written.etag,
      size: 9,
    });
    // A move keeps them (same file), a copy carries them over with a new etag.
    const moved = await again.move('doc.html', 'pages/doc.html');
    expect(moved.etag).toBe(written.etag);
    const copied = await again.copy('pages/doc.html', 'copy.html');
    expect(copied.metadata).toEqual({ owner: 'ada', 'x-rev': '7' });
    expect(copied.etag).not.toBe(written.etag);
  });

  it('stores no sidecar for a guessed content type, and keeps the type across a move to another extension', async () => {
    const { root, storage } = fresh();
    const written = await storage.write('notes.txt', 'hello');
    expect(written.contentType).toMatch(/^text\/plain/);
    expect(filesUnder(root)).toEqual(['notes.txt']);
    const moved = await storage.move('notes.txt', 'archive/notes.bin');
    expect(moved.contentType).toBe(written.contentType);
    expect((await local({ root }).stat('archive/notes.bin')).contentType).toBe(written.contentType);
  });

  it('changes the etag on every write, even of the same bytes', async () => {
    const { storage } = fresh();
    const etags = new Set<string>();
    for (let i = 0; i < 5; i++) etags.add((await storage.write('same', 'bytes')).etag!);
    expect(etags.size).toBe(5);
  });

  it('gives files placed outside stowage default metadata and a stable etag', async () => {
    const { root, storage } = fresh();
    writeFileSync(join(root, 'dropped.bin'), 'abc');
    const a = await storage.stat('dropped.bin');
    const b = await storage.stat('dropped.bin');
    expect(a.contentType).toBe('application/octet-stream');
    expect(a.metadata).toEqual({});
    expect(a.etag).toBe(b.etag);
    await storage.write('dropped.bin', 'abc', { ifMatch: a.etag });
  });

  it('removes the sidecar of a replaced or deleted object', async () => {
    const { root, storage } = fresh();
    for (let i = 0; i < 3; i++) await storage.write('k', `v${i}`, { metadata: { i: String(i) } });
    const sidecars = () => filesUnder(root).filter((f) => f.startsWith('.stowage/meta/'));
    expect(sidecars()).toHaveLength(1);
    await storage.delete('k');
    expect(sidecars()).toHaveLength(0);
    expect(readdirSync(root)).toEqual(['.stowage']);
  });

  it('refuses a key whose folder is an object, and an object where a folder is', async () => {
    const { storage } = fresh();
    await storage.write('a', 'file');
    await storage.write('b/c', 'nested');
    for (const [key, why] of [
      ['a/x', 'a'],
      ['b', 'b/c'],
    ] as const) {
      const error = await storage.write(key, 'x').catch((e: unknown) => e);
      expect(isStorageError(error, 'AlreadyExists'), `${key} vs ${why}`).toBe(true);
      expect((error as Error).message).toMatch(/both an object and a folder/);
    }
    // Reads and deletes see such keys as absent.
    expect(await storage.exists('a/x')).toBe(false);
    expect(await storage.exists('b')).toBe(false);
    await storage.delete('a/x');
    await storage.delete('b');
    expect(text(await storage.read('b/c'))).toBe('nested');
    // Once the folder is emptied, the key is free again.
    await storage.delete('b/c');
    await storage.write('b', 'now a file');
    expect(text(await storage.read('b'))).toBe('now a file');
  });

  it('fsync mode writes and reads the same', async () => {
    const { storage } = fresh({ fsync: true });
    await storage.write('x/y', 'durable', { contentType: 'text/plain' });
    await storage.copy('x/y', 'x/z');
    await storage.move('x/z', 'w');
    expect(text(await storage.read('w'))).toBe('durable');
  });
});

describe('local: conditional writes under contention', () => {
  it('lets exactly one of 16 concurrent ifNotExists writers win, in one process', async () => {
    const { storage } = fresh();
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => storage.write('once', `writer ${i}`, { ifNotExists: true })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(isStorageError(r.reason, 'AlreadyExists')).toBe(true);
    }
    expect(text(await storage.read('once'))).toMatch(/^writer \d+$/);
  });

  it('loses no update among concurrent ifMatch incrementers, in one process', async () => {
    const { storage } = fresh();
    await storage.write('n', '0');
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let done = 0; done < 5; ) {
          const info = await storage.stat('n');
          const value = Number(
            text(await storage.read('n', { ifMatch: info.etag }).catch(() => new Uint8Array())),
          );
          try {
            await storage.write('n', String(value + 1), { ifMatch: info.etag });
            done++;
          } catch (e) {
            if (!isStorageError(e, 'PreconditionFailed')) throw e;
          }
        }
      }),
    );
    expect(text(await storage.read('n'))).toBe('40');
  });

  it('keeps ifNotExists and ifMatch atomic across 4 processes', async () => {
    const { root } = fresh();
    const racer = fileURLToPath(new URL('./fixtures/racer.ts', import.meta.url));
    const spawn = (id: number, mode: string, count: number) =>
      run(process.execPath, ['--import', 'tsx', racer, root, String(id), mode, String(count)], {
        timeout: 60_000,
      });
    const creates = await Promise.all([0, 1, 2, 3].map((id) => spawn(id, 'create', 30)));
    const wins = creates.map((r) => JSON.parse(r.stdout) as number[]);
    const all = wins.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const storage = local({ root });
    for (const [id, won] of wins.entries()) {
      for (const i of won) expect(text(await storage.read(`race/${i}`))).toBe(String(id));
    }

    await storage.write('counter', '0');
    await Promise.all([0, 1, 2, 3].map((id) => spawn(id, 'increment', 10)));
    expect(text(await storage.read('counter'))).toBe('40');
    // No lock or temp file is left over.
    expect(filesUnder(root).filter((f) => /\.stowage-(tmp|lock)-/.test(f))).toEqual([]);
    expect(existsSync(join(root, 'race'))).toBe(true);
    expect(readFileSync(join(root, 'counter'), 'utf8')).toBe('40');
  }, 60_000);
});
