/** Conversions between S3 responses/requests and stowage's shapes. */
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { ObjectInfo } from '../../core/backend.js';
import type { S3Encryption } from './options.js';

/** ObjectInfo from a HeadObject / GetObject response. */
export function infoFromHead(key: string, out: Partial<HeadObjectCommandOutput>): ObjectInfo {
  const info: ObjectInfo = {
    key,
    size: out.ContentLength ?? 0,
    lastModified: out.LastModified ?? new Date(0),
    metadata: lowerKeys(out.Metadata),
    storageClass: out.StorageClass ?? 'STANDARD',
  };
  if (out.ETag !== undefined) info.etag = out.ETag;
  if (out.VersionId !== undefined && out.VersionId !== 'null') info.version = out.VersionId;
  if (out.ContentType !== undefined) info.contentType = out.ContentType;
  if (out.CacheControl !== undefined) info.cacheControl = out.CacheControl;
  if (out.ContentDisposition !== undefined) info.contentDisposition = out.ContentDisposition;
  if (out.ContentEncoding !== undefined) info.contentEncoding = out.ContentEncoding;
  const checksums: NonNullable<ObjectInfo['checksums']> = {};
  if (out.ChecksumCRC32C) checksums.crc32c = out.ChecksumCRC32C;
  if (out.ChecksumSHA256) checksums.sha256 = out.ChecksumSHA256;
  if (Object.keys(checksums).length > 0) info.checksums = checksums;
  return info;
}

function lowerKeys(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** SSE fields for writes (PutObject, CreateMultipartUpload, CopyObject destination). */
export function encryptionFields(encryption: S3Encryption | undefined): Record<string, unknown> {
  if (encryption === undefined) return {};
  switch (encryption.type) {
    case 'SSE-S3':
      return { ServerSideEncryption: 'AES256' };
    case 'SSE-KMS':
      return {
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: encryption.keyId,
        BucketKeyEnabled: encryption.bucketKey,
      };
    case 'SSE-C':
      return customerKeyFields(encryption.customerKey);
  }
}

/**
 * SSE-C fields for every request that touches the object's bytes (Get, Head,
 * UploadPart, Complete). The key is sent base64-encoded with its MD5, as S3
 * requires; a 32-byte string or Uint8Array is taken as the raw key, any other
 * string as base64.
 */
export function customerKeyFields(key: string | Uint8Array | undefined): Record<string, string> {
  if (key === undefined) return {};
  const raw =
    typeof key === 'string'
      ? Buffer.byteLength(key) === 32
        ? Buffer.from(key)
        : Buffer.from(key, 'base64')
      : Buffer.from(key);
  return {
    SSECustomerAlgorithm: 'AES256',
    SSECustomerKey: raw.toString('base64'),
    SSECustomerKeyMD5: createHash('md5').update(raw).digest('base64'),
  };
}

/** Encodes a key for `x-amz-copy-source`: each segment URL-encoded, slashes kept. */
export function copySource(bucket: string, path: string, version?: string): string {
  const encoded = path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return `${bucket}/${encoded}${version ? `?versionId=${encodeURIComponent(version)}` : ''}`;
}
