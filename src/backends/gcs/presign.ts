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

/** The error for a backend whose credentials cannot sign; `why` says what is missing. */
export function cannotSign(why: string): StorageError {
  return new StorageError(
    'InvalidConfig',
    `These gcs credentials cannot sign URLs: ${why}. Pass a service-account key with \`client_email\` and \`private_key\` (\`keyFilename\` or \`credentials\`), or run as a service account allowed to call IAM signBlob.`,
  );
}

/**
 * Why the configured credentials certainly cannot sign, or undefined when
 * they may (then the SDK tries, and a failure maps to `InvalidConfig` too).
 */
export function signingProblem(options: {
  credentials?: { type?: string; private_key?: string; client_email?: string };
  keyFilename?: string;
  injected: boolean;
  googleEndpoint: boolean;
}): string | undefined {
  if (options.injected || options.keyFilename !== undefined) return undefined;
  const credentials = options.credentials;
  if (credentials === undefined) {
    return options.googleEndpoint
      ? undefined
      : 'an emulator endpoint without `keyFilename` or `credentials` has no key to sign with';
  }
  if (typeof credentials.private_key === 'string' && credentials.private_key !== '') return undefined;
  // External accounts and impersonation sign through the IAM signBlob API.
  if (credentials.type === 'external_account' || credentials.type === 'impersonated_service_account')
    return undefined;
  return `the \`credentials\` (type ${JSON.stringify(credentials.type ?? 'unknown')}) hold no private key`;
}
