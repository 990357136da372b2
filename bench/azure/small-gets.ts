/** The small-GET workload of the Azure diagnostics, one definition for both sides. */
import type { ContainerClient } from '@azure/storage-blob';
import type { StorageBackend } from '../../src/core/backend.js';
import { drain } from '../streams.js';
import { pool } from '../timing.js';

/**
 * 1,000 GETs of `<prefix>/<i>` at concurrency 16: `raw` with the SDK's
 * `download()` (body drained), `stowage` with the adapter's `read()`.
 */
export function smallGets(
  container: ContainerClient,
  store: StorageBackend,
  prefix = 'small',
): { raw: () => Promise<void>; stowage: () => Promise<void> } {
  return {
    raw: () =>
      pool(1000, 16, async (i) => {
        await drain((await container.getBlobClient(`${prefix}/${i}`).download()).readableStreamBody!);
      }),
    stowage: () =>
      pool(1000, 16, async (i) => {
        await store.read(`${prefix}/${i}`);
      }),
  };
}
