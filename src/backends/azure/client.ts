/**
 * Loads `@azure/storage-blob` (and `@azure/identity` when needed) lazily and
 * builds the service client from the auth options, so importing
 * `stowage/azure` costs nothing and `azure()` stays synchronous.
 */
import type { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { StorageError } from '../../core/errors.js';
import type { AzureAccountOptions, TokenCredential } from './options.js';

/** The `@azure/storage-blob` module. */
export type AzureSdk = typeof import('@azure/storage-blob');

let sdkPromise: Promise<AzureSdk> | undefined;

/** Imports `@azure/storage-blob` once, or throws `InvalidConfig` naming the package to install. */
export function loadSdk(): Promise<AzureSdk> {
  sdkPromise ??= import('@azure/storage-blob').catch((e: unknown) => {
    sdkPromise = undefined;
    throw new StorageError(
      'InvalidConfig',
      'The azure backend needs the optional peer dependency `@azure/storage-blob`: run `npm install @azure/storage-blob`.',
      { backend: 'azure', cause: e },
    );
  });
  return sdkPromise;
}

async function defaultCredential(): Promise<TokenCredential> {
  try {
    const identity = await import('@azure/identity');
    return new identity.DefaultAzureCredential();
  } catch (e) {
    throw new StorageError(
      'InvalidConfig',
      'Without a connection string, account key, SAS token or credential, the azure backend uses DefaultAzureCredential from `@azure/identity`: run `npm install @azure/identity`, or pass credentials.',
      { backend: 'azure', cause: e },
    );
  }
}

/** What the adapter knows about how it is authenticated (for presigning and copies). */
export interface AzureConnection {
  service: BlobServiceClient;
  /** The shared key credential, when the account key is known (signs SAS URLs). */
  sharedKey?: StorageSharedKeyCredential;
  /** Set when requests are authorised by a SAS token in the URL. */
  sas: boolean;
  /** Set when an Entra ID credential is used (user-delegation SAS). */
  tokenCredential: boolean;
}

/** Splits a connection string into its `Name=value` parts (values may contain `=`). */
export function parseConnectionString(connectionString: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of connectionString.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** Builds the service client from validated options. */
export async function connect(options: AzureAccountOptions): Promise<AzureConnection> {
  const sdk = await loadSdk();
  const pipeline = {
    retryOptions: options.maxTries === undefined ? undefined : { maxTries: options.maxTries },
    userAgentOptions: { userAgentPrefix: 'stowage' },
  };
  if (options.client !== undefined) {
    const credential = (options.client as unknown as { credential?: unknown }).credential;
    return {
      service: options.client,
      sharedKey: credential instanceof sdk.StorageSharedKeyCredential ? credential : undefined,
      sas: /[?&]sig=/.test(options.client.url),
      tokenCredential:
        typeof credential === 'object' &&
        credential !== null &&
        typeof (credential as TokenCredential).getToken === 'function',
    };
  }
  if (options.connectionString !== undefined) {
    const parts = parseConnectionString(options.connectionString);
    let service: BlobServiceClient;
    try {
      service = sdk.BlobServiceClient.fromConnectionString(options.connectionString, pipeline);
    } catch (e) {
      throw new StorageError(
        'InvalidConfig',
        `[stowage] [azure] Invalid options: connectionString: ${(e as Error).message}.`,
        { backend: 'azure' },
      );
    }
    const sharedKey =
      parts.accountname !== undefined && parts.accountkey !== undefined
        ? new sdk.StorageSharedKeyCredential(parts.accountname, parts.accountkey)
        : undefined;
    return { service, sharedKey, sas: parts.sharedaccesssignature !== undefined, tokenCredential: false };
  }
  const endpoint = (options.endpoint ?? `https://${options.accountName}.blob.core.windows.net`).replace(
    /\/+$/,
    '',
  );
  if (options.accountKey !== undefined) {
    const sharedKey = new sdk.StorageSharedKeyCredential(options.accountName!, options.accountKey);
    return {
      service: new sdk.BlobServiceClient(endpoint, sharedKey, pipeline),
      sharedKey,
      sas: false,
      tokenCredential: false,
    };
  }
  if (options.sasToken !== undefined) {
    const token = options.sasToken.replace(/^\?/, '');
    return {
      service: new sdk.BlobServiceClient(`${endpoint}?${token}`, undefined, pipeline),
      sas: true,
      tokenCredential: false,
    };
  }
  const credential = options.credential ?? (await defaultCredential());
  return {
    service: new sdk.BlobServiceClient(endpoint, credential as never, pipeline),
    sas: false,
    tokenCredential: true,
  };
}
