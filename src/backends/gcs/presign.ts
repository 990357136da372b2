/**
 * V4 signed URLs. Signing needs a key: a service-account private key (from
 * `keyFilename` / `credentials`), or a service-account identity allowed to
 * call the IAM signBlob API (ADC on GCE/GKE/Cloud Run with
 * roles/iam.serviceAccountTokenCreator). User credentials cannot sign.
 */
import type { File, GetSignedUrlConfig } from '@google-cloud/storage';
import type { PresignedRequest } from '../../core/backend.js';
import type { ResolvedPresignOptions } from '../../core/base.js';
import { StorageError } from '../../core/errors.js';

/** Signs a GET or PUT URL for `file`. */
export async function signUrl(file: File, options: ResolvedPresignOptions): Promise<PresignedRequest> {
  const expiresAt = new Date(Date.now() + options.expiresIn * 1000);
  const config: GetSignedUrlConfig = {
    version: 'v4',
    action: options.method === 'GET' ? 'read' : 'write',
    expires: expiresAt,
  };
  const headers: Record<string, string> = {};
  if (options.method === 'PUT' && options.contentType !== undefined) {
    config.contentType = options.contentType;
    headers['content-type'] = options.contentType;
  }
  const [url] = await file.getSignedUrl(config);
  return { url, method: options.method, headers, expiresAt };
}

/** The error for a backend that has nothing to sign with. */
export function cannotSign(): StorageError {
  return new StorageError(
    'InvalidConfig',
    'This gcs backend has no credentials that can sign URLs (an emulator endpoint without `keyFilename` or `credentials`). Pass a service-account key with `client_email` and `private_key` to presign.',
  );
}
