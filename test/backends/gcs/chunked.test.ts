/**
 * Chunked resumable uploads (`partSize`) on fake-gcs-server, through a proxy
 * that fails chosen chunk PUTs: several chunks of unknown and known length,
 * resumption after 503s, cut connections and short persists, preconditions,
 * aborts and source errors that leave nothing behind, checksum mismatches,
 * progress.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { type GcsBackend, gcs } from '../../../src/backends/gcs/index.js';
import type { Progress } from '../../../src/core/backend.js';
import { isStorageError } from '../../../src/core/errors.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { freshBucket, rawClient } from './helpers.js';
import { type ChunkFault, type SessionProxy, startSessionProxy } from './session-proxy.js';

const KiB = 1024;
const CHUNK = 256 * KiB;

/** `body` as a stream of unknown length in `piece`-byte chunks (fresh copies), optionally failing or pausing. */
function streamOf(
  body: Buffer,
  piece = 64 * KiB,
  opts: { failAt?: number; delayMs?: number; onPiece?: (offset: number) => Promise<void> | undefined } = {},
): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < body.byteLength; offset += piece) {
        if (opts.failAt !== undefined && offset >= opts.failAt) throw new Error('disk read failed');
        await opts.onPiece?.(offset);
        yield Buffer.from(body.subarray(offset, offset + piece));
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      }
    })(),
  );
}

describeWithEmulator('gcs', 'gcs chunked uploads (partSize) on fake-gcs-server', (endpoint) => {
  let bucket: string;
  let direct: GcsBackend;
  let proxy: SessionProxy | undefined;
  beforeAll(async () => {
    bucket = await freshBucket(endpoint, 'chunked');
    direct = gcs({ bucket, apiEndpoint: endpoint, partSize: '256KiB', simpleUploadThreshold: '256KiB' });
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  /** A backend behind a session proxy failing data PUTs as `faults` says (index → fault). */
  async function through(
    faults: Record<number, ChunkFault> = {},
    extra: { passStatusQueries?: boolean; maxRetries?: number; validation?: false } = {},
  ): Promise<GcsBackend> {
    proxy = await startSessionProxy({
      target: endpoint,
      fault: (i) => faults[i],
      ...(extra.passStatusQueries ? { passStatusQueries: true } : {}),
    });
    return gcs({
      bucket,
      apiEndpoint: proxy.endpoint,
      partSize: '256KiB',
      simpleUploadThreshold: '256KiB',
      maxRetries: extra.maxRetries ?? 3,
      ...(extra.validation === false ? { validation: false } : {}),
    });
  }

  async function expectStored(key: string, body: Buffer): Promise<void> {
    const back = Buffer.from(await direct.read(key));
    expect(back.byteLength).toBe(body.byteLength);
    expect(back.equals(body)).toBe(true);
  }

  it('uploads unknown and known lengths, whole multiples of the chunk, bytes and empty bodies in chunks, byte-exact', async () => {
    const backend = await through();
    const cases: [string, Buffer, 'stream' | 'sized' | 'bytes'][] = [
      ['unknown.bin', randomBytes(5 * CHUNK + 12_345), 'stream'],
      ['known.bin', randomBytes(3 * CHUNK + 1), 'sized'],
      ['multiple.bin', randomBytes(4 * CHUNK), 'stream'],
      ['bytes.bin', randomBytes(2 * CHUNK + 7), 'bytes'],
      ['empty.bin', Buffer.alloc(0), 'stream'],
    ];
    for (const [key, body, kind] of cases) {
      const before = proxy!.requests.length;
      const info =
        kind === 'bytes'
          ? await backend.write(key, body)
          : await backend.write(key, streamOf(body), kind === 'sized' ? { size: body.byteLength } : {});
      expect(info.size).toBe(body.byteLength);
      await expectStored(key, body);
      const puts = proxy!.requests.slice(before);
      // One PUT per chunk, each a whole chunk but the last, which alone says the total and carries the CRC32C.
      expect(puts).toHaveLength(Math.max(1, Math.ceil(body.byteLength / CHUNK)));
      for (const [i, put] of puts.entries()) {
        const last = i === puts.length - 1;
        if (!last) expect(put.bytes).toBe(CHUNK);
        expect([put.contentRange, put.contentRange?.endsWith(`/${body.byteLength}`)]).toEqual([
          put.contentRange,
          last || kind !== 'stream',
        ]);
        expect(put.hash !== undefined).toBe(last);
      }
      expect(puts.at(-1)?.hash).toMatch(/^crc32c=/);
    }
    // Content type and custom metadata are set on the session.
    const info = await backend.write('meta.bin', streamOf(randomBytes(CHUNK + 1)), {
      metadata: { owner: 'team-a' },
      cacheControl: 'no-cache',
    });
    expect(info).toMatchObject({ metadata: { owner: 'team-a' }, cacheControl: 'no-cache' });
  });

  it('checks MD5 instead of CRC32C with validation: md5, and sends no hash with validation: false', async () => {
    proxy = await startSessionProxy({ target: endpoint });
    for (const validation of ['md5', false] as const) {
      const backend = gcs({ bucket, apiEndpoint: proxy.endpoint, partSize: '256KiB', validation });
      const body = randomBytes(2 * CHUNK + 1);
      await backend.write(`validation-${validation}.bin`, streamOf(body));
      await expectStored(`validation-${validation}.bin`, body);
      const hash = proxy.requests.at(-1)?.hash;
      if (validation === 'md5') expect(hash).toMatch(/^md5=[A-Za-z0-9+/]{22}==$/);
      else expect(hash).toBeUndefined();
    }
  });

  it('reports monotonic progress up to the total, known or not', async () => {
    const body = randomBytes(4 * CHUNK + 99);
    for (const size of [undefined, body.byteLength]) {
      const events: Progress[] = [];
      await direct.write(`progress-${size ?? 'unknown'}.bin`, streamOf(body), {
        ...(size !== undefined ? { size } : {}),
        onProgress: (p) => events.push({ ...p }),
      });
      expect(events.length).toBeGreaterThan(4);
      for (let i = 1; i < events.length; i++)
        expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
      expect(events.at(-1)?.loaded).toBe(body.byteLength);
      if (size !== undefined) expect(events.every((p) => p.total === size)).toBe(true);
    }
  });

  it('resumes from what GCS holds after a 503, a cut request, a lost answer and a short persist', async () => {
    const body = randomBytes(6 * CHUNK + 5000);
    // PUT 1 answers 503, PUT 3 is cut mid-body, PUT 5 persists but its answer is lost, PUT 7 persists half.
    const backend = await through({ 1: '503', 3: 'reset', 5: 'resetResponse', 7: 'short' });
    const info = await backend.write('resumed.bin', streamOf(body));
    expect(info.size).toBe(body.byteLength);
    await expectStored('resumed.bin', body);
    const requests = proxy!.requests;
    // Each failure was followed by a status query, and the lost answer did not make the chunk go twice.
    expect(requests.filter((r) => r.fault === 'statusQuery')).toHaveLength(3);
    const afterLost = requests.findIndex((r) => r.fault === 'resetResponse');
    expect(requests[afterLost + 1]?.fault).toBe('statusQuery');
    expect(requests[afterLost + 2]?.contentRange).not.toBe(requests[afterLost]?.contentRange);
    // The short persist made the adapter send the rest of that chunk from its buffer.
    const short = requests.findIndex((r) => r.fault === 'short');
    const [, start, end] = /bytes (\d+)-(\d+)/.exec(requests[short]!.contentRange!)!;
    expect(requests[short + 1]?.contentRange).toBe(
      `bytes ${Number(start) + CHUNK / 2}-${end}/${/\/(.+)$/.exec(requests[short + 1]!.contentRange!)![1]}`,
    );
  });

  it('resumes the last chunk after a 503, and takes the object from the status query when its answer is lost', async () => {
    const body = randomBytes(2 * CHUNK + 10);
    const backend = await through({ 2: '503', 6: 'resetResponse' });
    await backend.write('last-retry.bin', streamOf(body), { size: body.byteLength });
    await expectStored('last-retry.bin', body);
    // Second write: data PUTs 4, 5, 6 (3 was the resent last chunk); the last is stored, its answer cut.
    const again = randomBytes(2 * CHUNK + 20);
    const info = await backend.write('last-lost.bin', streamOf(again));
    expect(info.size).toBe(again.byteLength);
    await expectStored('last-lost.bin', again);
    expect(proxy!.requests.at(-1)?.fault).toBe('statusQuery');
  });

  it('gives up after maxRetries with Unavailable and stores nothing', async () => {
    const backend = await through({ 1: '503', 2: '503', 3: '503' }, { maxRetries: 2 });
    const error = await backend.write('gave-up.bin', streamOf(randomBytes(3 * CHUNK))).catch((e) => e);
    expect(isStorageError(error, 'Unavailable')).toBe(true);
    expect(await direct.exists('gave-up.bin')).toBe(false);
    // Three tries of the second chunk, then the session was cancelled.
    expect(proxy!.requests.filter((r) => r.fault === '503')).toHaveLength(3);
    expect(proxy!.requests.at(-1)?.method).toBe('DELETE');
  });

  it('removes an object fake-gcs-server finalised early on a status query, and fails with Unavailable', async () => {
    await direct.write('early.bin', 'previous');
    const backend = await through({ 1: '503' }, { passStatusQueries: true, validation: false });
    const error = await backend.write('early.bin', streamOf(randomBytes(3 * CHUNK))).catch((e) => e);
    expect(isStorageError(error, 'Unavailable')).toBe(true);
    // The partial object is gone (on GCS the status query would not have finalised anything).
    expect(await direct.exists('early.bin')).toBe(false);
  });

  it('deletes the object and fails with IntegrityError when the stored CRC32C differs from the bytes sent', async () => {
    await direct.write('corrupt.bin', 'previous');
    const backend = await through({ 1: 'corrupt' });
    const error = await backend.write('corrupt.bin', streamOf(randomBytes(3 * CHUNK))).catch((e) => e);
    expect(isStorageError(error, 'IntegrityError')).toBe(true);
    // The generation just written was deleted (the bucket keeps no older ones).
    expect(await direct.exists('corrupt.bin')).toBe(false);
  });

  it('keeps ifNotExists and ifMatch in chunked mode, including a change made during the upload', async () => {
    const body = randomBytes(2 * CHUNK + 3);
    const created = await direct.write('cond.bin', streamOf(body), { ifNotExists: true });
    await expectStored('cond.bin', body);
    const exists = await direct
      .write('cond.bin', streamOf(randomBytes(2 * CHUNK)), { ifNotExists: true })
      .catch((e) => e);
    expect(isStorageError(exists, 'AlreadyExists')).toBe(true);
    const next = randomBytes(3 * CHUNK);
    const replaced = await direct.write('cond.bin', streamOf(next), { ifMatch: created.etag });
    expect(replaced.etag).not.toBe(created.etag);
    const stale = await direct
      .write('cond.bin', streamOf(randomBytes(2 * CHUNK)), { ifMatch: created.etag })
      .catch((e) => e);
    expect(isStorageError(stale, 'PreconditionFailed')).toBe(true);
    await expectStored('cond.bin', next);

    // Another writer replaces the object after the first chunks: the last chunk meets a 412.
    const racing = streamOf(randomBytes(4 * CHUNK), 64 * KiB, {
      onPiece: async (offset) => {
        if (offset === 2 * CHUNK) await direct.write('cond.bin', 'other writer');
      },
    });
    const lost = await direct.write('cond.bin', racing, { ifMatch: replaced.etag }).catch((e) => e);
    expect(isStorageError(lost, 'PreconditionFailed')).toBe(true);
    expect(Buffer.from(await direct.read('cond.bin')).toString()).toBe('other writer');
  });

  it('an abort while a chunk is in flight rejects with Aborted, keeps the old object and cancels the session', async () => {
    const before = await direct.write('abort.bin', 'previous');
    const backend = await through({ 1: 'delay' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const error = await backend
      .write('abort.bin', streamOf(randomBytes(4 * CHUNK)), { signal: controller.signal })
      .catch((e) => e);
    expect(isStorageError(error, 'Aborted')).toBe(true);
    // Let the delayed chunk reach the emulator: it is not the last, so nothing is created.
    await new Promise((r) => setTimeout(r, 400));
    expect((await direct.stat('abort.bin')).etag).toBe(before.etag);
    expect(Buffer.from(await direct.read('abort.bin')).toString()).toBe('previous');
    expect(proxy!.requests.some((r) => r.method === 'DELETE')).toBe(true);
  });

  it('a source that fails after some chunks were sent stores nothing and cancels the session', async () => {
    const backend = await through();
    const error = await backend
      .write('failing.bin', streamOf(randomBytes(5 * CHUNK), 64 * KiB, { failAt: 3 * CHUNK, delayMs: 10 }))
      .catch((e) => e);
    expect(error).toMatchObject({ name: 'StorageError' });
    expect(await direct.exists('failing.bin')).toBe(false);
    expect(proxy!.requests.filter((r) => r.method === 'PUT').length).toBeGreaterThanOrEqual(2);
    expect(proxy!.requests.at(-1)?.method).toBe('DELETE');
    // A declared size the stream does not meet never sends the last chunk either.
    const short = await backend
      .write('short.bin', streamOf(randomBytes(3 * CHUNK)), { size: 4 * CHUNK })
      .catch((e) => e);
    expect(isStorageError(short, 'IntegrityError')).toBe(true);
    expect(await direct.exists('short.bin')).toBe(false);
  });

  it('fails with NotFound naming the bucket when it does not exist', async () => {
    const missing = gcs({ bucket: `${bucket}-missing`, apiEndpoint: endpoint, partSize: '256KiB' });
    const error = await missing.write('k.bin', streamOf(randomBytes(CHUNK + 1))).catch((e) => e);
    expect(isStorageError(error, 'NotFound')).toBe(true);
    expect(String(error.message)).toMatch(/bucket/);
  });

  it('the raw SDK reads what the chunked upload stored', async () => {
    const body = randomBytes(2 * CHUNK + 1);
    const info = await direct.write('raw-check.bin', streamOf(body));
    const [metadata] = await rawClient(endpoint).bucket(bucket).file('raw-check.bin').getMetadata();
    expect(Number(metadata.size)).toBe(body.byteLength);
    expect(String(metadata.generation)).toBe(info.etag);
  });
});
