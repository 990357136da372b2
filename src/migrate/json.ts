/** Small JSON documents kept in a backend (checkpoints, sync state). */
import type { StorageBackend } from '../core/backend.js';
import { isStorageError, StorageError } from '../core/errors.js';

/**
 * Reads and parses the JSON object at `key`; `undefined` when there is none.
 * Invalid JSON throws `InvalidArgument` saying what the object was and how
 * to recover (`advice`, e.g. "delete it to start over").
 */
export async function readJsonIfExists<T>(
  store: StorageBackend,
  key: string,
  what: string,
  advice: string,
  signal?: AbortSignal,
): Promise<T | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await store.read(key, { signal });
  } catch (e) {
    if (isStorageError(e, 'NotFound')) return undefined;
    throw e;
  }
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
  } catch (e) {
    throw new StorageError(
      'InvalidArgument',
      `The ${what} at ${JSON.stringify(key)} is not valid JSON; ${advice}.`,
      {
        cause: e,
      },
    );
  }
}
