/**
 * Writes: one request for small bodies of known size, a resumable session for
 * the rest.
 *
 * A resumable session streams the body in one request by default (as the SDK
 * does; the fastest way, with memory bounded by stream buffers). With a
 * `partSize` (per write or on the backend) it goes in chunks of that size
 * instead (`chunked.ts`, the adapter's own requests): each chunk can be
 * retried, at the cost of at most two chunk buffers and one round trip per
 * chunk.
 *
 * Either way the object is created only when the request that carries the
 * end of the body completes, and that happens only after the source ended
 * cleanly: a source that fails, a body shorter or longer than its declared
 * `size`, or an abort destroys the request, so no object appears and the
 * previous generation stays. Abandoned sessions hold no object and expire on
 * their own after a week.
 */
import { once } from 'node:events';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  CreateWriteStreamOptions,
  File,
  FileMetadata,
  PreconditionOptions,
} from '@google-cloud/storage';
import type { PreparedBody } from '../../core/body.js';
import type { ResolvedWriteOptions } from '../../core/base.js';
import { StorageError } from '../../core/errors.js';
import { uploadChunked } from './chunked.js';
import { CHUNK_QUANTUM } from './options.js';
import { generationOf } from './info.js';

/** Settings of the backend that shape uploads. */
export interface UploadSettings {
  simpleUploadThreshold: number;
  /** Chunk size of resumable uploads; undefined = one streaming request. */
  partSize: number | undefined;
  validation: 'crc32c' | 'md5' | false;
  storageClass?: string;
  userProject?: string;
  /** The backend's keep-alive sockets, for the requests of chunked uploads. */
  agent: HttpAgent | HttpsAgent;
  /** Retries of one chunk of a chunked upload on 408, 429, 5xx and network errors. */
  maxRetries: number;
}

/**
 * The generation precondition of a write: `ifNotExists` is
 * `ifGenerationMatch: 0` ("no live object"), `ifMatch` is the generation the
 * etag names. The SDK sends it on every attempt, so retries stay safe.
 */
export function writePrecondition(options: {
  ifNotExists?: boolean;
  ifMatch?: string;
}): PreconditionOptions | undefined {
  if (options.ifNotExists === true) return { ifGenerationMatch: 0 };
  if (options.ifMatch === undefined) return undefined;
  const generation = generationOf(options.ifMatch, 'ifMatch');
  if (generation === undefined || generation === 0) {
    throw new StorageError(
      'PreconditionFailed',
      `The etag ${JSON.stringify(options.ifMatch)} is not a GCS generation this backend returned, so it cannot match.`,
      { status: 412 },
    );
  }
  return { ifGenerationMatch: generation };
}

/** The object resource fields a write sets. */
export function writeMetadata(options: ResolvedWriteOptions, settings: UploadSettings): FileMetadata {
  const metadata: FileMetadata = { contentType: options.contentType ?? 'application/octet-stream' };
  if (options.cacheControl !== undefined) metadata.cacheControl = options.cacheControl;
  if (options.contentDisposition !== undefined) metadata.contentDisposition = options.contentDisposition;
  if (options.contentEncoding !== undefined) metadata.contentEncoding = options.contentEncoding;
  const storageClass = options.storageClass ?? settings.storageClass;
  if (storageClass !== undefined) metadata.storageClass = storageClass;
  if (options.metadata !== undefined && Object.keys(options.metadata).length > 0)
    metadata.metadata = options.metadata;
  return metadata;
}

/** The chunk size of a resumable upload (`partSize` rounded up to 256 KiB), or undefined for one request. */
function chunkSizeOf(options: ResolvedWriteOptions, settings: UploadSettings): number | undefined {
  const wanted = options.partSize ?? settings.partSize;
  if (wanted === undefined) return undefined;
  return Math.max(CHUNK_QUANTUM, Math.ceil(wanted / CHUNK_QUANTUM) * CHUNK_QUANTUM);
}

/**
 * Uploads a body to `file` and resolves with the stored object's resource.
 * Rejects with the source's error when the source fails.
 */
export async function upload(
  file: File,
  body: PreparedBody,
  options: ResolvedWriteOptions,
  settings: UploadSettings,
): Promise<FileMetadata> {
  const preconditionOpts = writePrecondition(options);
  const metadata = writeMetadata(options, settings);
  const size = body.size;
  const simple = size !== undefined && size <= settings.simpleUploadThreshold;
  const streamOptions: CreateWriteStreamOptions = {
    metadata,
    resumable: !simple,
    validation: settings.validation,
    ...(preconditionOpts !== undefined ? { preconditionOpts } : {}),
    ...(settings.userProject !== undefined ? { userProject: settings.userProject } : {}),
  };
  if (!simple) {
    // A known length lets GCS check it; the SDK reads it from the metadata.
    if (size !== undefined) (metadata as FileMetadata & { contentLength?: number }).contentLength = size;
    const chunkSize = chunkSizeOf(options, settings);
    if (chunkSize !== undefined) {
      return uploadChunked(
        {
          file,
          agent: settings.agent,
          chunkSize,
          validation: settings.validation,
          maxRetries: settings.maxRetries,
          metadata,
          ...(preconditionOpts !== undefined ? { preconditionOpts } : {}),
          ...(settings.userProject !== undefined ? { userProject: settings.userProject } : {}),
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
        },
        body,
      );
    }
  }
  const sink = file.createWriteStream(streamOptions);
  // Streamed bodies are cut by the core on abort; in-memory ones are cut here.
  const signal = options.signal;
  const onAbort = () =>
    sink.destroy(new StorageError('Aborted', 'write was aborted', { cause: signal?.reason }));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (body.bytes !== undefined) {
      const bytes = body.bytes;
      const done = once(sink, 'finish');
      sink.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      await done;
    } else {
      const source: Readable = body.stream();
      await pipeline(source, sink);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return file.metadata;
}
