/** Options, streams, cleanup and etags of the local backend. */
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCAL_CAPABILITIES, local, localOptionsSchema } from '../../../src/backends/local/index.js';
import { isStorageError } from '../../../src/core/errors.js';
import { filesUnder, fresh, tempDir, text } from './helpers.js';

/** Open file descriptors of this process that point under `dir` (Linux). */
async function openFdsUnder(dir: string): Promise<number> {
  const { readlink } = await import('node:fs/promises');
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) count++;
  }
  return count;
}

describe('local: options', () => {
  it('rejects bad and unknown options with InvalidConfig naming them', () => {
    for (const [options, path] of [
      [{}, 'root'],
      [{ root: '' }, 'root'],
      [{ root: '/tmp/x', fsync: 'yes' }, 'fsync'],
      [{ root: '/tmp/x', rooot: 1 }, 'rooot'],
      [{ root: '/tmp/x', lockTimeout: 'soon' }, 'lockTimeout'],
    ] as const) {
      let error: unknown;
      try {
        local(options as never);
      } catch (e) {
        error = e;
      }
      expect(isStorageError(error, 'InvalidConfig'), JSON.stringify(options)).toBe(true);
      expect((error as Error).message).toContain(path);
    }
    expect(localOptionsSchema.safeParse({ root: '/x', fsync: true, lockStale: '1m' }).success).toBe(true);
  });

  it('creates a missing root on first use, or refuses with createRoot: false', async () => {
    const parent = tempDir();
    const root = join(parent, 'a', 'b');
    const strict = local({ root, createRoot: false });
    const error = await strict.write('k', 'v').catch((e: unknown) => e);
    expect(isStorageError(error, 'InvalidConfig')).toBe(true);
    const lenient = local({ root });
    await lenient.write('k', 'v');
    expect(readdirSync(root)).toEqual(['k']);
  });

  it('declares its capabilities honestly', async () => {
    const { storage } = fresh();
    expect(storage.capabilities).toBe(LOCAL_CAPABILITIES);
    expect(storage.capabilities).toMatchObject({
      versioning: false,
      storageClass: false,
      multipartWrite: false,
      presign: false,
      atomicMove: true,
      serverSideCopy: true,
      conditionalWrite: true,
      listDelimiter: true,
      maxKeyBytes: 1024,
    });
    const error = await storage.presign('k', { method: 'GET', expiresIn: 60 }).catch((e: unknown) => e);
    expect(isStorageError(error, 'Unsupported')).toBe(true);
  });
});

describe('local: streams', () => {
  it('rejects NotFound before any byte and leaves no descriptor open', async () => {
    const { root, storage } = fresh();
    const error = await storage.stream('missing').catch((e: unknown) => e);
    expect(isStorageError(error, 'NotFound')).toBe(true);
    mkdirSync(join(root, 'folder'));
    expect(isStorageError(await storage.stream('folder').catch((e: unknown) => e), 'NotFound')).toBe(true);
    expect(await openFdsUnder(root)).toBe(0);
  });

  it('closes the file when a stream is destroyed early', async () => {
    const { root, storage } = fresh();
    await storage.write('big', new Uint8Array(5 * 1024 * 1024));
    const stream = await storage.stream('big');
    expect(await openFdsUnder(root)).toBe(1);
    await new Promise<void>((resolve) => {
      stream.once('data', () => {
        stream.destroy();
        stream.once('close', () => resolve());
      });
    });
    // The close of the descriptor completes on the thread pool.
    for (let i = 0; i < 50 && (await openFdsUnder(root)) > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await openFdsUnder(root)).toBe(0);
  });

  it('streams ranges, including an empty one at offset 0 of an empty object', async () => {
    const { storage } = fresh();
    await storage.write('abc', 'abcdefghij');
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.stream('abc', { range: { offset: 2, length: 5 } }))
      chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('cdefg');
    await storage.write('empty', '');
    const empty: Buffer[] = [];
    for await (const chunk of await storage.stream('empty', { range: { offset: 0 } })) empty.push(chunk);
    expect(empty).toEqual([]);
    expect(text(await storage.read('abc', { range: { offset: 8, length: 100 } }))).toBe('ij');
  });
});

describe('local: etags', () => {
  it('never repeats an etag for the same key, size and a reused inode', async () => {
    const { storage } = fresh();
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const { etag } = await storage.write('k', i % 2 ? 'aaaa' : 'bbbb');
      expect(seen.has(etag!)).toBe(false);
      seen.add(etag!);
    }
    const first = [...seen][0]!;
    const error = await storage.write('k', 'cccc', { ifMatch: first }).catch((e: unknown) => e);
    expect(isStorageError(error, 'PreconditionFailed')).toBe(true);
  });

  it('answers conditional reads against the current etag', async () => {
    const { storage } = fresh();
    const { etag } = await storage.write('k', 'v1');
    expect(text(await storage.read('k', { ifMatch: etag }))).toBe('v1');
    expect(
      isStorageError(
        await storage.read('k', { ifNoneMatch: etag }).catch((e: unknown) => e),
        'PreconditionFailed',
      ),
    ).toBe(true);
    await storage.write('k', 'v2');
    expect(
      isStorageError(
        await storage.stat('k', { ifMatch: etag }).catch((e: unknown) => e),
        'PreconditionFailed',
      ),
    ).toBe(true);
    expect(text(await storage.read('k', { ifNoneMatch: etag }))).toBe('v2');
  });
});

describe('local: cleanup', () => {
  it('sweeps old temp files, stale locks, orphan sidecars and empty folders, and keeps the rest', async () => {
    const { root, storage } = fresh();
    await storage.write('keep/a', 'x', { metadata: { m: '1' } });
    mkdirSync(join(root, 'crashed', 'deep'), { recursive: true });
    const oldTemp = join(root, 'crashed', '.stowage-tmp-00000000deadbeef');
    const newTemp = join(root, 'keep', '.stowage-tmp-00000000cafebabe');
    const oldLock = join(root, 'keep', '.stowage-lock-0123');
    writeFileSync(oldTemp, 'partial');
    writeFileSync(newTemp, 'in flight');
    writeFileSync(oldLock, '{}');
    const orphan = join(root, '.stowage', 'meta', 'ff', 'ffffffffff.json');
    mkdirSync(join(orphan, '..'), { recursive: true });
    writeFileSync(orphan, '{}');
    const past = new Date(Date.now() - 2 * 3600_000);
    for (const path of [oldTemp, oldLock, orphan]) utimesSync(path, past, past);

    const report = await storage.cleanup();
    expect(report).toEqual({ tempFiles: 1, lockFiles: 1, sidecars: 1, folders: 2 });
    const left = filesUnder(root);
    expect(left).toContain('keep/a');
    expect(left).toContain('keep/.stowage-tmp-00000000cafebabe');
    expect(left.filter((f) => f.startsWith('.stowage/meta/'))).toHaveLength(1);
    expect((await storage.stat('keep/a')).metadata).toEqual({ m: '1' });
    expect(readdirSync(root).sort()).toEqual(['.stowage', 'keep']);
  });
});

describe('local: key locks', () => {
  it('breaks a lock left by a crashed process, and times out on a live one with Unavailable', async () => {
    const { lockPath } = await import('../../../src/backends/local/lock.js');
    const { root } = fresh();
    const storage = local({ root, lockTimeout: 200, lockStale: '30s' });
    const { etag } = await storage.write('k', 'v1');
    const lock = lockPath(root, 'k');
    // A live owner (this very process): the write waits, then gives up.
    writeFileSync(
      lock,
      JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), at: Date.now() }),
    );
    const error = await storage.write('k', 'v2', { ifMatch: etag }).catch((e: unknown) => e);
    expect(isStorageError(error, 'Unavailable')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect(text(await storage.read('k'))).toBe('v1');
    // An old lock is stale whoever owns it: broken, and the write goes through.
    const past = new Date(Date.now() - 60_000);
    utimesSync(lock, past, past);
    await storage.write('k', 'v2', { ifMatch: etag });
    expect(text(await storage.read('k'))).toBe('v2');
    expect(filesUnder(root)).toEqual(['k']);
  });
});
