/**
 * `serverSideCopyTo` between two gcs backends: `copy` and `migrate` use one
 * rewrite when both reach fake-gcs-server the same way, and stream otherwise.
 */
import { File } from '@google-cloud/storage';
import { beforeAll, expect, it, vi } from 'vitest';
import { type GcsBackend, gcs } from '../../../src/backends/gcs/index.js';
import { memory } from '../../../src/backends/memory/index.js';
import { ForwardingBackend } from '../../../src/core/layer.js';
import { copy, copyObject, migrate } from '../../../src/migrate/index.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { fakeServiceAccount, freshBucket, rawClient } from './helpers.js';

const prefix = () => `ssc-${Math.random().toString(36).slice(2, 10)}/`;

describeWithEmulator('gcs', 'gcs server-side copy between buckets (serverSideCopyTo)', (endpoint) => {
  let bucketA: string;
  let bucketB: string;
  const make = (bucket: string, extra: Partial<Parameters<typeof gcs>[0]> = {}): GcsBackend =>
    gcs({ bucket, apiEndpoint: endpoint, ...extra });
  beforeAll(async () => {
    bucketA = await freshBucket(endpoint, 'ssc-a');
    bucketB = await freshBucket(endpoint, 'ssc-b');
  });

  it('copy() across buckets and prefixes rewrites in the service and keeps headers and metadata', async () => {
    const p = prefix();
    const from = make(bucketA, { prefix: 'root-a' });
    const to = make(bucketB, { prefix: 'root-b' });
    await from.write(`${p}doc.txt`, 'server side', {
      contentType: 'text/x-test',
      metadata: { owner: 'me' },
      cacheControl: 'max-age=60',
    });
    const read = vi.spyOn(from, 'read');
    const stream = vi.spyOn(from, 'stream');
    const write = vi.spyOn(to, 'write');
    const outcome = await copyObject(from, `${p}doc.txt`, to, `${p}copy/doc.txt`);
    expect(outcome).toMatchObject({ serverSide: true, bytes: 0 });
    expect(read).not.toHaveBeenCalled();
    expect(stream).not.toHaveBeenCalled();
    expect(write).not.toHaveBeenCalled();
    expect(outcome.info).toMatchObject({ key: `${p}copy/doc.txt`, size: 11, contentType: 'text/x-test' });
    expect(Buffer.from(await to.read(`${p}copy/doc.txt`)).toString()).toBe('server side');
    expect(await to.stat(`${p}copy/doc.txt`)).toMatchObject({
      size: 11,
      contentType: 'text/x-test',
      metadata: { owner: 'me' },
      cacheControl: 'max-age=60',
    });
    // Stored under the target's bucket and prefix; the source stays.
    const [exists] = await rawClient(endpoint).bucket(bucketB).file(`root-b/${p}copy/doc.txt`).exists();
    expect(exists).toBe(true);
    expect(await from.exists(`${p}doc.txt`)).toBe(true);
    expect(await to.exists(`${p}doc.txt`)).toBe(false);
  });

  it('migrate() between buckets (separate backends, same endpoint) moves no bytes', async () => {
    const p = prefix();
    const from = make(bucketA);
    const to = make(bucketB);
    for (let i = 0; i < 4; i++) {
      await from.write(`${p}src/f${i}.bin`, `body ${i}`, { metadata: { n: String(i) } });
    }
    const stream = vi.spyOn(from, 'stream');
    const read = vi.spyOn(from, 'read');
    const report = await migrate({ from, to, prefix: `${p}src/`, targetPrefix: `${p}dst/`, verify: 'size' });
    expect(report).toMatchObject({ copied: 4, verified: 4, failed: [], bytes: 0 });
    expect(stream).not.toHaveBeenCalled();
    expect(read).not.toHaveBeenCalled();
    for (let i = 0; i < 4; i++) {
      expect(Buffer.from(await to.read(`${p}dst/f${i}.bin`)).toString()).toBe(`body ${i}`);
      expect((await to.stat(`${p}dst/f${i}.bin`)).metadata).toEqual({ n: String(i) });
    }
  });

  it('uses the same injected Storage client too', async () => {
    const p = prefix();
    const storage = rawClient(endpoint);
    const from = gcs({ bucket: bucketA, storage });
    const to = gcs({ bucket: bucketB, storage });
    await from.write(`${p}a`, 'shared client');
    const outcome = await copyObject(from, `${p}a`, to, `${p}b`);
    expect(outcome.serverSide).toBe(true);
    expect(Buffer.from(await to.read(`${p}b`)).toString()).toBe('shared client');
  });

  it("applies the target's default storage class, as a streamed write would", async () => {
    const p = prefix();
    const from = make(bucketA);
    const to = make(bucketB, { storageClass: 'NEARLINE' });
    await from.write(`${p}a`, 'cold', { contentType: 'text/plain', metadata: { k: 'v' } });
    // The emulator ignores the class of a rewrite (see docs/backends/gcs.md), so check the request.
    const rewrite = vi.spyOn(File.prototype, 'copy');
    try {
      await copy(from, `${p}a`, to, `${p}b`);
      expect(rewrite).toHaveBeenCalledTimes(1);
      expect(rewrite.mock.calls[0]![1]).toMatchObject({
        storageClass: 'NEARLINE',
        contentType: 'text/plain',
        metadata: { k: 'v' },
      });
    } finally {
      rewrite.mockRestore();
    }
    expect(await to.stat(`${p}b`)).toMatchObject({ contentType: 'text/plain', metadata: { k: 'v' } });
  });

  it('honours ifNotExists across buckets', async () => {
    const p = prefix();
    const from = make(bucketA);
    const to = make(bucketB);
    await from.write(`${p}a`, 'new');
    await to.write(`${p}taken`, 'old');
    await expect(copy(from, `${p}a`, to, `${p}taken`, { ifNotExists: true })).rejects.toMatchObject({
      code: 'AlreadyExists',
    });
    expect(Buffer.from(await to.read(`${p}taken`)).toString()).toBe('old');
    const outcome = await copyObject(from, `${p}a`, to, `${p}free`, { ifNotExists: true });
    expect(outcome.serverSide).toBe(true);
    expect(Buffer.from(await to.read(`${p}free`)).toString()).toBe('new');
  });

  it('reports a missing source as NotFound and an invalid key as InvalidKey', async () => {
    const from = make(bucketA);
    const to = make(bucketB);
    await expect(from.serverSideCopyTo(to, `${prefix()}missing`, 'x')).rejects.toMatchObject({
      code: 'NotFound',
    });
    await expect(from.serverSideCopyTo(to, '', 'x')).rejects.toMatchObject({ code: 'InvalidKey' });
  });

  it('declines (undefined) other credentials, endpoints, clients, services and wrapped targets; copy() then streams', async () => {
    const p = prefix();
    const from = make(bucketA);
    await from.write(`${p}a`, 'a');
    const targets = [
      make(bucketB, { credentials: fakeServiceAccount() }),
      make(bucketB, { apiEndpoint: endpoint.replace('127.0.0.1', 'localhost') }),
      make(bucketB, { projectId: 'another-project' }),
      gcs({ bucket: bucketB, storage: rawClient(endpoint) }),
      new ForwardingBackend(make(bucketB)),
      memory(),
    ];
    for (const target of targets) {
      expect(await from.serverSideCopyTo(target, `${p}a`, `${p}b`)).toBeUndefined();
    }
    const to = make(bucketB, { projectId: 'another-project' });
    const outcome = await copyObject(from, `${p}a`, to, `${p}streamed`);
    expect(outcome).toMatchObject({ serverSide: false, bytes: 1 });
    expect(Buffer.from(await to.read(`${p}streamed`)).toString()).toBe('a');
  });
});
