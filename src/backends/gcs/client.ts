/**
 * Loads `@google-cloud/storage` on first use (it is an optional peer
 * dependency: importing `stowage/gcs` must work without it) and builds the
 * `Storage` client from the options.
 */
import type { Storage, StorageOptions } from '@google-cloud/storage';
import { StorageError } from '../../core/errors.js';
import type { GcsCredentials } from './options.js';

type StorageModule = typeof import('@google-cloud/storage');

let sdk: Promise<StorageModule> | undefined;

/** Imports the SDK once; a missing package becomes `InvalidConfig` naming it. */
export function loadSdk(): Promise<StorageModule> {
  sdk ??= import('@google-cloud/storage').catch((e: unknown) => {
    sdk = undefined;
    if (isModuleNotFound(e) || isModuleNotFound((e as { cause?: unknown })?.cause)) {
      throw new StorageError(
        'InvalidConfig',
        'The gcs backend needs the Google Cloud Storage SDK: run `npm install @google-cloud/storage` (v7).',
        { backend: 'gcs', cause: e },
      );
    }
    throw e;
  });
  return sdk;
}

// Loaders and test runners may wrap the resolution error; its code is then on `cause`.
function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** Connection options shared by the backend and `listBuckets`. */
export interface ConnectionOptions {
  projectId?: string;
  apiEndpoint?: string;
  keyFilename?: string;
  credentials?: GcsCredentials;
  useAuthWithCustomEndpoint?: boolean;
  maxRetries?: number;
}

/** Whether an endpoint is a Google host (auth applies) rather than an emulator. */
export function isGoogleEndpoint(apiEndpoint: string | undefined): boolean {
  if (apiEndpoint === undefined) return true;
  try {
    const host = new URL(apiEndpoint).hostname;
    return host === 'googleapis.com' || host.endsWith('.googleapis.com');
  } catch {
    return false;
  }
}

/** Builds a `Storage` client. Credentials come from the options or from Application Default Credentials. */
export async function createStorageClient(options: ConnectionOptions): Promise<Storage> {
  const { Storage: StorageClass } = await loadSdk();
  const config: StorageOptions = {};
  if (options.projectId !== undefined) config.projectId = options.projectId;
  if (options.apiEndpoint !== undefined) {
    config.apiEndpoint = options.apiEndpoint.replace(/\/+$/, '');
    // The SDK needs a project id for some calls; emulators accept any.
    if (!isGoogleEndpoint(options.apiEndpoint)) config.projectId ??= 'stowage-emulator';
  }
  if (options.keyFilename !== undefined) config.keyFilename = options.keyFilename;
  if (options.credentials !== undefined)
    config.credentials = options.credentials as StorageOptions['credentials'];
  if (options.useAuthWithCustomEndpoint !== undefined) {
    config.useAuthWithCustomEndpoint = options.useAuthWithCustomEndpoint;
  }
  // The SDK reads `maxRetries: 0` as "use the default"; no retries is `autoRetry: false`.
  if (options.maxRetries === 0) config.retryOptions = { autoRetry: false };
  else if (options.maxRetries !== undefined) config.retryOptions = { maxRetries: options.maxRetries };
  return new StorageClass(config);
}
