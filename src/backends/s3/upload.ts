/**
 * Writes: one PutObject for bodies up to the threshold, multipart above it
 * and for bodies of unknown length.
 *
 * Memory stays bounded by `partSize × (concurrency + 1)`: at most
 * `concurrency` parts are in flight while the next one fills. Part size grows
 * so an upload never needs more than 10,000 parts (from the known size, or,
 * for unknown lengths, by doubling every 2,000 parts). Any failure (a part,
 * the source, an abort, a failed completion) aborts the multipart upload
 * after the parts in flight have settled, so no orphan upload remains.
 */
import type * as S3Module from '@aws-sdk/client-s3';
import type { CompletedPart, PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { PreparedBody } from '../../core/body.js';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import { MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE } from './options.js';

const MiB = 2 ** 20;

/** Everything a write needs besides the body. */
export interface UploadRequest {
  client: S3Client;
  s3: typeof S3Module;
  bucket: string;
  /** Full object key (root prefix included). */
  path: string;
  /** Headers-as-fields shared by PutObject and CreateMultipartUpload (content type, metadata, SSE, ...). */
  fields: Omit<PutObjectCommandInput, 'Bucket' | 'Key' | 'Body' | 'IfNoneMatch' | 'IfMatch'>;
  /** SSE-C fields every UploadPart must repeat. */
  partFields: Record<string, unknown>;
  ifNoneMatch?: string;
  ifMatch?: string;
  partSize: number;
  concurrency: number;
  threshold: number;
  /** Ask for CRC32 part checksums (when the client computes them). */
  checksumAlgorithm?: 'CRC32';
  signal?: AbortSignal;
}

/** What the service said about the stored object. */
export interface UploadResult {
  etag?: string;
  versionId?: string;
  size: number;
}

/** Part size for a body of known size: at least `partSize`, enough for ≤ 10,000 parts, whole MiB. */
export function partSizeFor(size: number, partSize: number): number {
  const needed = Math.ceil(size / MAX_PARTS);
  const chosen = Math.max(partSize, Math.ceil(needed / MiB) * MiB, MIN_PART_SIZE);
  if (size > 5 * 2 ** 40 || chosen > MAX_PART_SIZE) {
    throw new StorageError('InvalidArgument', `An object of ${size} bytes is over S3's 5 TiB limit.`);
  }
  return chosen;
}

/** Part size of part `n` (1-based) of an upload of unknown length: doubles every 2,000 parts. */
export function growingPartSize(n: number, partSize: number): number {
  return Math.min(MAX_PART_SIZE, partSize * 2 ** Math.floor((n - 1) / 2000));
}

/**
 * Part buffers, reused once their upload has settled: the memory of an
 * upload stays at `concurrency + 1` buffers however long the stream, and the
 * garbage collector is not left to find 8 MiB buffers on its own.
 */
export class PartPool {
  private readonly free: Buffer[] = [];
  private readonly owned = new WeakSet<ArrayBufferLike>();

  /** A buffer of exactly `size` bytes (contents undefined). */
  take(size: number): Buffer {
    const index = this.free.findIndex((b) => b.length === size);
    if (index !== -1) return this.free.splice(index, 1)[0]!;
    const buffer = Buffer.allocUnsafeSlow(size);
    this.owned.add(buffer.buffer);
    return buffer;
  }

  /** Gives a part back; views of buffers the pool did not make are ignored. */
  release(part: Buffer): void {
    if (this.owned.has(part.buffer) && part.byteOffset === 0 && part.length === part.buffer.byteLength) {
      this.free.push(part);
    }
  }
}

/** Resolves when the stream has data, ended, or closed; rejects on error. */
function readable(source: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      cleanup();
      resolve();
    };
    const fail = (e: unknown) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      source.off('readable', done);
      source.off('end', done);
      source.off('close', done);
      source.off('error', fail);
    };
    source.on('readable', done);
    source.on('end', done);
    source.on('close', done);
    source.on('error', fail);
  });
}

/**
 * Cuts a stream into Buffers of the sizes `sizeOf(n)` asks for (the last may
 * be shorter), taken from `pool`. It pulls with `read()`, which hands over
 * everything buffered at once, so a stream of 1 KiB chunks costs one copy
 * per chunk and not one promise per chunk.
 */
async function* parts(
  source: Readable,
  sizeOf: (n: number) => number,
  pool: PartPool,
): AsyncGenerator<Buffer> {
  let n = 1;
  let part = pool.take(sizeOf(n));
  let filled = 0;
  for (;;) {
    if (source.errored) throw source.errored;
    const chunk = source.read() as Buffer | null;
    if (chunk === null) {
      if (source.readableEnded) break;
      if (source.destroyed) throw source.errored ?? new Error('the body stream closed before its end');
      await readable(source);
      continue;
    }
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(part.length - filled, chunk.length - offset);
      chunk.copy(part, filled, offset, offset + take);
      filled += take;
      offset += take;
      if (filled === part.length) {
        yield part;
        n++;
        part = pool.take(sizeOf(n));
        filled = 0;
      }
    }
  }
  if (filled > 0) yield part.subarray(0, filled);
  else pool.release(part);
}

/** Writes a body; resolves once the object is stored. */
export async function upload(request: UploadRequest, body: PreparedBody): Promise<UploadResult> {
  const { size } = body;
  if (body.bytes !== undefined && body.bytes.byteLength <= request.threshold) {
    return putObject(request, body.bytes);
  }
  if (body.bytes !== undefined) {
    const bytes = Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength);
    const each = partSizeFor(bytes.length, request.partSize);
    const slices = (function* () {
      for (let offset = 0; offset < bytes.length; offset += each) yield bytes.subarray(offset, offset + each);
    })();
    return multipart(request, slices, new PartPool());
  }
  const source = body.stream();
  const pool = new PartPool();
  if (size !== undefined && size <= request.threshold) {
    // Small: read it whole (≤ threshold) so the SDK can retry and checksum it.
    let whole: Buffer = Buffer.alloc(0);
    for await (const part of parts(source, () => Math.max(size, 1), pool))
      whole = whole.length ? Buffer.concat([whole, part]) : part;
    return putObject(request, whole);
  }
  const knownPartSize = size !== undefined ? partSizeFor(size, request.partSize) : undefined;
  const sizeOf = (n: number) => knownPartSize ?? growingPartSize(n, request.partSize);
  const iterator = parts(source, sizeOf, pool);
  // Look ahead until the body proves bigger than the threshold (unknown lengths may be small).
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes <= request.threshold) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
  }
  if (done) return putObject(request, head.length === 1 ? head[0]! : Buffer.concat(head));
  return multipart(
    request,
    (async function* () {
      yield* head.splice(0);
      yield* iterator;
    })(),
    pool,
  );
}

async function putObject(request: UploadRequest, bytes: Uint8Array): Promise<UploadResult> {
  const { s3, client } = request;
  const out = await client.send(
    new s3.PutObjectCommand({
      ...request.fields,
      Bucket: request.bucket,
      Key: request.path,
      Body: bytes,
      ContentLength: bytes.byteLength,
      IfNoneMatch: request.ifNoneMatch,
      IfMatch: request.ifMatch,
    }),
    { abortSignal: request.signal },
  );
  return { etag: out.ETag, versionId: out.VersionId, size: bytes.byteLength };
}

async function multipart(
  request: UploadRequest,
  source: Iterable<Buffer> | AsyncIterable<Buffer>,
  pool: PartPool,
): Promise<UploadResult> {
  const { s3, client, bucket, path } = request;
  throwIfAborted(request.signal, 'write', path);
  const created = await client.send(
    new s3.CreateMultipartUploadCommand({
      ...request.fields,
      Bucket: bucket,
      Key: path,
      ChecksumAlgorithm: request.checksumAlgorithm,
    }),
    { abortSignal: request.signal },
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new StorageError('Unknown', 'CreateMultipartUpload returned no upload id.');

  // Aborts the parts in flight when any of them (or the source) fails.
  const controller = new AbortController();
  const onAbort = () => controller.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', onAbort, { once: true });
  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let size = 0;
  let partNumber = 0;
  try {
    for await (const part of source) {
      if (failure !== undefined) break;
      partNumber++;
      if (partNumber > MAX_PARTS) {
        throw new StorageError(
          'InvalidArgument',
          `The body needs more than ${MAX_PARTS} parts; pass \`size\` or a larger \`partSize\`.`,
        );
      }
      size += part.length;
      const number = partNumber;
      const task: Promise<void> = client
        .send(
          new s3.UploadPartCommand({
            ...request.partFields,
            Bucket: bucket,
            Key: path,
            UploadId: uploadId,
            PartNumber: number,
            Body: part,
            ContentLength: part.length,
          }),
          { abortSignal: controller.signal },
        )
        .then((out) => {
          completed.push({ PartNumber: number, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
        })
        .catch((e: unknown) => {
          failure ??= e;
          controller.abort(e);
        })
        .finally(() => {
          inFlight.delete(task);
          pool.release(part);
        });
      inFlight.add(task);
      while (inFlight.size >= request.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    throwIfAborted(request.signal, 'write', path);
    if (partNumber === 0) throw new StorageError('Unknown', 'multipart upload without parts');
    completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const out = await client.send(
      new s3.CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: path,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
        IfNoneMatch: request.ifNoneMatch,
        IfMatch: request.ifMatch,
        ...request.partFields,
      }),
      { abortSignal: request.signal },
    );
    return { etag: out.ETag, versionId: out.VersionId, size };
  } catch (e) {
    controller.abort(e);
    await Promise.allSettled(inFlight);
    await abortUpload(request, uploadId);
    throw e;
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Aborts a multipart upload, twice if a part raced the first abort (S3 may
 * keep parts that completed during an abort). Never throws: the caller
 * reports the original failure.
 */
async function abortUpload(request: UploadRequest, uploadId: string): Promise<void> {
  const { s3, client, bucket, path } = request;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await client.send(
        new s3.AbortMultipartUploadCommand({ Bucket: bucket, Key: path, UploadId: uploadId }),
        { abortSignal: AbortSignal.timeout(30_000) },
      );
      return;
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (
        name === 'NoSuchUpload' ||
        (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
      )
        return;
    }
  }
}
