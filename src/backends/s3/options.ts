/**
 * Options of the S3 adapter: the zod schema, the resolved form the backend
 * uses, and the capabilities of each provider.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { type Capabilities, defineCapabilities } from '../../core/capabilities.js';
import { parseOptions } from '../../core/config.js';
import { StorageError } from '../../core/errors.js';
import { normalizePrefix } from '../../core/keys.js';
import { parseDuration, parseSize } from '../../core/units.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** S3's smallest part (except the last). */
export const MIN_PART_SIZE = 5 * MiB;
/** S3's largest part. */
export const MAX_PART_SIZE = 5 * GiB;
/** S3's largest part count. */
export const MAX_PARTS = 10_000;
/** Largest object a single PutObject / CopyObject accepts. */
export const MAX_SINGLE_REQUEST = 5 * GiB;

/**
 * Which S3 implementation is on the other end. It sets the checksum
 * behaviour and the capabilities the adapter declares.
 *
 * - `aws`: Amazon S3 (and moto, which emulates it).
 * - `r2`: Cloudflare R2: no ACLs, no SSE-KMS, no versioning.
 * - `minio`: MinIO.
 * - `generic`: any other S3-compatible service; conservative capabilities
 *   (no conditional writes, no versioning) unless `capabilities` says otherwise.
 */
export type S3Provider = 'aws' | 'r2' | 'minio' | 'generic';

/** Static credentials. */
export interface S3StaticCredentials {
  /** Access key id. */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string;
  /** Session token of temporary credentials. */
  sessionToken?: string;
}

/** Assume an IAM role through STS, starting from the default chain (or `profile`). */
export interface S3AssumeRole {
  /** The role to assume. */
  roleArn: string;
  /** Session name shown in CloudTrail. @default 'stowage' */
  sessionName?: string;
  /** External id the role's trust policy requires. */
  externalId?: string;
  /** Session lifetime in seconds. @default 3600 */
  durationSeconds?: number;
}

/** Server-side encryption applied to every write. */
export type S3Encryption =
  | { type: 'SSE-S3' }
  | { type: 'SSE-KMS'; keyId?: string; bucketKey?: boolean }
  | { type: 'SSE-C'; customerKey: string | Uint8Array };

/** Options of `s3()`. */
export interface S3Options {
  /** Bucket name. */
  bucket: string;
  /** Root prefix inside the bucket; every key is relative to it. @default '' */
  prefix?: string;
  /** Region. @default AWS_REGION / the shared config, else 'us-east-1' */
  region?: string;
  /** Endpoint URL for S3-compatible services or emulators. @default AWS's */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`); most emulators and MinIO need it. @default true when `endpoint` is set */
  forcePathStyle?: boolean;
  /**
   * Static credentials, or a provider function as the AWS SDK accepts.
   * @default the AWS default chain: env, shared config/`profile`, web identity, ECS/EC2 role
   */
  credentials?: S3StaticCredentials | (() => Promise<S3StaticCredentials & { expiration?: Date }>);
  /** Profile of the shared config/credentials files (`~/.aws/config`). @default AWS_PROFILE or 'default' */
  profile?: string;
  /** Assume this role (STS) with the credentials found otherwise. */
  assumeRole?: S3AssumeRole;
  /** The S3 implementation on the other end. @default 'aws' */
  provider?: S3Provider;
  /** A ready `S3Client` to use; connection options above are then ignored. @default one built from the options */
  client?: S3Client;
  /** Part size of multipart uploads (bytes or '8MiB'; at least 5 MiB). Grows so an upload never needs more than 10,000 parts. @default '8MiB' */
  partSize?: number | string;
  /** Parts uploaded at once per upload. @default 4 */
  concurrency?: number;
  /** Bodies up to this size are sent in one PutObject; larger or unknown-length ones use multipart. @default partSize */
  multipartThreshold?: number | string;
  /** Storage class of writes without their own. @default the bucket's ('STANDARD') */
  storageClass?: string;
  /** Server-side encryption of every write (and SSE-C of every read). @default none (the bucket default applies) */
  encryption?: S3Encryption;
  /**
   * Checksums of request bodies: 'WHEN_SUPPORTED' (the SDK default) or
   * 'WHEN_REQUIRED'. @default 'WHEN_SUPPORTED' for aws, 'WHEN_REQUIRED' for the others
   */
  requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  /** Validation of response checksums. @default as `requestChecksumCalculation` */
  responseChecksumValidation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  /** A socket idle for this long fails the request with `Timeout` (reads included). @default '2m' */
  idleTimeout?: number | string;
  /** Connection timeout. @default '10s' */
  connectTimeout?: number | string;
  /** Sockets per host. @default 64 */
  maxSockets?: number;
  /** SDK retries (the `retry` middleware is the recommended layer; keep this low). @default 3 */
  maxAttempts?: number;
  /**
   * The bucket has versioning enabled: writes return a `version`, and reads,
   * stats and deletes accept `version`. Not available with provider 'r2'.
   * @default false
   */
  versioning?: boolean;
  /** Override the declared capabilities (e.g. a `generic` service that does support conditional writes). */
  capabilities?: Partial<Capabilities>;
  /** @internal set by `r2()` */
  kind?: string;
}

const durationSchema = z.union([z.number().nonnegative(), z.string().min(1)]);
const sizeSchema = z.union([z.number().int().positive(), z.string().min(1)]);
const intLike = z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]);

/** Shared by `s3()` and `listBuckets()`. */
export const s3ConnectionSchema = z.object({
  region: z.string().min(1).optional(),
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  forcePathStyle: z.boolean().optional(),
  credentials: z
    .union([
      // Not strict: the AWS SDK adds fields such as `$source` and
      // `expiration` to credential objects it has seen; they are dropped.
      z.object({
        accessKeyId: z.string().min(1),
        secretAccessKey: z.string().min(1),
        sessionToken: z.string().min(1).optional(),
      }),
      z.custom<() => Promise<S3StaticCredentials>>((v) => typeof v === 'function', 'expected a function'),
    ])
    .optional(),
  profile: z.string().min(1).optional(),
  assumeRole: z
    .object({
      roleArn: z.string().regex(/^arn:[\w-]+:iam::\d{12}:role\/.+$/, 'expected an IAM role ARN'),
      sessionName: z.string().min(2).max(64).optional(),
      externalId: z.string().min(2).max(1224).optional(),
      durationSeconds: z.number().int().min(900).max(43_200).optional(),
    })
    .strict()
    .optional(),
  provider: z.enum(['aws', 'r2', 'minio', 'generic']).optional(),
  client: z
    .custom<S3Client>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { send?: unknown }).send === 'function',
      'expected an S3Client',
    )
    .optional(),
  requestChecksumCalculation: z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']).optional(),
  responseChecksumValidation: z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']).optional(),
  idleTimeout: durationSchema.optional(),
  connectTimeout: durationSchema.optional(),
  maxSockets: intLike.optional(),
  maxAttempts: intLike.optional(),
  kind: z.string().min(1).optional(),
});

/** The zod schema of {@link S3Options}. */
export const s3OptionsSchema = s3ConnectionSchema
  .extend({
    bucket: z
      .string()
      .min(3)
      .max(63)
      .regex(
        /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
        'expected an S3 bucket name (lower-case letters, digits, dots, hyphens)',
      ),
    prefix: z.string().optional(),
    partSize: sizeSchema.optional(),
    concurrency: intLike.optional(),
    multipartThreshold: sizeSchema.optional(),
    storageClass: z.string().min(1).optional(),
    encryption: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('SSE-S3') }).strict(),
        z
          .object({
            type: z.literal('SSE-KMS'),
            keyId: z.string().min(1).optional(),
            bucketKey: z.boolean().optional(),
          })
          .strict(),
        z
          .object({
            type: z.literal('SSE-C'),
            customerKey: z.union([z.string().min(1), z.instanceof(Uint8Array)]),
          })
          .strict(),
      ])
      .optional(),
    versioning: z.boolean().optional(),
    capabilities: z.record(z.string(), z.union([z.boolean(), z.number()])).optional(),
  })
  .strict();

/** Connection settings after validation. */
export interface ResolvedConnection {
  provider: S3Provider;
  region: string | undefined;
  endpoint: string | undefined;
  forcePathStyle: boolean;
  credentials: S3Options['credentials'];
  profile: string | undefined;
  assumeRole: S3AssumeRole | undefined;
  client: S3Client | undefined;
  requestChecksumCalculation: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  responseChecksumValidation: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  maxSockets: number;
  maxAttempts: number;
}

/** Everything the backend needs, validated and defaulted. */
export interface ResolvedS3Options extends ResolvedConnection {
  kind: string;
  bucket: string;
  prefix: string;
  partSize: number;
  concurrency: number;
  multipartThreshold: number;
  storageClass: string | undefined;
  encryption: S3Encryption | undefined;
  capabilities: Capabilities;
}

const BASE_CAPABILITIES: Partial<Capabilities> = {
  rangeRead: true,
  streamingWrite: true,
  multipartWrite: true,
  conditionalRead: true,
  serverSideCopy: true,
  atomicMove: false,
  presign: true,
  metadata: true,
  listDelimiter: true,
  maxObjectSize: 5 * 2 ** 40,
  maxKeyBytes: 1024,
};

/**
 * What each provider can do. `versioning` here says the provider has it; the
 * backend declares it only with the `versioning: true` option, since it is a
 * property of the bucket. Conditional writes (If-None-Match `*`, If-Match
 * on PutObject and CompleteMultipartUpload) exist on AWS (since 2024), R2 and
 * MinIO; unknown services get `false` so the options fail loudly instead of
 * being ignored.
 */
export const PROVIDER_CAPABILITIES: Record<S3Provider, Capabilities> = {
  aws: defineCapabilities({
    ...BASE_CAPABILITIES,
    conditionalWrite: true,
    versioning: true,
    storageClass: true,
  }),
  r2: defineCapabilities({
    ...BASE_CAPABILITIES,
    conditionalWrite: true,
    versioning: false,
    storageClass: true,
  }),
  minio: defineCapabilities({
    ...BASE_CAPABILITIES,
    conditionalWrite: true,
    versioning: true,
    storageClass: true,
  }),
  generic: defineCapabilities({
    ...BASE_CAPABILITIES,
    conditionalWrite: false,
    versioning: false,
    storageClass: false,
  }),
};

type ConnectionInput = z.output<typeof s3ConnectionSchema>;

/** Applies defaults to connection options (shared with `listBuckets`). */
export function resolveConnection(input: ConnectionInput): ResolvedConnection {
  const provider = input.provider ?? 'aws';
  const checksum =
    input.requestChecksumCalculation ?? (provider === 'aws' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED');
  return {
    provider,
    region: input.region,
    endpoint: input.endpoint,
    forcePathStyle: input.forcePathStyle ?? input.endpoint !== undefined,
    credentials: input.credentials,
    profile: input.profile,
    assumeRole: input.assumeRole,
    client: input.client,
    requestChecksumCalculation: checksum,
    responseChecksumValidation: input.responseChecksumValidation ?? checksum,
    idleTimeoutMs: parseDuration(input.idleTimeout ?? '2m', 'idleTimeout'),
    connectTimeoutMs: parseDuration(input.connectTimeout ?? '10s', 'connectTimeout'),
    maxSockets: input.maxSockets ?? 64,
    maxAttempts: input.maxAttempts ?? 3,
  };
}

/** Validates and defaults `s3()` options; throws `InvalidConfig`. */
export function resolveS3Options(input: unknown): ResolvedS3Options {
  const parsed = parseOptions(s3OptionsSchema, input, 's3');
  const connection = resolveConnection(parsed);
  const partSize = parseSize(parsed.partSize ?? 8 * MiB, 'partSize');
  const fail = (message: string) => {
    throw new StorageError('InvalidConfig', `[stowage] [s3] Invalid options: ${message}.`, { backend: 's3' });
  };
  if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) fail('partSize: must be between 5 MiB and 5 GiB');
  const multipartThreshold = parseSize(parsed.multipartThreshold ?? partSize, 'multipartThreshold');
  if (multipartThreshold < 1 || multipartThreshold > MAX_SINGLE_REQUEST) {
    fail('multipartThreshold: must be between 1 byte and 5 GiB');
  }
  if (parsed.versioning === true && connection.provider === 'r2')
    fail('versioning: R2 has no object versioning');
  const capabilities = defineCapabilities({
    ...PROVIDER_CAPABILITIES[connection.provider],
    versioning: PROVIDER_CAPABILITIES[connection.provider].versioning && parsed.versioning === true,
    ...(parsed.capabilities as Partial<Capabilities> | undefined),
  });
  if (parsed.storageClass !== undefined && !capabilities.storageClass) {
    fail(`storageClass: the ${connection.provider} provider has no storage classes`);
  }
  return {
    ...connection,
    kind: parsed.kind ?? 's3',
    bucket: parsed.bucket,
    prefix: normalizePrefix(parsed.prefix),
    partSize,
    concurrency: parsed.concurrency ?? 4,
    multipartThreshold,
    storageClass: parsed.storageClass,
    encryption: parsed.encryption as S3Encryption | undefined,
    capabilities,
  };
}
