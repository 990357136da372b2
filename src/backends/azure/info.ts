/**
 * Object info from Azure responses, and the metadata-name encoding.
 *
 * Azure metadata names must be C# identifiers (letters, digits, `_`, not
 * starting with a digit), while stowage allows any printable ASCII name
 * without separators (`content-hash`, `x.y`). Names that are already
 * identifiers are stored as they are; any other name is stored as
 * `stw_` + the name with each character outside `[a-z0-9]` written as `_hh`
 * (its hex code), so `content-hash` becomes `stw_content_2dhash`. Decoding
 * reverses it exactly.
 */
import type { ObjectInfo } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';

const ESCAPED = 'stw_';

/** The Azure metadata name for a (lower-cased) stowage metadata name. */
export function encodeMetadataName(name: string): string {
  if (/^[a-z][a-z0-9_]*$/.test(name) && !name.startsWith(ESCAPED)) return name;
  let out = ESCAPED;
  for (const ch of name) {
    out += /[a-z0-9]/.test(ch) ? ch : `_${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The stowage metadata name for a stored Azure metadata name. */
export function decodeMetadataName(name: string): string {
  const lower = name.toLowerCase();
  if (!lower.startsWith(ESCAPED)) return lower;
  return lower
    .slice(ESCAPED.length)
    .replace(/_([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Encodes every name of a metadata object. */
export function encodeMetadata(
  metadata: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) out[encodeMetadataName(name)] = value;
  return out;
}

/** Decodes every name of stored metadata. */
export function decodeMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata ?? {})) out[decodeMetadataName(name)] = value;
  return out;
}

/** The properties this module reads, common to getProperties responses and listing items. */
export interface AzureProperties {
  contentLength?: number;
  lastModified?: Date;
  etag?: string;
  versionId?: string;
  contentType?: string;
  contentMD5?: Uint8Array;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  accessTier?: string;
  accessTierInferred?: boolean;
  metadata?: Record<string, string>;
}

/**
 * An `ObjectInfo` from Azure properties. `storageClass` is the access tier
 * only when it was set explicitly: an inferred tier (the account default) is
 * left out, so a write without `storageClass` and its `stat` agree.
 */
export function toObjectInfo(key: string, p: AzureProperties): ObjectInfo {
  const info: ObjectInfo = {
    key,
    size: p.contentLength ?? 0,
    lastModified: p.lastModified ?? new Date(0),
    metadata: decodeMetadata(p.metadata),
  };
  if (p.etag !== undefined) info.etag = p.etag;
  if (p.versionId !== undefined) info.version = p.versionId;
  info.contentType = p.contentType ?? 'application/octet-stream';
  if (p.contentMD5 !== undefined && p.contentMD5.byteLength > 0) {
    info.checksums = { md5: Buffer.from(p.contentMD5).toString('base64') };
  }
  if (p.cacheControl) info.cacheControl = p.cacheControl;
  if (p.contentDisposition) info.contentDisposition = p.contentDisposition;
  if (p.contentEncoding) info.contentEncoding = p.contentEncoding;
  if (p.accessTier !== undefined && p.accessTierInferred !== true) info.storageClass = p.accessTier;
  return info;
}

const TIERS = ['Hot', 'Cool', 'Cold', 'Archive'];

/** The total size in a `Content-Range: bytes a-b/total` header. */
export function totalSize(contentRange: string | undefined): number | undefined {
  const match = contentRange === undefined ? null : /\/(\d+)\s*$/.exec(contentRange);
  return match ? Number(match[1]) : undefined;
}

/** Access tiers are case-insensitive here ('cool' → 'Cool'); premium tiers (P10, ...) pass as given. */
export function normalizeTier(tier: string | undefined): string | undefined {
  if (tier === undefined) return undefined;
  const known = TIERS.find((t) => t.toLowerCase() === tier.toLowerCase());
  if (known !== undefined) return known;
  if (/^P\d+$/i.test(tier)) return tier.toUpperCase();
  throw new StorageError(
    'InvalidArgument',
    `Unknown Azure access tier ${JSON.stringify(tier)}; use Hot, Cool, Cold or Archive.`,
    {
      backend: 'azure',
    },
  );
}
