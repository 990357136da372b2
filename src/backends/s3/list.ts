/**
 * Listing with ListObjectsV2: internal pagination, delimiter folders, and a
 * guard against services that hand back the same continuation token forever.
 * S3 returns keys in UTF-8 binary order, which is the contract's order.
 */
import type * as S3Module from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Entry } from '../../core/backend.js';
import type { ResolvedListOptions } from '../../core/base.js';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import { compareKeys } from '../../core/keys.js';

/** What `listObjects` needs. */
export interface ListRequest {
  client: S3Client;
  s3: typeof S3Module;
  bucket: string;
  /** The backend's root prefix ('' or ending in '/'). */
  root: string;
  /**
   * Check each folder still holds a current object. In versioned buckets a
   * folder whose keys all sit behind delete markers is still returned as a
   * common prefix (seen on MinIO and moto), so versioned backends probe it.
   */
  verifyFolders?: boolean;
}

async function folderHasObjects(
  request: ListRequest,
  folder: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const { client, s3, bucket } = request;
  const page = await client.send(
    new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: folder, MaxKeys: 1 }),
    {
      abortSignal: signal,
    },
  );
  return (page.KeyCount ?? page.Contents?.length ?? 0) > 0;
}

/** Yields entries under `prefix` (relative to the root), in S3's order. */
export async function* listObjects(
  request: ListRequest,
  prefix: string,
  options: ResolvedListOptions,
): AsyncGenerator<Entry> {
  const { client, s3, bucket, root } = request;
  const seen = new Set<string>();
  let token: string | undefined;
  // StartAfter only helps when it lies inside the prefix; the base filters the rest.
  const startAfter =
    options.startAfter !== undefined && compareKeys(options.startAfter, prefix) > 0
      ? root + options.startAfter
      : undefined;
  do {
    throwIfAborted(options.signal, 'list');
    const page = await client.send(
      new s3.ListObjectsV2Command({
        Bucket: bucket,
        Prefix: root + prefix || undefined,
        Delimiter: options.recursive ? undefined : '/',
        MaxKeys: options.pageSize,
        ContinuationToken: token,
        StartAfter: token === undefined ? startAfter : undefined,
      }),
      { abortSignal: options.signal },
    );
    // Objects and folders each come sorted; merge them so the output is sorted too.
    const objects = page.Contents ?? [];
    const folders = page.CommonPrefixes ?? [];
    let i = 0;
    let j = 0;
    while (i < objects.length || j < folders.length) {
      const object = objects[i];
      const folder = folders[j];
      const objectKey = object?.Key;
      const folderKey = folder?.Prefix;
      if (folderKey !== undefined && (objectKey === undefined || compareKeys(folderKey, objectKey) < 0)) {
        j++;
        if (request.verifyFolders && !(await folderHasObjects(request, folderKey, options.signal))) continue;
        yield { type: 'prefix', key: folderKey.slice(root.length) };
        continue;
      }
      i++;
      if (objectKey === undefined || objectKey.endsWith('/')) continue; // folder markers are not objects
      yield {
        type: 'object',
        key: objectKey.slice(root.length),
        size: object?.Size ?? 0,
        lastModified: object?.LastModified ?? new Date(0),
        etag: object?.ETag,
        storageClass: object?.StorageClass ?? 'STANDARD',
        metadata: {},
      };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated && !token) {
      throw new StorageError(
        'Unknown',
        `ListObjectsV2 on bucket ${JSON.stringify(bucket)} said the listing is truncated but gave no continuation token; the service is not S3-compatible here.`,
      );
    }
    if (token !== undefined) {
      if (seen.has(token)) {
        throw new StorageError(
          'Unknown',
          `ListObjectsV2 on bucket ${JSON.stringify(bucket)} returned a continuation token it had already returned; stopping instead of looping. The service's pagination is broken: report it to its vendor.`,
        );
      }
      seen.add(token);
    }
  } while (token !== undefined);
}
