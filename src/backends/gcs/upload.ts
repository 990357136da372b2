/**
 * Writes: one request for small bodies of known size, a chunked resumable
 * session for the rest.
 *
 * Resumable uploads always go in chunks of `partSize` (the SDK holds about two
 * chunks in memory, so memory stays bounded whatever the body size), and the
 * last chunk — the one that makes GCS create the object — is only sent once
 * the source ended cleanly. A source that fails or is aborted therefore never
 * finalises the session: no object appears and the previous generation stays.
 * (A single-request resumable upload would not give that guarantee: its body
 * could end early and be committed short.) Abandoned sessions hold no object
 * and expire on their own after a week.
 */
import { once } from 'node:events';
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
import { CHUNK_QUANTUM } from './options.js';
import { generationOf } from './info.js';

/** Settings of the backend that shape uploads. */
export interface UploadSettings {
  simpleUploadThreshold: number;
  partSize: number;
  validation: 'crc32c' | 'md5' | false;
  storageClass?: string;
  userProject?: string;
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

/** The chunk size for a resumable upload: `partSize` (rounded up to 256 KiB). */
function chunkSizeOf(options: ResolvedWriteOptions, settings: UploadSettings): number {
  const wanted = options.partSize ?? settings.partSize;
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
    streamOptions.chunkSize = chunkSizeOf(options, settings);
    // A known length lets GCS check it; the SDK reads it from the metadata.
    if (size !== undefined) (metadata as FileMetadata & { contentLength?: number }).contentLength = size;
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
