/**
 * `deleteMany` through Blob Batch (up to 256 deletes per request). When the
 * service refuses batches (some emulators, some SAS tokens, accounts with
 * hierarchical namespace), it falls back to one delete per key, eight at a
 * time, and remembers that for the rest of the call.
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { DeleteManyResult } from '../../core/backend.js';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import { type AzureErrorContext, toAzureError } from './errors.js';

/** The most sub-requests one Blob Batch may carry. */
export const MAX_BATCH = 256;

/** Options of {@link deleteBlobs}. */
export interface DeleteBlobsOptions {
  prefix: string;
  signal?: AbortSignal;
  /** Deletes one key (absent = success), used for single keys and the fallback. */
  deleteOne(key: string): Promise<void>;
  context(key: string): AzureErrorContext;
}

/** Deletes every key, batching where the service allows. */
export async function deleteBlobs(
  container: ContainerClient,
  keys: AsyncIterable<string>,
  options: DeleteBlobsOptions,
): Promise<DeleteManyResult> {
  const result: DeleteManyResult = { deleted: 0, errors: [] };
  let batching = true;
  let pending: string[] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    throwIfAborted(options.signal, 'deleteMany');
    if (batching && batch.length > 1) {
      try {
        await deleteBatch(container, batch, options, result);
        return;
      } catch (e) {
        if (options.signal?.aborted) throw e;
        const status = (e as { statusCode?: number }).statusCode;
        // Auth failures would fail one by one too: report them, do not hide them behind a fallback.
        if (status === 401 || status === 403) throw toAzureError(e, options.context(batch[0]!));
        batching = false;
      }
    }
    await deleteEach(batch, options, result);
  };
  for await (const key of keys) {
    pending.push(key);
    if (pending.length >= MAX_BATCH) await flush();
  }
  await flush();
  return result;
}

async function deleteBatch(
  container: ContainerClient,
  keys: string[],
  options: DeleteBlobsOptions,
  result: DeleteManyResult,
): Promise<void> {
  const clients = keys.map((key) => container.getBlobClient(options.prefix + key));
  const response = await container
    .getBlobBatchClient()
    .deleteBlobs(clients, { abortSignal: options.signal, deleteSnapshots: 'include' });
  keys.forEach((key, i) => {
    const sub = response.subResponses[i];
    if (sub === undefined) {
      result.errors.push({
        key,
        error: new StorageError(
          'Unknown',
          'The batch response had no answer for this key; delete it again.',
          {
            backend: 'azure',
            operation: 'deleteMany',
            key,
          },
        ),
      });
    } else if (sub.status < 300 || sub.errorCode === 'BlobNotFound') {
      result.deleted++;
    } else {
      const native = Object.assign(new Error(sub.statusMessage), {
        statusCode: sub.status,
        code: sub.errorCode,
      });
      result.errors.push({ key, error: toAzureError(native, options.context(key)) });
    }
  });
}

async function deleteEach(
  keys: string[],
  options: DeleteBlobsOptions,
  result: DeleteManyResult,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      try {
        await options.deleteOne(key);
        result.deleted++;
      } catch (e) {
        const error = toAzureError(e, options.context(key));
        if (error.code === 'Aborted') throw error;
        result.errors.push({ key, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, keys.length) }, worker));
}
