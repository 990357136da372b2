/**
 * Server-side copy, within one bucket or between two buckets (or prefixes)
 * reached with the same connection: CopyObject up to 5 GiB; above it (and for
 * `ifNotExists`, which CopyObject does not honour on every service) a
 * multipart upload of UploadPartCopy parts, completed with If-None-Match so
 * the condition is atomic. Metadata is preserved (MetadataDirective COPY)
 * unless a new content type or metadata is given (REPLACE, keeping the other
 * headers).
 */
import type { CompletedPart } from '@aws-sdk/client-s3';
import type { CopyOptions, ObjectInfo } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';
import type { S3Backend, S3Session } from './backend.js';
import { mapS3Error } from './errors.js';
import { copySource, encryptionFields } from './info.js';
import { MAX_SINGLE_REQUEST } from './options.js';
import { partSizeFor } from './upload.js';

const COPY_PART_SIZE = 512 * 2 ** 20;

/**
 * Copies `from` (a key of `sourceBackend`) to `to` (a key of `backend`) with
 * `session`, the target's connection; the two backends may be one.
 */
export async function copyObject(
  backend: S3Backend,
  session: S3Session,
  from: string,
  to: string,
  options: CopyOptions,
  sourceBackend: S3Backend = backend,
): Promise<ObjectInfo> {
  const { client, s3 } = session;
  const config = backend.options;
  const source = await sourceBackend.stat(from, { signal: options.signal });
  const copyFrom = copySource(sourceBackend.options.bucket, sourceBackend.fullPath(from));
  const replace = options.metadata !== undefined || options.contentType !== undefined;
  const contentType = options.contentType ?? source.contentType;
  const metadata = options.metadata ?? source.metadata;
  const sourceSse = Object.fromEntries(
    Object.entries(sourceBackend.sseCustomerFields()).map(([k, v]) => [`CopySource${k}`, v]),
  );
  const storageClass = options.storageClass ?? config.storageClass;
  const headers = {
    ContentType: contentType,
    Metadata: metadata,
    CacheControl: source.cacheControl,
    ContentDisposition: source.contentDisposition,
    ContentEncoding: source.contentEncoding,
  };
  const info = (
    etag: string | undefined,
    version: string | undefined,
    lastModified: Date | undefined,
  ): ObjectInfo => {
    const out: ObjectInfo = {
      key: to,
      size: source.size,
      lastModified: lastModified ?? new Date(),
      metadata: { ...metadata },
      storageClass: storageClass ?? 'STANDARD',
    };
    if (contentType !== undefined) out.contentType = contentType;
    if (etag !== undefined) out.etag = etag;
    if (version !== undefined && version !== 'null') out.version = version;
    for (const field of ['cacheControl', 'contentDisposition', 'contentEncoding'] as const) {
      if (source[field] !== undefined) out[field] = source[field];
    }
    return out;
  };

  if (!options.ifNotExists && source.size <= MAX_SINGLE_REQUEST) {
    const out = await client.send(
      new s3.CopyObjectCommand({
        Bucket: config.bucket,
        Key: backend.fullPath(to),
        CopySource: copyFrom,
        MetadataDirective: replace ? 'REPLACE' : 'COPY',
        ...(replace ? headers : {}),
        StorageClass: storageClass as never,
        ...encryptionFields(config.encryption),
        ...sourceSse,
      }),
      { abortSignal: options.signal },
    );
    return info(out.CopyObjectResult?.ETag, out.VersionId, out.CopyObjectResult?.LastModified);
  }

  const created = await client.send(
    new s3.CreateMultipartUploadCommand({
      Bucket: config.bucket,
      Key: backend.fullPath(to),
      ...headers,
      StorageClass: storageClass as never,
      ...encryptionFields(config.encryption),
    }),
    { abortSignal: options.signal },
  );
  const uploadId = created.UploadId!;
  try {
    const partSize = partSizeFor(source.size, COPY_PART_SIZE);
    const ranges: { n: number; range?: string }[] = [];
    if (source.size === 0) ranges.push({ n: 1 });
    for (let offset = 0, n = 1; offset < source.size; offset += partSize, n++) {
      ranges.push({ n, range: `bytes=${offset}-${Math.min(source.size, offset + partSize) - 1}` });
    }
    const parts: CompletedPart[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ranges.length) {
        const { n, range } = ranges[next++]!;
        const out = await client.send(
          new s3.UploadPartCopyCommand({
            Bucket: config.bucket,
            Key: backend.fullPath(to),
            UploadId: uploadId,
            PartNumber: n,
            CopySource: copyFrom,
            CopySourceRange: range,
            CopySourceIfMatch: source.etag,
            ...sourceSse,
            ...backend.sseCustomerFields(),
          }),
          { abortSignal: options.signal },
        );
        parts.push({ PartNumber: n, ETag: out.CopyPartResult?.ETag });
      }
    };
    await Promise.all(Array.from({ length: Math.min(config.concurrency, ranges.length) }, worker));
    parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const out = await client.send(
      new s3.CompleteMultipartUploadCommand({
        Bucket: config.bucket,
        Key: backend.fullPath(to),
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        IfNoneMatch: options.ifNotExists ? '*' : undefined,
        ...backend.sseCustomerFields(),
      }),
      { abortSignal: options.signal },
    );
    return info(out.ETag, out.VersionId, undefined);
  } catch (e) {
    await client
      .send(
        new s3.AbortMultipartUploadCommand({
          Bucket: config.bucket,
          Key: backend.fullPath(to),
          UploadId: uploadId,
        }),
        { abortSignal: AbortSignal.timeout(30_000) },
      )
      .catch(() => {});
    throw e;
  }
}

/**
 * A copy failure as a StorageError of the target; a failed `ifNotExists`
 * condition becomes `AlreadyExists`.
 */
export function copyError(
  e: unknown,
  backend: S3Backend,
  from: string,
  to: string,
  options: CopyOptions,
): StorageError {
  const key = e instanceof StorageError ? (e.key ?? from) : from;
  const error = mapS3Error(e, { backend: backend.kind, operation: 'copy', key, bucket: backend.bucket });
  if (options.ifNotExists && error.code === 'PreconditionFailed' && !error.retryable) {
    return new StorageError(
      'AlreadyExists',
      `An object already exists at ${JSON.stringify(to)} (ifNotExists).`,
      {
        backend: backend.kind,
        operation: 'copy',
        key: to,
        cause: error,
      },
    );
  }
  return error;
}
