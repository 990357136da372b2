/**
 * Reads, listings, copies and listBuckets on fake-gcs-server, with the cases
 * where the emulator differs from GCS (folders repeated across pages,
 * unchecked read preconditions) handled by the adapter.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { type GcsBackend, gcs, listBuckets } from '../../../src/backends/gcs/index.js';
import type { Entry } from '../../../src/core/backend.js';
import { isStorageError } from '../../../src/core/errors.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { freshBucket } from './helpers.js';

async function keys(iterable: AsyncIterable<Entry>): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of iterable) out.push(entry.type === 'prefix' ? `${entry.key}(dir)` : entry.key);
  return out;
}

describeWithEmulator('gcs', 'gcs reads, listings and copies on fake-gcs-server', (endpoint) => {
  let backend: GcsBackend;
  let bucket: string;
  beforeAll(async () => {
    bucket = await freshBucket(endpoint, 'readlist');
    backend = gcs({ bucket, apiEndpoint: endpoint });
  });

  it('destroying one stream early does not disturb a download running beside it', async () => {
    const big = randomBytes(8 * 1024 * 1024);
    await backend.write('streams/big.bin', big);
    const running = backend.read('streams/big.bin');
    for (let i = 0; i < 10; i++) {
      const early = await backend.stream('streams/big.bin');
      early.on('error', () => {});
      early.destroy();
    }
    expect(Buffer.from(await running).equals(big)).toBe(true);
  });

  it('ranges: exact bytes, clipped ends, offsets past the end and empty objects', async () => {
    const bytes = randomBytes(1000);
    await backend.write('ranges/k', bytes);
    expect(
      Buffer.from(await backend.read('ranges/k', { range: { offset: 10, length: 5 } })).equals(
        bytes.subarray(10, 15),
      ),
    ).toBe(true);
    expect((await backend.read('ranges/k', { range: { offset: 990, length: 100 } })).byteLength).toBe(10);
    expect((await backend.read('ranges/k', { range: { offset: 500, length: 0 } })).byteLength).toBe(0);
    const past = await backend.read('ranges/k', { range: { offset: 1000 } }).catch((e) => e);
    expect(isStorageError(past, 'InvalidArgument')).toBe(true);
    await backend.write('ranges/empty', new Uint8Array());
    expect((await backend.read('ranges/empty', { range: { offset: 0, length: 10 } })).byteLength).toBe(0);
  });

  it('conditional reads compare against the generation that was served', async () => {
    const info = await backend.write('cond/k', 'v1');
    expect(Buffer.from(await backend.read('cond/k', { ifMatch: info.etag })).toString()).toBe('v1');
    expect(Buffer.from(await backend.read('cond/k', { ifMatch: `"${info.etag}"` })).toString()).toBe('v1');
    const changed = await backend.read('cond/k', { ifMatch: '12345' }).catch((e) => e);
    expect(isStorageError(changed, 'PreconditionFailed')).toBe(true);
    const unchanged = await backend.stat('cond/k', { ifNoneMatch: info.etag }).catch((e) => e);
    expect(isStorageError(unchanged, 'PreconditionFailed')).toBe(true);
  });

  it('lists folders and objects in order across small pages, once each', async () => {
    const names = ['d/a/1', 'd/a/2', 'd/b', 'd/c/1', 'd/c/2', 'd/c/3', 'd/d', 'd/e/1', 'd/f', 'd/g/1'];
    await Promise.all(names.map((n) => backend.write(n, n)));
    // fake-gcs-server repeats every later folder on every page; the adapter places each once.
    expect(await keys(backend.list('d/', { recursive: false, pageSize: 1 }))).toEqual([
      'd/a/(dir)',
      'd/b',
      'd/c/(dir)',
      'd/d',
      'd/e/(dir)',
      'd/f',
      'd/g/(dir)',
    ]);
    expect(await keys(backend.list('d/', { pageSize: 3 }))).toEqual([...names].sort());
    expect(await keys(backend.list('d/', { startAfter: 'd/c/2', pageSize: 2 }))).toEqual([
      'd/c/3',
      'd/d',
      'd/e/1',
      'd/f',
      'd/g/1',
    ]);
    expect(await keys(backend.list('nothing-here/'))).toEqual([]);
  });

  it('copies server-side with replaced metadata, keeping the other headers', async () => {
    await backend.write('copy/src', 'body', {
      contentType: 'text/plain',
      cacheControl: 'max-age=60',
      metadata: { a: '1' },
    });
    const copied = await backend.copy('copy/src', 'copy/dst', { metadata: { b: '2' } });
    expect(copied).toMatchObject({
      key: 'copy/dst',
      contentType: 'text/plain',
      cacheControl: 'max-age=60',
      metadata: { b: '2' },
    });
    const plain = await backend.copy('copy/src', 'copy/plain');
    expect(plain.metadata).toEqual({ a: '1' });
    const exists = await backend.copy('copy/src', 'copy/dst', { ifNotExists: true }).catch((e) => e);
    expect(isStorageError(exists, 'AlreadyExists')).toBe(true);
    const missing = await backend.copy('copy/none', 'copy/x').catch((e) => e);
    expect(isStorageError(missing, 'NotFound')).toBe(true);
  });

  it('deleteMany deletes present and absent keys alike', async () => {
    await Promise.all(['dm/1', 'dm/2', 'dm/3'].map((k) => backend.write(k, k)));
    const result = await backend.deleteMany(['dm/1', 'dm/2', 'dm/3', 'dm/absent']);
    expect(result).toEqual({ deleted: 4, errors: [] });
    expect(await keys(backend.list('dm/'))).toEqual([]);
  });

  it('listBuckets lists the buckets of the project', async () => {
    const buckets = await listBuckets({ apiEndpoint: endpoint, projectId: 'stowage-test' });
    expect(buckets.map((b) => b.name)).toContain(bucket);
  });
});
