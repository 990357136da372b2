/**
 * `stowage/gcs`: Google Cloud Storage, on `@google-cloud/storage` v7 (an
 * optional peer dependency, loaded on first use).
 *
 * Credentials: Application Default Credentials by default (GOOGLE_APPLICATION_CREDENTIALS,
 * `gcloud auth application-default login`, the metadata server on GCE/GKE/Cloud Run,
 * workload identity federation configs); or a service-account / external-account
 * JSON as `keyFilename` or `credentials`; or an injected `Storage` client.
 *
 * @example
 * ```ts
 * import { gcs } from 'stowage/gcs';
 * const storage = gcs({ bucket: 'my-bucket', prefix: 'app/' });
 * await storage.write('hello.txt', 'hi', { contentType: 'text/plain' });
 * ```
 */
import type { Bucket } from '@google-cloud/storage';
import { parseOptions } from '../../core/config.js';
import { type ConnectionOptions, createStorageClient } from './client.js';
import { GcsBackend } from './backend.js';
import { mapGcsError } from './errors.js';
import { type GcsOptions, gcsOptionsSchema, resolveOptions } from './options.js';

export { GCS_CAPABILITIES, GcsBackend } from './backend.js';
export { type GcsCredentials, type GcsOptions, gcsOptionsSchema } from './options.js';

/**
 * Creates a Google Cloud Storage backend. Synchronous: the SDK is loaded and
 * the client built on the first operation. Invalid options throw
 * `InvalidConfig`; a missing `@google-cloud/storage` makes the first
 * operation reject with `InvalidConfig` naming it.
 *
 * @example
 * ```ts
 * // fake-gcs-server, or any emulator
 * const storage = gcs({ bucket: 'test', apiEndpoint: 'http://127.0.0.1:4443' });
 * // a service-account key
 * const prod = gcs({ bucket: 'assets', keyFilename: '/secrets/sa.json', kmsKeyName: 'projects/p/locations/eu/keyRings/r/cryptoKeys/k' });
 * ```
 */
export function gcs(options: GcsOptions): GcsBackend {
  const parsed = parseOptions(gcsOptionsSchema, options, 'gcs');
  return new GcsBackend(resolveOptions(parsed));
}

/** Options of {@link listBuckets}: the connection options of {@link GcsOptions}. */
export type ListBucketsOptions = Pick<
  GcsOptions,
  | 'projectId'
  | 'apiEndpoint'
  | 'keyFilename'
  | 'credentials'
  | 'storage'
  | 'useAuthWithCustomEndpoint'
  | 'maxRetries'
>;

/** One bucket of {@link listBuckets}. */
export interface BucketSummary {
  /** The bucket name. */
  name: string;
  /** When it was created, if GCS said. */
  created?: Date;
  /** Its location ('EU', 'US-CENTRAL1', ...), if GCS said. */
  location?: string;
}

/**
 * Lists the buckets of a project (the credentials' project unless
 * `projectId` says otherwise).
 *
 * @example
 * ```ts
 * const buckets = await listBuckets({ projectId: 'my-project' });
 * console.log(buckets.map((b) => b.name));
 * ```
 */
export async function listBuckets(options: ListBucketsOptions = {}): Promise<BucketSummary[]> {
  const parsed = parseOptions(gcsOptionsSchema, { ...options, bucket: 'placeholder-bucket' }, 'gcs');
  const { bucket: _bucket, storage: injected, ...connection } = parsed;
  try {
    const storage = injected ?? (await createStorageClient(connection as ConnectionOptions));
    const [buckets] = await storage.getBuckets({ autoPaginate: true });
    return buckets.map((bucket: Bucket) => {
      const summary: BucketSummary = { name: bucket.name };
      const created = bucket.metadata?.timeCreated;
      if (created) summary.created = new Date(created);
      if (bucket.metadata?.location) summary.location = bucket.metadata.location;
      return summary;
    });
  } catch (e) {
    throw mapGcsError(e, { operation: 'listBuckets', bucket: '(all)' });
  }
}
