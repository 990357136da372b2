/** Whole-backend helpers: a connection test and usage statistics. */
import type { StorageBackend } from './backend.js';
import { isStorageError, StorageError, toStorageError } from './errors.js';

/** Result of {@link check}. */
export interface CheckResult {
  /** Every attempted step worked. */
  ok: boolean;
  /** Time the whole check took, in ms. */
  latencyMs: number;
  /** Listing worked. */
  canList: boolean;
  /** Reading (a listed object, or a probe key's NotFound) worked. */
  canRead: boolean;
  /** Writing and deleting a probe object worked (only with `write: true`). */
  canWrite?: boolean;
  /** The first failure. */
  error?: StorageError;
}

/**
 * Tests a connection: lists one entry, reads it (or stats a missing probe
 * key), and with `write: true` writes and deletes a small probe object.
 * Never throws; failures are reported in the result.
 *
 * @example
 * ```ts
 * const result = await check(storage, { write: true });
 * if (!result.ok) console.error(result.error?.message);
 * ```
 */
export async function check(
  backend: StorageBackend,
  options: { write?: boolean } = {},
): Promise<CheckResult> {
  const started = performance.now();
  const result: CheckResult = { ok: false, latencyMs: 0, canList: false, canRead: false };
  const probe = `.stowage-check/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    let first: string | undefined;
    for await (const entry of backend.list('', { limit: 1 })) {
      if (entry.type === 'object') first = entry.key;
    }
    result.canList = true;
    if (first !== undefined) await backend.stat(first);
    else await backend.exists(probe);
    result.canRead = true;
    if (options.write) {
      await backend.write(probe, 'stowage check');
      await backend.delete(probe);
      result.canWrite = true;
    }
    result.ok = true;
  } catch (e) {
    result.error = isStorageError(e) ? e : toStorageError(e, { backend: backend.kind, operation: 'check' });
    if (options.write && result.canList && result.canRead) result.canWrite = false;
  }
  result.latencyMs = Math.round((performance.now() - started) * 100) / 100;
  return result;
}

/** Result of {@link stats}. */
export interface StorageStats {
  /** Number of objects. */
  objects: number;
  /** Total size in bytes. */
  bytes: number;
  /** Newest `lastModified` of any object. */
  lastModified?: Date;
  /** Objects and bytes per lower-cased file extension ('' for none). */
  byExtension: Record<string, { objects: number; bytes: number }>;
}

/**
 * Counts objects and bytes under a prefix, in total and by extension, in one
 * streaming pass over the listing (memory does not grow with the count).
 *
 * @example
 * ```ts
 * const { objects, bytes, byExtension } = await stats(storage, 'images/');
 * ```
 */
export async function stats(
  backend: StorageBackend,
  prefix = '',
  options: { signal?: AbortSignal } = {},
): Promise<StorageStats> {
  if (typeof prefix !== 'string') throw new StorageError('InvalidArgument', '`prefix` must be a string.');
  const result: StorageStats = { objects: 0, bytes: 0, byExtension: {} };
  for await (const entry of backend.list(prefix, { signal: options.signal })) {
    if (entry.type !== 'object') continue;
    result.objects++;
    result.bytes += entry.size;
    if (result.lastModified === undefined || entry.lastModified > result.lastModified) {
      result.lastModified = entry.lastModified;
    }
    const ext = extensionOf(entry.key);
    const bucket = (result.byExtension[ext] ??= { objects: 0, bytes: 0 });
    bucket.objects++;
    bucket.bytes += entry.size;
  }
  return result;
}

/** The lower-cased extension of a key's last segment, without the dot ('' if none). */
export function extensionOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}
