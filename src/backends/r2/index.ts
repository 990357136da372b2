/**
 * `stowage/r2`: Cloudflare R2, which is the S3 adapter with the `r2`
 * provider: region 'auto', the account's R2 endpoint, checksums only when
 * required (R2 rejects some of the SDK's default ones), and R2's
 * capabilities: no versioning, no ACLs, no SSE-KMS (R2 encrypts every object
 * at rest; SSE-C works).
 *
 * Credentials: `accessKeyId` / `secretAccessKey`, else the environment
 * variables `R2_ACCESS_KEY_ID` / `R2_SECRET_ACCESS_KEY`. AWS credentials are
 * never used for R2.
 *
 * @example
 * ```ts
 * import { r2 } from 'stowage/r2';
 * const storage = r2({ accountId: process.env.CF_ACCOUNT_ID!, bucket: 'assets' });
 * await storage.write('logo.svg', svg, { contentType: 'image/svg+xml' });
 * ```
 */
import { z } from 'zod';
import { parseOptions } from '../../core/config.js';
import { StorageError } from '../../core/errors.js';
import { S3Backend, type S3Encryption, s3 } from '../s3/index.js';

/** Options of {@link r2}. */
export interface R2Options {
  /** The Cloudflare account id (32 hex characters, in the dashboard's R2 page). */
  accountId: string;
  /** Bucket name. */
  bucket: string;
  /** Root prefix inside the bucket. @default '' */
  prefix?: string;
  /** R2 API token's access key id. @default env R2_ACCESS_KEY_ID */
  accessKeyId?: string;
  /** R2 API token's secret. @default env R2_SECRET_ACCESS_KEY */
  secretAccessKey?: string;
  /** Data location jurisdiction of the bucket. @default 'default' */
  jurisdiction?: 'default' | 'eu' | 'fedramp';
  /** Endpoint override (tests, proxies). @default https://<accountId>[.<jurisdiction>].r2.cloudflarestorage.com */
  endpoint?: string;
  /** Part size of multipart uploads. @default '8MiB' */
  partSize?: number | string;
  /** Parts uploaded at once. @default 4 */
  concurrency?: number;
  /** Larger bodies use multipart. @default partSize */
  multipartThreshold?: number | string;
  /** 'STANDARD' or 'STANDARD_IA'. @default the bucket's */
  storageClass?: string;
  /** Only SSE-C (`{ type: 'SSE-C', customerKey }`); SSE-S3 and SSE-KMS are `Unsupported` on R2. */
  encryption?: S3Encryption;
  /** Not available on R2: any value throws `Unsupported`. */
  acl?: string;
  /** Not available on R2: `true` throws `Unsupported`. */
  versioning?: boolean;
  /** A socket idle this long fails with `Timeout`. @default '2m' */
  idleTimeout?: number | string;
  /** Sockets per host. @default 64 */
  maxSockets?: number;
  /** SDK attempts per request. @default 3 */
  maxAttempts?: number;
}

/** The zod schema of {@link R2Options}. */
export const r2OptionsSchema = z
  .object({
    accountId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'expected a Cloudflare account id'),
    bucket: z.string().min(3).max(63),
    prefix: z.string().optional(),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    jurisdiction: z.enum(['default', 'eu', 'fedramp']).optional(),
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    partSize: z.union([z.number().int().positive(), z.string().min(1)]).optional(),
    concurrency: z
      .union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)])
      .optional(),
    multipartThreshold: z.union([z.number().int().positive(), z.string().min(1)]).optional(),
    storageClass: z.enum(['STANDARD', 'STANDARD_IA']).optional(),
    encryption: z.unknown().optional(),
    acl: z.unknown().optional(),
    versioning: z.unknown().optional(),
    idleTimeout: z.union([z.number().nonnegative(), z.string().min(1)]).optional(),
    maxSockets: z.number().int().positive().optional(),
    maxAttempts: z.number().int().positive().optional(),
  })
  .strict();

/** The R2 endpoint of an account (and jurisdiction). */
export function r2Endpoint(accountId: string, jurisdiction: R2Options['jurisdiction'] = 'default'): string {
  const zone = jurisdiction === 'default' ? '' : `.${jurisdiction}`;
  return `https://${accountId}${zone}.r2.cloudflarestorage.com`;
}

function unsupported(what: string): StorageError {
  return new StorageError('Unsupported', `[stowage] [r2] ${what}`, { backend: 'r2' });
}

/**
 * Creates an R2 backend (an S3 backend with `kind: 'r2'`).
 *
 * @example
 * ```ts
 * const eu = r2({ accountId, bucket: 'gdpr-data', jurisdiction: 'eu', accessKeyId, secretAccessKey });
 * ```
 */
export function r2(options: R2Options): S3Backend {
  const o = parseOptions(r2OptionsSchema, options, 'r2');
  if (o.acl !== undefined)
    throw unsupported('R2 has no object ACLs; control access with API tokens or a public bucket.');
  if (o.versioning !== undefined && o.versioning !== false) throw unsupported('R2 has no object versioning.');
  const encryption = o.encryption as S3Encryption | undefined;
  if (encryption !== undefined && encryption.type !== 'SSE-C') {
    throw unsupported(
      `R2 encrypts every object at rest and does not accept ${String(encryption?.type)}; drop \`encryption\` or use { type: 'SSE-C', customerKey }.`,
    );
  }
  const accessKeyId = o.accessKeyId ?? process.env.R2_ACCESS_KEY_ID;
  const secretAccessKey = o.secretAccessKey ?? process.env.R2_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new StorageError(
      'InvalidConfig',
      '[stowage] [r2] Invalid options: credentials: pass `accessKeyId` and `secretAccessKey` (an R2 API token) or set R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY.',
      { backend: 'r2' },
    );
  }
  return s3({
    kind: 'r2',
    provider: 'r2',
    bucket: o.bucket,
    prefix: o.prefix,
    region: 'auto',
    endpoint: o.endpoint ?? r2Endpoint(o.accountId, o.jurisdiction),
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    partSize: o.partSize,
    concurrency: o.concurrency,
    multipartThreshold: o.multipartThreshold,
    storageClass: o.storageClass,
    encryption,
    idleTimeout: o.idleTimeout,
    maxSockets: o.maxSockets,
    maxAttempts: o.maxAttempts,
  });
}

export { S3Backend };
