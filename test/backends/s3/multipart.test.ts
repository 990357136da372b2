import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { S3Backend } from '../../../src/backends/s3/index.js';
import { isStorageError } from '../../../src/core/errors.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { backendFor, freshBucket, randomPrefix, rawClient } from './fixtures.js';

const MiB = 2 ** 20;

/** A stream of `total` pseudo-random bytes in `chunk`-sized pieces, of unknown length to the reader. */
function generated(total: number, chunk = 64 * 1024, seed = 1): { stream: Readable; sha: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  let counter = seed;
  const stream = new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const n = Math.min(chunk, total - sent);
      const buf = Buffer.alloc(n);
      for (let i = 0; i < n; i += 4)
        buf.writeUInt32LE((counter = (counter * 1103515245 + 12345) >>> 0), Math.min(i, n - 4));
      hash.update(buf);
      sent += n;
      this.push(buf);
    },
  });
  return { stream, sha: () => hash.digest('hex') };
}

/** A stream that yields `good` bytes and then fails. */
function failingAfter(good: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= good) {
        this.destroy(new Error('source broke'));
        return;
      }
      const n = Math.min(MiB, good - sent);
      sent += n;
      this.push(randomBytes(n));
    },
  });
}

async function openUploads(client: S3Client, bucket: string): Promise<number> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return out.Uploads?.length ?? 0;
}

describeWithEmulator('moto', 's3 adapter on moto: multipart writes', (endpoint) => {
  let backend: S3Backend;
  let raw: S3Client;
  let bucket: string;
  beforeAll(async () => {
    raw = rawClient(endpoint);
    bucket = await freshBucket(raw, 'mpu');
    backend = backendFor(endpoint, bucket, { partSize: '5MiB', concurrency: 2 });
  });
  afterAll(async () => {
    await backend.close();
    raw.destroy();
  });

  it('uploads a ~12 MiB stream of unknown length in 5 MiB parts, byte-exact, with fine progress', async () => {
    const key = `${randomPrefix()}big.bin`;
    const total = 12 * MiB + 12345;
    const source = generated(total);
    const progress: number[] = [];
    const info = await backend.write(key, source.stream, { onProgress: (p) => progress.push(p.loaded) });
    expect(info.size).toBe(total);
    // A multipart ETag ends in -<parts>.
    expect(info.etag).toMatch(/-3"?$/);
    const read = await backend.read(key);
    expect(read.byteLength).toBe(total);
    expect(createHash('sha256').update(read).digest('hex')).toBe(source.sha());
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toBe(total);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
    expect(await openUploads(raw, bucket)).toBe(0);
  });

  it('refreshes expiring credentials in the middle of a multipart upload', async () => {
    let calls = 0;
    const refreshing = backendFor(endpoint, bucket, {
      partSize: '5MiB',
      concurrency: 1,
      // Credentials that are always about to expire: the SDK must fetch new ones as the upload goes.
      credentials: async () => {
        calls++;
        return {
          accessKeyId: 'test',
          secretAccessKey: 'test',
          sessionToken: `t${calls}`,
          expiration: new Date(Date.now() + 1000),
        };
      },
    });
    try {
      const info = await refreshing.write(`${randomPrefix()}refresh`, generated(11 * MiB).stream);
      expect(info.size).toBe(11 * MiB);
      expect(calls).toBeGreaterThan(3);
      expect(await openUploads(raw, bucket)).toBe(0);
    } finally {
      await refreshing.close();
    }
  });

  it('uploads bytes above the threshold in parts, and a known-size stream', async () => {
    const p = randomPrefix();
    const bytes = randomBytes(11 * MiB);
    const info = await backend.write(`${p}bytes`, bytes);
    expect(info.etag).toMatch(/-3"?$/);
    expect(Buffer.compare(Buffer.from(await backend.read(`${p}bytes`)), bytes)).toBe(0);
    const sized = await backend.write(
      `${p}sized`,
      Readable.from([bytes.subarray(0, 6 * MiB), bytes.subarray(6 * MiB)]),
      {
        size: bytes.length,
      },
    );
    expect(sized.size).toBe(bytes.length);
    const range = await backend.read(`${p}sized`, { range: { offset: 5 * MiB - 2, length: 4 } });
    expect(Buffer.from(range)).toEqual(bytes.subarray(5 * MiB - 2, 5 * MiB + 2));
  });

  it('a source error mid-upload rejects, aborts the upload and keeps the previous version', async () => {
    const key = `${randomPrefix()}keep`;
    await backend.write(key, 'previous');
    await expect(backend.write(key, failingAfter(11 * MiB))).rejects.toSatisfy((e) => isStorageError(e));
    expect(Buffer.from(await backend.read(key)).toString()).toBe('previous');
    expect(await openUploads(raw, bucket)).toBe(0);
  });

  it('a wrong size hint rejects with IntegrityError and leaves no upload', async () => {
    const key = `${randomPrefix()}short`;
    await expect(
      backend.write(key, Readable.from([randomBytes(11 * MiB)]), { size: 11 * MiB + 1 }),
    ).rejects.toSatisfy((e) => isStorageError(e, 'IntegrityError'));
    expect(await backend.exists(key)).toBe(false);
    expect(await openUploads(raw, bucket)).toBe(0);
  });

  it('abort mid-upload rejects with Aborted and leaves no object and no upload', async () => {
    const key = `${randomPrefix()}aborted`;
    const controller = new AbortController();
    const source = generated(40 * MiB);
    const write = backend.write(key, source.stream, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.loaded > 12 * MiB) controller.abort();
      },
    });
    await expect(write).rejects.toSatisfy((e) => isStorageError(e, 'Aborted'));
    expect(await backend.exists(key)).toBe(false);
    expect(await openUploads(raw, bucket)).toBe(0);
  });

  it('conditional multipart: ifNotExists loses to an existing object and aborts its upload', async () => {
    const key = `${randomPrefix()}cond`;
    await backend.write(key, 'first');
    await expect(backend.write(key, generated(11 * MiB).stream, { ifNotExists: true })).rejects.toSatisfy(
      (e) => isStorageError(e, 'AlreadyExists'),
    );
    expect(Buffer.from(await backend.read(key)).toString()).toBe('first');
    expect(await openUploads(raw, bucket)).toBe(0);
  });
});
