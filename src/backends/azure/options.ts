/** Options of the Azure adapter and their zod schema. */
import type { BlobServiceClient } from '@azure/storage-blob';
import { z } from 'zod';
import type { Duration, Size } from '../../core/units.js';

/**
 * An Entra ID credential as `@azure/identity` makes them (the `TokenCredential`
 * shape of `@azure/core-auth`, restated so this type needs no extra package).
 */
export interface TokenCredential {
  getToken(
    scopes: string | string[],
    options?: object,
  ): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/**
 * How to reach a storage account: a connection string, or an account name
 * with an account key, a SAS token or an Entra ID credential, or a ready
 * `BlobServiceClient`. With only `accountName` (or only `endpoint`),
 * `DefaultAzureCredential` from `@azure/identity` is used.
 */
export interface AzureAccountOptions {
  /**
   * A storage connection string (`DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...`,
   * or one with `SharedAccessSignature=`). It is a secret: it never appears in errors.
   */
  connectionString?: string;
  /** The storage account name. */
  accountName?: string;
  /** The account's shared key (base64). Enables presigned URLs signed with the key. */
  accountKey?: string;
  /** A SAS token (with or without the leading `?`); the operations allowed are those it grants. */
  sasToken?: string;
  /**
   * An Entra ID credential from `@azure/identity` (`DefaultAzureCredential`,
   * `ClientSecretCredential`, `ManagedIdentityCredential`, ...). Presigned URLs
   * then use a user-delegation key.
   */
  credential?: TokenCredential;
  /**
   * The blob service endpoint.
   * @default `https://<accountName>.blob.core.windows.net`
   * @example 'http://127.0.0.1:10000/devstoreaccount1' (Azurite)
   */
  endpoint?: string;
  /** A ready client; every other auth option is then ignored. */
  client?: BlobServiceClient;
  /** Attempts per request by the SDK's own retry policy (exponential backoff). @default 4 */
  maxTries?: number;
}

/** Options of {@link azure}. */
export interface AzureOptions extends AzureAccountOptions {
  /** The container (must exist). */
  container: string;
  /** A folder inside the container that this backend is confined to. @default '' (the whole container) */
  prefix?: string;
  /** Block size of block uploads, bytes or '8MiB'; grows for huge bodies to stay within 50,000 blocks. @default '8MiB' */
  blockSize?: Size;
  /** Blocks uploaded at once per write. @default 4 */
  concurrency?: number;
  /** In-memory bodies up to this size are sent in one Put Blob request. @default '32MiB' */
  singleUploadThreshold?: Size;
  /** How often a download that drops mid-body is resumed from the byte reached. @default 5 */
  downloadRetries?: number;
  /** A download stream that receives nothing for this long (while being read) fails with `Timeout`. `0` disables. @default '2m' */
  idleTimeout?: Duration;
  /** Objects up to this size are copied with one synchronous Copy Blob From URL; larger ones with an asynchronous copy that is polled. @default '256MiB' */
  syncCopyThreshold?: Size;
  /** Poll interval of asynchronous copies. @default '1s' */
  copyPollInterval?: Duration;
  /** Declare `capabilities.versioning` (enable blob versioning on the account first). @default false */
  versioning?: boolean;
  /** An encryption scope applied to every write. */
  encryptionScope?: string;
  /** A customer-provided AES-256 key (base64 of 32 bytes) used for every read and write (HTTPS only). */
  customerProvidedKey?: string;
}

const size = z.union([z.number().int().positive(), z.string().min(1)]);
const duration = z.union([z.number().nonnegative(), z.string().min(1)]);

const accountShape = {
  connectionString: z.string().min(1).optional(),
  accountName: z
    .string()
    .regex(/^[a-z0-9]{3,24}$/, 'must be 3-24 lower-case letters and digits')
    .optional(),
  accountKey: z.string().min(1).optional(),
  sasToken: z.string().min(1).optional(),
  credential: z
    .custom<TokenCredential>(
      (v) => typeof v === 'object' && v !== null && typeof (v as TokenCredential).getToken === 'function',
      'must be a TokenCredential (an object with getToken)',
    )
    .optional(),
  endpoint: z.string().url().optional(),
  client: z
    .custom<BlobServiceClient>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as BlobServiceClient).getContainerClient === 'function',
      'must be a BlobServiceClient',
    )
    .optional(),
  maxTries: z.number().int().min(1).max(20).optional(),
};

function checkAuth(o: z.infer<z.ZodObject<typeof accountShape>>, ctx: z.RefinementCtx): void {
  if (o.client !== undefined) return;
  const secrets = [o.accountKey, o.sasToken, o.credential].filter((v) => v !== undefined).length;
  if (o.connectionString !== undefined) {
    if (secrets > 0 || o.accountName !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['connectionString'],
        message:
          'give either connectionString or accountName with accountKey | sasToken | credential, not both',
      });
    }
    return;
  }
  if (secrets > 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['accountKey'],
      message: 'give only one of accountKey, sasToken, credential',
    });
  }
  if (o.accountName === undefined && o.endpoint === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['accountName'],
      message: 'required (or give connectionString, endpoint or client)',
    });
  }
  if (o.accountKey !== undefined && o.accountName === undefined) {
    ctx.addIssue({ code: 'custom', path: ['accountName'], message: 'required with accountKey' });
  }
}

/** The zod schema of {@link AzureAccountOptions}. */
export const azureAccountOptionsSchema = z.object(accountShape).strict().superRefine(checkAuth);

/** The zod schema of {@link AzureOptions}. */
export const azureOptionsSchema = z
  .object({
    ...accountShape,
    container: z
      .string()
      .regex(
        /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/,
        'must be 3-63 lower-case letters, digits and single hyphens (or "$root")',
      )
      .or(z.literal('$root')),
    prefix: z.string().optional(),
    blockSize: size.optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    singleUploadThreshold: size.optional(),
    downloadRetries: z.number().int().min(0).max(100).optional(),
    idleTimeout: duration.optional(),
    syncCopyThreshold: z.union([z.number().int().nonnegative(), z.string().min(1)]).optional(),
    copyPollInterval: duration.optional(),
    versioning: z.boolean().optional(),
    encryptionScope: z.string().min(1).optional(),
    customerProvidedKey: z
      .string()
      .refine((v) => Buffer.from(v, 'base64').byteLength === 32, 'must be base64 of a 32-byte AES-256 key')
      .optional(),
  })
  .strict()
  .superRefine(checkAuth);
