/**
 * Shared by the gcs test files: a fresh bucket on the emulator, a throwaway
 * service-account key (generated per run, so URL signing can be exercised
 * without any real secret), and a raw `Storage` client for cross-checks.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import type { GcsCredentials } from '../../../src/backends/gcs/index.js';

/** A raw SDK client on the emulator (no auth: a non-Google endpoint). */
export function rawClient(endpoint: string): Storage {
  return new Storage({ apiEndpoint: endpoint, projectId: 'stowage-test' });
}

/** Creates a bucket with a random name and returns the name. */
export async function freshBucket(endpoint: string, label = 'stowage', versioning = false): Promise<string> {
  const name = `${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  await rawClient(endpoint).createBucket(name, versioning ? { versioning: { enabled: true } } : {});
  return name;
}

let key: string | undefined;

/** Service-account credentials with a private key made for this run. */
export function fakeServiceAccount(): GcsCredentials {
  key ??= generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  return {
    type: 'service_account',
    project_id: 'stowage-test',
    client_email: 'stowage-test@stowage-test.iam.gserviceaccount.com',
    private_key: key,
  };
}
