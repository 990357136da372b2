/** `deleteMany` with DeleteObjects, 1,000 keys per request (S3's limit). */
import type { DeleteManyResult } from '../../core/backend.js';
import { type StorageError, throwIfAborted } from '../../core/errors.js';
import type { S3Session } from './backend.js';

const DELETE_BATCH = 1000;

/**
 * Deletes keys (relative to `root`) in batches. Keys the service reports as
 * failed go to `errors`; a batch that fails whole puts each of its keys
 * there, except on abort, which rejects.
 */
export async function deleteObjects(
  session: S3Session,
  bucket: string,
  root: string,
  keys: AsyncIterable<string>,
  signal: AbortSignal | undefined,
  fail: (e: unknown, operation: string, key?: string) => StorageError,
): Promise<DeleteManyResult> {
  const { client, s3 } = session;
  const result: DeleteManyResult = { deleted: 0, errors: [] };
  const flush = async (batch: string[]) => {
    throwIfAborted(signal, 'deleteMany');
    try {
      const out = await client.send(
        new s3.DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((key) => ({ Key: root + key })), Quiet: true },
        }),
        { abortSignal: signal },
      );
      const failed = new Set<string>();
      for (const error of out.Errors ?? []) {
        const key = (error.Key ?? '').slice(root.length);
        failed.add(key);
        result.errors.push({
          key,
          error: fail({ name: error.Code, message: error.Message, $metadata: {} }, 'delete', key),
        });
      }
      result.deleted += batch.filter((k) => !failed.has(k)).length;
    } catch (e) {
      const error = fail(e, 'deleteMany');
      if (error.code === 'Aborted') throw error;
      for (const key of batch) result.errors.push({ key, error });
    }
  };
  let batch: string[] = [];
  for await (const key of keys) {
    batch.push(key);
    if (batch.length === DELETE_BATCH) {
      await flush(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await flush(batch);
  return result;
}
