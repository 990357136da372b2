/**
 * GCS object resources as stowage `ObjectInfo`, and the etag convention.
 *
 * The etag this adapter returns is the object's **generation** (a decimal
 * string). A generation changes on every write of the content (and only
 * then: metadata updates bump the metageneration instead), and it maps
 * one-to-one onto GCS preconditions: `ifMatch: etag` becomes
 * `ifGenerationMatch: etag`, which a retried request keeps, so a retry stays
 * idempotent. GCS's own `etag` field is not used: it also changes on ACL and
 * metadata updates, and no precondition takes it.
 */
import type { FileMetadata } from '@google-cloud/storage';
import type { ObjectInfo } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';

/** Turns an object resource into `ObjectInfo` (key relative to `prefix`). */
export function toObjectInfo(metadata: FileMetadata, prefix: string, withVersion: boolean): ObjectInfo {
  const name = String(metadata.name ?? '');
  const generation = metadata.generation === undefined ? undefined : String(metadata.generation);
  const info: ObjectInfo = {
    key: name.slice(prefix.length),
    size: Number(metadata.size ?? 0),
    lastModified: new Date(String(metadata.updated ?? metadata.timeCreated ?? 0)),
    metadata: customMetadata(metadata.metadata),
  };
  if (generation !== undefined) info.etag = generation;
  if (withVersion && generation !== undefined) info.version = generation;
  if (metadata.contentType) info.contentType = metadata.contentType;
  if (metadata.storageClass) info.storageClass = String(metadata.storageClass);
  if (metadata.cacheControl) info.cacheControl = metadata.cacheControl;
  if (metadata.contentDisposition) info.contentDisposition = metadata.contentDisposition;
  if (metadata.contentEncoding) info.contentEncoding = metadata.contentEncoding;
  const checksums: NonNullable<ObjectInfo['checksums']> = {};
  if (metadata.md5Hash) checksums.md5 = metadata.md5Hash;
  if (metadata.crc32c) checksums.crc32c = metadata.crc32c;
  if (checksums.md5 !== undefined || checksums.crc32c !== undefined) info.checksums = checksums;
  return info;
}

/** Custom metadata as strings (GCS allows null values to mean "removed"). */
function customMetadata(raw: FileMetadata['metadata']): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw === null) return out;
  for (const [name, value] of Object.entries(raw)) {
    if (value !== null && value !== undefined) out[name.toLowerCase()] = String(value);
  }
  return out;
}

/**
 * The generation an etag (or version) names. Quotes are accepted, since HTTP
 * etags are usually quoted. Anything that is not a generation cannot match,
 * so it fails as `PreconditionFailed` (for `ifMatch`) rather than being sent.
 */
export function generationOf(etag: string, what: 'ifMatch' | 'version'): number | undefined {
  const bare = etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (/^[0-9]{1,19}$/.test(bare)) {
    const n = Number(bare);
    if (Number.isSafeInteger(n)) return n;
  }
  if (what === 'version') {
    throw new StorageError(
      'InvalidArgument',
      `\`version\` must be a GCS generation (digits); got ${JSON.stringify(etag)}.`,
    );
  }
  return undefined;
}

/** Whether an etag given by a caller names this generation. */
export function etagMatches(etag: string, generation: string | undefined): boolean {
  if (etag === '*') return generation !== undefined;
  const wanted = generationOf(etag, 'ifMatch');
  return wanted !== undefined && generation !== undefined && String(wanted) === generation;
}
