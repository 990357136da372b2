/**
 * Chunked resumable uploads (a `partSize` is set), run by the adapter itself
 * rather than by the SDK's chunked `createWriteStream`, which keeps a copy of
 * the chunk for retries and concatenates buffers (about 100 MiB of growth for
 * a 1 GiB stream in 16 MiB chunks, against 2 × chunk + 64 MiB aimed at).
 *
 * The SDK opens the session (`createResumableUpload`: metadata, declared
 * length, generation preconditions, KMS key, user project), then each chunk
 * goes as one `PUT <session> Content-Range: bytes a-b/*` (the last one
 * `/total`) over this backend's keep-alive agent, with the SDK's credentials:
 *
 * - streamed bodies are copied into at most two chunk buffers, allocated once
 *   and reused: the next chunk is read while the current one is sent;
 *   in-memory bodies are sent as views, without copies;
 * - `308` + `Range` says how much GCS persisted; a shorter range re-sends the
 *   rest from the buffer;
 * - 408, 429, 5xx and network errors are retried (up to `maxRetries` per
 *   chunk, with backoff) after asking the session how much it holds
 *   (`Content-Range: bytes *\/*`), from that offset;
 * - the last chunk goes only after the source ended cleanly with the declared
 *   size; it carries the CRC32C (or MD5) of the whole body in `X-Goog-Hash`,
 *   and the stored object's hash is compared again (on a mismatch that
 *   generation is deleted and the write fails with `IntegrityError`, as the
 *   SDK does);
 * - a failed or aborted upload never sends the last chunk, so no object
 *   appears; the session is then cancelled (best effort; abandoned sessions
 *   expire after a week anyway).
 */
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import type { File, FileMetadata, PreconditionOptions } from '@google-cloud/storage';
import type { PreparedBody } from '../../core/body.js';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import { HttpApiError, makeHasher } from './download.js';
import { statusOf } from './errors.js';
import { deleteGeneration, Session } from './session.js';

/** What a chunked upload needs besides the body. */
export interface ChunkedUpload {
  file: File;
  /** Keep-alive sockets of the backend (used when the session URL has the same scheme). */
  agent: HttpAgent | HttpsAgent;
  /** Bytes per chunk: a multiple of 256 KiB. */
  chunkSize: number;
  validation: 'crc32c' | 'md5' | false;
  /** Retries of one chunk on 408, 429, 5xx and network errors. */
  maxRetries: number;
  /** The object resource (with `contentLength` when the size is known). */
  metadata: FileMetadata;
  preconditionOpts?: PreconditionOptions;
  userProject?: string;
  signal?: AbortSignal;
}

type Hasher = Awaited<ReturnType<typeof makeHasher>>;

/** Uploads `body` in chunks through a resumable session; resolves with the stored object's resource. */
export async function uploadChunked(upload: ChunkedUpload, body: PreparedBody): Promise<FileMetadata> {
  // Taken at once, so that a failure to open the session releases the source too.
  const source = body.bytes === undefined ? body.stream() : undefined;
  // Stops requests in flight when the upload fails for another reason (source error, abort).
  const stop = new AbortController();
  const signal = upload.signal === undefined ? stop.signal : AbortSignal.any([upload.signal, stop.signal]);
  let session: Session | undefined;
  try {
    throwIfAborted(upload.signal, 'write');
    session = new Session(
      new URL(await openSession(upload)),
      upload.file,
      upload.agent,
      upload.maxRetries,
      signal,
    );
    const hasher = upload.validation === false ? undefined : memo(await makeHasher(upload.validation));
    const resource =
      source !== undefined
        ? await sendStream(session, source, upload.chunkSize, body.size, hasher, upload.validation)
        : await sendBytes(session, body.bytes!, upload.chunkSize, hasher, upload.validation);
    await checkStored(upload.file, resource, hasher, upload.validation);
    return resource;
  } catch (e) {
    stop.abort();
    source?.destroy();
    await session?.cancel();
    throw e;
  }
}

/** Opens the resumable session (metadata, declared length, preconditions, KMS key, user project). */
async function openSession(upload: ChunkedUpload): Promise<string> {
  try {
    const [uri] = await upload.file.createResumableUpload({
      metadata: upload.metadata,
      ...(upload.preconditionOpts !== undefined ? { preconditionOpts: upload.preconditionOpts } : {}),
      ...(upload.userProject !== undefined ? { userProject: upload.userProject } : {}),
    });
    return uri;
  } catch (e) {
    // The SDK keeps only the status text of a failed session start; a 404 there can only mean the bucket.
    if (statusOf(e) !== 404) throw e;
    throw new HttpApiError('The specified bucket does not exist.', 404, undefined, {
      status: 404,
      headers: {},
    });
  }
}

/** A hasher whose digest can be read more than once. */
function memo(hasher: Hasher): Hasher {
  let digest: string | undefined;
  return { update: (b) => hasher.update(b), digest: () => (digest ??= hasher.digest()) };
}

/** The `X-Goog-Hash` header of the last chunk: GCS refuses to finalise an object that does not match. */
function hashHeader(
  hasher: Hasher | undefined,
  validation: ChunkedUpload['validation'],
): Record<string, string> {
  return hasher === undefined ? {} : { 'X-Goog-Hash': `${validation}=${hasher.digest()}` };
}

async function sendBytes(
  session: Session,
  bytes: Uint8Array,
  chunkSize: number,
  hasher: Hasher | undefined,
  validation: ChunkedUpload['validation'],
): Promise<FileMetadata> {
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  hasher?.update(all);
  let offset = 0;
  while (all.byteLength - offset > chunkSize) {
    await session.send(all.subarray(offset, offset + chunkSize), offset, all.byteLength);
    offset += chunkSize;
  }
  const last = all.subarray(offset);
  return (await session.send(last, offset, all.byteLength, hashHeader(hasher, validation)))!;
}

async function sendStream(
  session: Session,
  source: Readable,
  chunkSize: number,
  size: number | undefined,
  hasher: Hasher | undefined,
  validation: ChunkedUpload['validation'],
): Promise<FileMetadata> {
  const reader = new ChunkReader(source, hasher);
  const buffers: [Buffer, Buffer | undefined] = [Buffer.allocUnsafe(chunkSize), undefined];
  let current = 0;
  let next = await reader.fill(buffers[0]);
  let offset = 0;
  for (;;) {
    const data = buffers[current]!.subarray(0, next.length);
    if (next.last) {
      const total = offset + data.byteLength;
      if (size !== undefined && total !== size) {
        throw new StorageError(
          'IntegrityError',
          `The body ended after ${total} bytes but ${size} were declared; nothing was stored.`,
        );
      }
      return (await session.send(data, offset, total, hashHeader(hasher, validation)))!;
    }
    // Read the next chunk into the other buffer while this one is sent.
    const other = 1 - current;
    buffers[other] ??= Buffer.allocUnsafe(chunkSize);
    const reading = reader.fill(buffers[other]!);
    reading.catch(() => {});
    await Promise.all([session.send(data, offset, size), reading]);
    offset += data.byteLength;
    next = await reading;
    current = other;
  }
}

/** Copies a stream's chunks into chunk buffers, hashing them, and tells when a chunk is the last. */
class ChunkReader {
  private readonly chunks: AsyncIterator<unknown>;
  private pending: Buffer | undefined;
  private ended = false;

  constructor(
    source: Readable,
    private readonly hasher: Hasher | undefined,
  ) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /** Fills `buffer` as far as the source goes; `last` when nothing follows. */
  async fill(buffer: Buffer): Promise<{ length: number; last: boolean }> {
    let length = 0;
    while (length < buffer.byteLength && (await this.hasMore())) {
      const chunk = this.pending!;
      const take = Math.min(chunk.byteLength, buffer.byteLength - length);
      chunk.copy(buffer, length, 0, take);
      length += take;
      this.pending = take < chunk.byteLength ? chunk.subarray(take) : undefined;
    }
    this.hasher?.update(buffer.subarray(0, length));
    // A full buffer is the last only if the source ends right there.
    return { length, last: !(await this.hasMore()) };
  }

  /** Whether bytes follow (reads one chunk ahead); rejects with the source's error. */
  private async hasMore(): Promise<boolean> {
    while (this.pending === undefined && !this.ended) {
      const next = await this.chunks.next();
      if (next.done === true) this.ended = true;
      else {
        const value = next.value;
        const chunk =
          typeof value === 'string'
            ? Buffer.from(value)
            : Buffer.from(
                (value as Uint8Array).buffer,
                (value as Uint8Array).byteOffset,
                (value as Uint8Array).byteLength,
              );
        if (chunk.byteLength > 0) this.pending = chunk;
      }
    }
    return this.pending !== undefined;
  }
}

/** Compares the stored object's hash with the bytes sent; a mismatch deletes that generation. */
async function checkStored(
  file: File,
  resource: FileMetadata,
  hasher: Hasher | undefined,
  validation: ChunkedUpload['validation'],
): Promise<void> {
  if (hasher === undefined) return;
  const stored = validation === 'md5' ? resource.md5Hash : resource.crc32c;
  if (stored === hasher.digest()) return;
  // As the SDK does: the object cannot be trusted, so it goes (only the generation just written).
  await deleteGeneration(file, resource);
  throw new StorageError(
    'IntegrityError',
    stored === undefined
      ? `GCS reported no ${String(validation).toUpperCase()} for the uploaded object, so it could not be checked and was deleted; write it again (or use validation: 'crc32c').`
      : `The bytes GCS stored do not match the bytes sent (${String(validation).toUpperCase()} ${stored}, sent ${hasher.digest()}); the object was deleted: write it again.`,
  );
}
