/** Shared helpers of the Azure suites: a fresh container on Azurite per suite. */
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { azure } from '../../../src/backends/azure/index.js';
import type { AzureOptions } from '../../../src/backends/azure/options.js';
import { azuriteConnectionString } from '../../emulators/azurite.js';

/** A raw SDK client on the emulator (for setting up and checking behind the adapter's back). */
export function rawService(endpoint: string): BlobServiceClient {
  return BlobServiceClient.fromConnectionString(azuriteConnectionString(endpoint));
}

/** Creates a fresh, uniquely named container and returns its name. */
export async function freshContainer(endpoint: string, label: string): Promise<string> {
  const name = `${label}-${randomBytes(6).toString('hex')}`.toLowerCase();
  await rawService(endpoint).getContainerClient(name).create();
  return name;
}

/** An adapter on a fresh container of the emulator. */
export async function freshBackend(endpoint: string, label: string, options: Partial<AzureOptions> = {}) {
  const container = await freshContainer(endpoint, label);
  return {
    container,
    backend: azure({ container, connectionString: azuriteConnectionString(endpoint), ...options }),
  };
}
