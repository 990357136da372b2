/**
 * Writes on fake-gcs-server: multi-chunk resumable uploads of unknown length,
 * aborts and failing sources that leave nothing behind, and the etag ↔
 * generation preconditions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GcsBackend, gcs } from '../../../src/backends/gcs/index.js';
import { writePrecondition } from '../../../src/backends/gcs/upload.js';
import type { Progress } from '../../../src/core/backend.js';
import { isStorageError } from '../../../src/core/errors.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { freshBucket, rawClient } from './helpers.js';

const MiB = 1024 * 1024;

/** A stream of `chunks` random chunks of `size` bytes, optionally slow, aborting or failing after `stopAt`. */
function source(
  chunks: number,
  size: number,
  opts: { delayMs?: number; stopAt?: number; onStop?: () => void } = {},
) {
  const hash = createHash('md5');
  const stream = Readable.from(
    (async function* () {
      for (let i = 0; i < chunks; i++) {
        if (opts.stopAt === i) opts.onStop?.();
        const chunk = randomBytes(size);
        hash.update(chunk);
        yield chunk;
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      }
    })(),
  );
  let digest: string | undefined;
  return { stream, md5: () => (digest ??= hash.digest('base64')) };
}

describe('writePrecondition (etag = generation)', () => {
  it('maps ifNotExists to ifGenerationMatch 0 and ifMatch to the generation, quoted or not', () => {
    expect(writePrecondition({ ifNotExists: true })).toEqual({ ifGenerationMatch: 0 });
    expect(writePrecondition({ ifMatch: '1795417818183626' })).toEqual({
      ifGenerationMatch: 1795417818183626,
    });
    expect(writePrecondition({ ifMatch: '"42"' })).toEqual({ ifGenerationMatch: 42 });
    expect(writePrecondition({})).toBeUndefined();
  });

  it('fails an etag that is not a generation with PreconditionFailed before any request', () => {
    for (const etag of ['"d41d8cd98f00b204e9800998ecf8427e"', 'CKih16GjycICEAE=', '0']) {
      let error: unknown;
      try {
        writePrecondition({ ifMatch: etag });
      } catch (e) {
        error = e;
      }
      expect(isStorageError(error, 'PreconditionFailed')).toBe(true);
    }
  });
});

describeWithEmulator('gcs', 'gcs uploads on fake-gcs-server', (endpoint) => {
  // `chunked` uploads in 1 MiB resumable chunks; `streaming` (the default) in one resumable request.
  let backend: GcsBackend;
  let streaming: GcsBackend;
  let bucket: string;
  beforeAll(async () => {
    bucket = await freshBucket(endpoint, 'upload');
    backend = gcs({ bucket, apiEndpoint: endpoint, prefix: 'up', partSize: '1MiB' });
    streaming = gcs({ bucket, apiEndpoint: endpoint, prefix: 'up' });
  });

  it('uploads a ~10 MiB stream of unknown length in resumable chunks, byte-exact, with progress', async () => {
    const body = source(10, MiB + 4321);
    const events: Progress[] = [];
    const info = await backend.write('big/unknown.bin', body.stream, { onProgress: (p) => events.push(p) });
    const size = 10 * (MiB + 4321);
    expect(info.size).toBe(size);
    expect(info.checksums?.md5).toBe(body.md5());
    // The object is really there, under the prefix, as the raw SDK sees it.
    const [metadata] = await rawClient(endpoint).bucket(bucket).file('up/big/unknown.bin').getMetadata();
    expect(Number(metadata.size)).toBe(size);
    expect(String(metadata.generation)).toBe(info.etag);
    expect(events.length).toBeGreaterThan(1);
    expect(events.at(-1)?.loaded).toBe(size);
    for (let i = 1; i < events.length; i++)
      expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
    const back = await backend.read('big/unknown.bin');
    expect(createHash('md5').update(back).digest('base64')).toBe(body.md5());
  });

  it('streams a body of unknown length in one resumable request by default', async () => {
    const body = source(6, MiB + 17);
    const info = await streaming.write('big/streamed.bin', body.stream);
    expect(info.size).toBe(6 * (MiB + 17));
    expect(info.checksums?.md5).toBe(body.md5());
  });

  for (const mode of ['chunked', 'streaming'] as const) {
    const pick = () => (mode === 'chunked' ? backend : streaming);

    it(`${mode}: an abort mid-upload rejects with Aborted, stores nothing and keeps the previous version`, async () => {
      const target = pick();
      const before = await target.write(`abort-${mode}/k.bin`, 'previous');
      const controller = new AbortController();
      const body = source(12, 512 * 1024, { delayMs: 15, stopAt: 6, onStop: () => controller.abort() });
      const error = await target
        .write(`abort-${mode}/k.bin`, body.stream, { signal: controller.signal })
        .catch((e) => e);
      expect(isStorageError(error, 'Aborted')).toBe(true);
      expect(Buffer.from(await target.read(`abort-${mode}/k.bin`)).toString()).toBe('previous');
      expect((await target.stat(`abort-${mode}/k.bin`)).etag).toBe(before.etag);

      const fresh = new AbortController();
      const again = source(12, 512 * 1024, { delayMs: 15, stopAt: 6, onStop: () => fresh.abort() });
      await target
        .write(`abort-${mode}/new.bin`, again.stream, { signal: fresh.signal })
        .catch(() => undefined);
      expect(await target.exists(`abort-${mode}/new.bin`)).toBe(false);
    });

    it(`${mode}: a source that fails mid-upload stores nothing`, async () => {
      const failing = Readable.from(
        (async function* () {
          yield randomBytes(MiB);
          yield randomBytes(MiB);
          throw new Error('disk read failed');
        })(),
      );
      await expect(pick().write(`fail-${mode}/k.bin`, failing)).rejects.toMatchObject({
        name: 'StorageError',
      });
      expect(await pick().exists(`fail-${mode}/k.bin`)).toBe(false);
    });

    it(`${mode}: a stream shorter or longer than its declared size fails with IntegrityError and stores nothing`, async () => {
      const short = source(10, MiB);
      const error = await pick()
        .write(`short-${mode}/k.bin`, short.stream, { size: 12 * MiB })
        .catch((e) => e);
      expect(isStorageError(error, 'IntegrityError')).toBe(true);
      expect(await pick().exists(`short-${mode}/k.bin`)).toBe(false);
      const long = source(10, MiB);
      const tooLong = await pick()
        .write(`long-${mode}/k.bin`, long.stream, { size: 9 * MiB })
        .catch((e) => e);
      expect(isStorageError(tooLong, 'IntegrityError')).toBe(true);
      expect(await pick().exists(`long-${mode}/k.bin`)).toBe(false);
    });
  }

  it('ifMatch takes the etag write returned; a stale etag fails and keeps the object', async () => {
    const first = await backend.write('cond/k.txt', 'one');
    const second = await backend.write('cond/k.txt', 'two', { ifMatch: first.etag });
    expect(second.etag).not.toBe(first.etag);
    const stale = await backend.write('cond/k.txt', 'three', { ifMatch: first.etag }).catch((e) => e);
    expect(isStorageError(stale, 'PreconditionFailed')).toBe(true);
    // Large bodies go through the resumable path; the precondition holds there too.
    const big = source(3, MiB);
    const staleBig = await backend.write('cond/k.txt', big.stream, { ifMatch: first.etag }).catch((e) => e);
    expect(isStorageError(staleBig, 'PreconditionFailed')).toBe(true);
    expect(Buffer.from(await backend.read('cond/k.txt')).toString()).toBe('two');
    const exists = await backend
      .write('cond/k.txt', source(2, MiB).stream, { ifNotExists: true })
      .catch((e) => e);
    expect(isStorageError(exists, 'AlreadyExists')).toBe(true);
  });

  it('stores storage class, cache control and content encoding as given (gzip bytes are not decoded)', async () => {
    const gzipped = Buffer.from('1f8b0800000000000003cb48cdc9c95728cf2fca49010085114a0d0b000000', 'hex');
    const info = await backend.write('attrs/page.txt.gz', gzipped, {
      contentType: 'text/plain',
      contentEncoding: 'gzip',
      cacheControl: 'no-cache',
      storageClass: 'NEARLINE',
      metadata: { Owner: 'team-a' },
    });
    expect(info).toMatchObject({
      contentType: 'text/plain',
      contentEncoding: 'gzip',
      cacheControl: 'no-cache',
      storageClass: 'NEARLINE',
      metadata: { owner: 'team-a' },
    });
    expect(Buffer.from(await backend.read('attrs/page.txt.gz')).equals(gzipped)).toBe(true);
  });
});
