/**
 * `stowage/s3`: Amazon S3 and S3-compatible services (MinIO, R2 via
 * `stowage/r2`, moto, ...). The AWS SDK v3 (`@aws-sdk/client-s3`, and
 * `@aws-sdk/s3-request-presigner` for presign, `@aws-sdk/credential-providers`
 * for profiles and roles) is an optional peer dependency, loaded on first use.
 *
 * @example
 * ```ts
 * import { s3 } from 'stowage/s3';
 * const storage = s3({ bucket: 'my-bucket', prefix: 'uploads/', region: 'eu-west-1' });
 * await storage.write('hello.txt', 'hi', { contentType: 'text/plain' });
 * ```
 */
import { parseOptions } from '../../core/config.js';
import { S3Backend } from './backend.js';
import { createClient, loadSdk } from './client.js';
import { mapS3Error } from './errors.js';
import { resolveConnection, resolveS3Options, type S3Options, s3ConnectionSchema } from './options.js';

export { S3Backend, type S3Session } from './backend.js';
export { mapS3Error, type S3ErrorContext } from './errors.js';
export {
  PROVIDER_CAPABILITIES,
  type S3AssumeRole,
  type S3Encryption,
  type S3Options,
  type S3Provider,
  type S3StaticCredentials,
  s3OptionsSchema,
} from './options.js';

/**
 * Creates an S3 backend. Synchronous: the SDK is loaded and the client built
 * on the first operation, so a missing SDK surfaces there as `InvalidConfig`.
 * Invalid options throw `InvalidConfig` here.
 *
 * @example
 * ```ts
 * // MinIO or another S3-compatible service
 * const storage = s3({
 *   bucket: 'data',
 *   endpoint: 'http://127.0.0.1:9000',
 *   provider: 'minio',
 *   credentials: { accessKeyId: 'minio', secretAccessKey: process.env.MINIO_SECRET! },
 * });
 * ```
 */
export function s3(options: S3Options): S3Backend {
  return new S3Backend(resolveS3Options(options));
}

/** Options of {@link listBuckets}: the connection part of {@link S3Options}. */
export type ListBucketsOptions = Omit<
  S3Options,
  | 'bucket'
  | 'prefix'
  | 'partSize'
  | 'concurrency'
  | 'multipartThreshold'
  | 'storageClass'
  | 'encryption'
  | 'capabilities'
  | 'kind'
>;

/** One bucket the credentials can see. */
export interface BucketInfo {
  /** Bucket name. */
  name: string;
  /** When it was created, when the service says. */
  createdAt?: Date;
}

/**
 * Lists the buckets the credentials can see.
 *
 * @example
 * ```ts
 * for (const { name } of await listBuckets({ region: 'eu-west-1' })) console.log(name);
 * ```
 */
export async function listBuckets(options: ListBucketsOptions = {}): Promise<BucketInfo[]> {
  const connection = resolveConnection(parseOptions(s3ConnectionSchema.strict(), options, 's3'));
  const { s3: sdk } = await loadSdk();
  const { client, owned } = await createClient(connection);
  try {
    const buckets: BucketInfo[] = [];
    let token: string | undefined;
    do {
      const out = await client.send(new sdk.ListBucketsCommand({ ContinuationToken: token }));
      for (const bucket of out.Buckets ?? []) {
        if (bucket.Name)
          buckets.push({
            name: bucket.Name,
            ...(bucket.CreationDate ? { createdAt: bucket.CreationDate } : {}),
          });
      }
      const next = out.ContinuationToken || undefined;
      token = next !== undefined && next !== token ? next : undefined;
    } while (token !== undefined);
    return buckets;
  } catch (e) {
    throw mapS3Error(e, { backend: connection.provider === 'r2' ? 'r2' : 's3', operation: 'listBuckets' });
  } finally {
    if (owned) client.destroy();
  }
}
