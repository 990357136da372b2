import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { S3Backend } from '../../../src/backends/s3/index.js';
import { isStorageError } from '../../../src/core/errors.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { backendFor, freshBucket, randomPrefix, rawClient } from './fixtures.js';

describeWithEmulator('moto', 's3 adapter on moto: basics', (endpoint) => {
  let backend: S3Backend;
  beforeAll(async () => {
    const bucket = await freshBucket(rawClient(endpoint), 'basic');
    backend = backendFor(endpoint, bucket);
  });
  afterAll(() => backend.close());

  it('writes, stats, reads, lists and deletes', async () => {
    const p = randomPrefix();
    const info = await backend.write(`${p}a.txt`, 'hello', {
      contentType: 'text/plain',
      metadata: { Owner: 'me' },
    });
    expect(info.size).toBe(5);
    const stat = await backend.stat(`${p}a.txt`);
    expect(stat).toMatchObject({
      size: 5,
      contentType: 'text/plain',
      metadata: { owner: 'me' },
      etag: info.etag,
    });
    expect(Buffer.from(await backend.read(`${p}a.txt`)).toString()).toBe('hello');
    expect(Buffer.from(await backend.read(`${p}a.txt`, { range: { offset: 1, length: 3 } })).toString()).toBe(
      'ell',
    );
    await backend.write(`${p}dir/b`, new Uint8Array(0));
    const entries = [];
    for await (const e of backend.list(p, { recursive: false })) entries.push([e.type, e.key]);
    expect(entries).toEqual([
      ['object', `${p}a.txt`],
      ['prefix', `${p}dir/`],
    ]);
    expect(await backend.read(`${p}dir/b`, { range: { offset: 0, length: 10 } })).toHaveLength(0);
    await backend.delete(`${p}a.txt`);
    await expect(backend.stat(`${p}a.txt`)).rejects.toSatisfy((e) => isStorageError(e, 'NotFound'));
    await backend.delete(`${p}a.txt`);
  });

  it('streams NotFound before any byte and honours conditions', async () => {
    const p = randomPrefix();
    await expect(backend.stream(`${p}missing`)).rejects.toSatisfy((e) => isStorageError(e, 'NotFound'));
    const info = await backend.write(`${p}c`, 'v1');
    await expect(backend.read(`${p}c`, { ifNoneMatch: info.etag })).rejects.toSatisfy((e) =>
      isStorageError(e, 'PreconditionFailed'),
    );
    await expect(backend.read(`${p}c`, { ifMatch: '"nope"' })).rejects.toSatisfy((e) =>
      isStorageError(e, 'PreconditionFailed'),
    );
    await expect(backend.write(`${p}c`, 'v2', { ifNotExists: true })).rejects.toSatisfy((e) =>
      isStorageError(e, 'AlreadyExists'),
    );
    await expect(backend.write(`${p}c`, 'v2', { ifMatch: '"nope"' })).rejects.toSatisfy((e) =>
      isStorageError(e, 'PreconditionFailed'),
    );
    await backend.write(`${p}c`, 'v2', { ifMatch: info.etag });
    expect(Buffer.from(await backend.read(`${p}c`)).toString()).toBe('v2');
  });

  it('copies with metadata and deletes many', async () => {
    const p = randomPrefix();
    await backend.write(`${p}src`, Readable.from([Buffer.from('abc')]), {
      metadata: { a: '1' },
      contentType: 'text/x',
    });
    const copied = await backend.copy(`${p}src`, `${p}dst`);
    expect(copied.size).toBe(3);
    expect(await backend.stat(`${p}dst`)).toMatchObject({ metadata: { a: '1' }, contentType: 'text/x' });
    await backend.copy(`${p}src`, `${p}dst2`, { metadata: { b: '2' } });
    expect(await backend.stat(`${p}dst2`)).toMatchObject({ metadata: { b: '2' }, contentType: 'text/x' });
    await expect(backend.copy(`${p}src`, `${p}dst`, { ifNotExists: true })).rejects.toSatisfy((e) =>
      isStorageError(e, 'AlreadyExists'),
    );
    await backend.copy(`${p}src`, `${p}dst3`, { ifNotExists: true });
    expect(Buffer.from(await backend.read(`${p}dst3`)).toString()).toBe('abc');
    const r = await backend.deleteMany([`${p}src`, `${p}dst`, `${p}dst2`, `${p}dst3`, `${p}nothing`]);
    expect(r).toEqual({ deleted: 5, errors: [] });
  });
});
