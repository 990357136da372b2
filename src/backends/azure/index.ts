/**
 * `stowage/azure`: Azure Blob Storage (block blobs) on `@azure/storage-blob`,
 * an optional peer dependency loaded on first use.
 *
 * @example
 * ```ts
 * import { azure } from 'stowage/azure';
 * const storage = azure({ container: 'media', connectionString: process.env.AZURE_STORAGE_CONNECTION_STRING });
 * await storage.write('hello.txt', 'hi');
 * ```
 */
import { parseOptions } from '../../core/config.js';
import { StorageError } from '../../core/errors.js';
import { normalizePrefix } from '../../core/keys.js';
import { parseDuration, parseSize } from '../../core/units.js';
import { AzureBackend } from './backend.js';
import { connect, parseConnectionString } from './client.js';
import { toAzureError } from './errors.js';
import {
  type AzureAccountOptions,
  type AzureOptions,
  azureAccountOptionsSchema,
  azureOptionsSchema,
} from './options.js';

export { AzureBackend, type AzureSettings } from './backend.js';
export { azureErrorCode, toAzureError } from './errors.js';
export {
  type AzureAccountOptions,
  type AzureOptions,
  azureAccountOptionsSchema,
  azureOptionsSchema,
  type TokenCredential,
} from './options.js';

/**
 * Creates an Azure Blob Storage backend over one container. Synchronous: the
 * SDK is loaded and the client built on the first operation.
 *
 * @example
 * ```ts
 * // Account key
 * azure({ container: 'media', accountName: 'myaccount', accountKey: process.env.AZURE_KEY });
 * // Entra ID (managed identity, workload identity, az login, ...)
 * import { DefaultAzureCredential } from '@azure/identity';
 * azure({ container: 'media', accountName: 'myaccount', credential: new DefaultAzureCredential() });
 * // Azurite
 * azure({ container: 'test', connectionString: 'UseDevelopmentStorage=true' });
 * ```
 */
export function azure(options: AzureOptions): AzureBackend {
  const o = parseOptions(azureOptionsSchema, options, 'azure');
  const size = (value: number | string | undefined, name: string, fallback: number) =>
    value === undefined ? fallback : parseSize(value, name);
  const blockSize = size(o.blockSize, 'blockSize', 8 * 1024 * 1024);
  if (blockSize < 1 || blockSize > 4000 * 1024 * 1024) {
    throw new StorageError(
      'InvalidConfig',
      '[stowage] [azure] Invalid options: blockSize: must be 1 byte to 4000 MiB.',
      {
        backend: 'azure',
      },
    );
  }
  return new AzureBackend({
    account: {
      connectionString: o.connectionString,
      accountName: o.accountName,
      accountKey: o.accountKey,
      sasToken: o.sasToken,
      credential: o.credential,
      endpoint: o.endpoint,
      client: o.client,
      maxTries: o.maxTries,
    },
    container: o.container,
    prefix: normalizePrefix(o.prefix),
    blockSize,
    concurrency: o.concurrency ?? 4,
    singleUploadThreshold: size(o.singleUploadThreshold, 'singleUploadThreshold', 32 * 1024 * 1024),
    downloadRetries: o.downloadRetries ?? 5,
    idleTimeoutMs: o.idleTimeout === undefined ? 120_000 : parseDuration(o.idleTimeout, 'idleTimeout'),
    syncCopyThreshold: size(o.syncCopyThreshold, 'syncCopyThreshold', 256 * 1024 * 1024),
    copyPollIntervalMs:
      o.copyPollInterval === undefined ? 1000 : parseDuration(o.copyPollInterval, 'copyPollInterval'),
    versioning: o.versioning ?? false,
    presign: canPresign(o),
    encryptionScope: o.encryptionScope,
    customerProvidedKey: o.customerProvidedKey,
  });
}

/** Whether the auth options let us sign SAS URLs (account key or Entra ID). */
function canPresign(o: AzureAccountOptions): boolean {
  if (o.client !== undefined) {
    const credential = (
      o.client as unknown as { credential?: { constructor?: { name?: string }; getToken?: unknown } }
    ).credential;
    return (
      credential?.constructor?.name === 'StorageSharedKeyCredential' ||
      typeof credential?.getToken === 'function'
    );
  }
  if (o.connectionString !== undefined)
    return parseConnectionString(o.connectionString).accountkey !== undefined;
  return o.sasToken === undefined;
}

/** Options of {@link listContainers}. */
export interface ListContainersOptions extends AzureAccountOptions {
  /** Only containers whose name starts with this. */
  prefix?: string;
  /** Cancels the listing. */
  signal?: AbortSignal;
}

/** One container of an account. */
export interface ContainerInfo {
  name: string;
  lastModified: Date;
}

/**
 * Lists the containers of a storage account (needs account-level list permission).
 *
 * @example
 * ```ts
 * const containers = await listContainers({ connectionString });
 * ```
 */
export async function listContainers(options: ListContainersOptions): Promise<ContainerInfo[]> {
  const { prefix, signal, ...account } = options;
  const parsed = parseOptions(azureAccountOptionsSchema, account, 'azure');
  try {
    const { service } = await connect(parsed);
    const out: ContainerInfo[] = [];
    for await (const item of service.listContainers({ prefix, abortSignal: signal })) {
      out.push({ name: item.name, lastModified: item.properties.lastModified });
    }
    return out;
  } catch (e) {
    throw toAzureError(e, { operation: 'listContainers', container: '(all)' });
  }
}
