/** Options of the gcs backend and their zod schema. */
import type { Storage } from '@google-cloud/storage';
import { z } from 'zod';
import { StorageError } from '../../core/errors.js';
import { type Duration, parseDuration, parseSize, type Size } from '../../core/units.js';

/** GCS resumable chunks must be multiples of 256 KiB. */
export const CHUNK_QUANTUM = 256 * 1024;

/**
 * Credentials as a service-account JSON key (the content of the file the
 * console downloads), an external-account (workload identity federation)
 * config, or any other credential JSON google-auth-library accepts.
 */
export interface GcsCredentials {
  /** 'service_account', 'external_account', 'authorized_user', 'impersonated_service_account', ... */
  type?: string;
  /** Service-account e-mail; needed to sign URLs. */
  client_email?: string;
  /** PEM private key of a service account; needed to sign URLs locally. Never logged. */
  private_key?: string;
  /** Other fields of the credential JSON. */
  [field: string]: unknown;
}

/** Retries of a failed idempotent request when `maxRetries` is not given (the SDK's own default). */
export const DEFAULT_MAX_RETRIES = 3;

/** Options of {@link gcs}. */
export interface GcsOptions {
  /** The bucket name. */
  bucket: string;
  /** Keys live under this prefix in the bucket ('tenant-a' and 'tenant-a/' are the same). @default '' */
  prefix?: string;
  /** Google Cloud project (used by `listBuckets` and billing). @default from the credentials / environment */
  projectId?: string;
  /** Another endpoint, e.g. fake-gcs-server `http://127.0.0.1:4443` or a Private Service Connect host. @default https://storage.googleapis.com */
  apiEndpoint?: string;
  /** Path of a service-account or external-account JSON key. @default Application Default Credentials */
  keyFilename?: string;
  /** Credential JSON as an object (service account, external account, ...). @default Application Default Credentials */
  credentials?: GcsCredentials;
  /** A ready `Storage` client; every connection option above is then ignored and must be left out. */
  storage?: Storage;
  /** Authenticate requests to a non-Google `apiEndpoint` too. @default false (emulators need no auth) */
  useAuthWithCustomEndpoint?: boolean;
  /** Bill requests to this project (Requester Pays buckets). */
  userProject?: string;
  /** Cloud KMS key that encrypts new objects (CMEK): `projects/p/locations/l/keyRings/r/cryptoKeys/k`. @default the bucket's default */
  kmsKeyName?: string;
  /** Storage class of new objects when `write` does not say: 'STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'. @default the bucket's default */
  storageClass?: string;
  /** The bucket has Object Versioning on: generations are readable and deletable as `version`. @default false */
  versioning?: boolean;
  /** Bodies of known size up to this go in one request; larger or unknown ones use a resumable session. @default '8MiB' */
  simpleUploadThreshold?: Size;
  /** Upload large and unknown-size bodies in resumable chunks of this size (a multiple of 256 KiB; each chunk retryable, about two chunks of memory). @default none: one streaming request */
  partSize?: Size;
  /** Checksum verified on whole-object reads and uploads, or `false` to skip. @default 'crc32c' */
  validation?: 'crc32c' | 'md5' | false;
  /** Fail a read stream with `Timeout` when no byte arrives for this long. @default none */
  readIdleTimeout?: Duration;
  /**
   * How many times a failed idempotent request is retried (by the SDK, by
   * this adapter's own downloads, and per chunk of an upload with
   * `partSize`). @default 3
   */
  maxRetries?: number;
}

const booleanish = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);

const sizeOption = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  try {
    parseSize(value, 'size');
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a size in bytes or a string such as "16MiB"' });
  }
});

const durationOption = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  try {
    parseDuration(value, 'duration');
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be milliseconds or a string such as "30s"' });
  }
});

/** The zod schema of {@link GcsOptions}. */
export const gcsOptionsSchema = z
  .object({
    bucket: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/,
        'must be a GCS bucket name (3-222 lower-case letters, digits, - _ .)',
      ),
    prefix: z.string().optional(),
    projectId: z.string().min(1).optional(),
    apiEndpoint: z.url().optional(),
    keyFilename: z.string().min(1).optional(),
    credentials: z.object({}).catchall(z.unknown()).optional(),
    storage: z
      .custom<Storage>(
        (value) =>
          typeof value === 'object' && value !== null && typeof (value as Storage).bucket === 'function',
        'must be a Storage instance from @google-cloud/storage',
      )
      .optional(),
    useAuthWithCustomEndpoint: booleanish.optional(),
    userProject: z.string().min(1).optional(),
    kmsKeyName: z.string().min(1).optional(),
    storageClass: z.string().min(1).optional(),
    versioning: booleanish.optional(),
    simpleUploadThreshold: sizeOption.optional(),
    partSize: sizeOption.optional(),
    validation: z.union([z.enum(['crc32c', 'md5']), z.literal(false)]).optional(),
    readIdleTimeout: durationOption.optional(),
    maxRetries: z.coerce.number().int().min(0).max(20).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.keyFilename !== undefined && o.credentials !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentials'],
        message: 'give `keyFilename` or `credentials`, not both',
      });
    }
    if (o.storage !== undefined) {
      for (const name of [
        'projectId',
        'apiEndpoint',
        'keyFilename',
        'credentials',
        'useAuthWithCustomEndpoint',
      ] as const) {
        if (o[name] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'cannot be combined with `storage` (configure the injected client instead)',
          });
        }
      }
    }
  });

/** Options after validation, with sizes and durations resolved. */
export interface ResolvedGcsOptions {
  bucket: string;
  /** '' or a prefix ending in '/'. */
  prefix: string;
  projectId?: string;
  apiEndpoint?: string;
  keyFilename?: string;
  credentials?: GcsCredentials;
  storage?: Storage;
  useAuthWithCustomEndpoint?: boolean;
  userProject?: string;
  kmsKeyName?: string;
  storageClass?: string;
  versioning: boolean;
  simpleUploadThreshold: number;
  partSize: number | undefined;
  validation: 'crc32c' | 'md5' | false;
  readIdleTimeout?: number;
  maxRetries?: number;
}

/** Settles defaults, normalises the prefix and checks the part size. */
export function resolveOptions(parsed: z.output<typeof gcsOptionsSchema>): ResolvedGcsOptions {
  const partSize = parsed.partSize === undefined ? undefined : parseSize(parsed.partSize, 'partSize');
  if (partSize !== undefined && (partSize < CHUNK_QUANTUM || partSize % CHUNK_QUANTUM !== 0)) {
    throw new StorageError(
      'InvalidConfig',
      `[stowage] [gcs] Invalid options: partSize: must be a multiple of 256 KiB (262144 bytes); got ${partSize}.`,
      { backend: 'gcs' },
    );
  }
  let prefix = parsed.prefix ?? '';
  prefix = prefix.replace(/^\/+/, '');
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return {
    ...parsed,
    credentials: parsed.credentials as GcsCredentials | undefined,
    prefix,
    versioning: parsed.versioning ?? false,
    simpleUploadThreshold: parseSize(parsed.simpleUploadThreshold ?? '8MiB', 'simpleUploadThreshold'),
    partSize,
    validation: parsed.validation ?? 'crc32c',
    readIdleTimeout:
      parsed.readIdleTimeout === undefined
        ? undefined
        : parseDuration(parsed.readIdleTimeout, 'readIdleTimeout'),
  };
}
