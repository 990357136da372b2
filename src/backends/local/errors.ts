/**
 * Maps Node file-system errors (`errno` codes) onto stowage's closed set of
 * error codes. Messages name the key, never the absolute path under the root:
 * the original error (with its path, useful when debugging) stays in `cause`.
 */
import { isStorageError, StorageError, toStorageError } from '../../core/errors.js';
import { describeKey } from '../../core/keys.js';

/** What the failing call was doing, which decides how some codes read. */
export type FsIntent = 'read' | 'write' | 'delete' | 'list';

/** Whether `e` is a Node system error with the given `code` (one of several). */
export function hasCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as { code?: unknown }).code as string);
}

/**
 * Turns a Node `fs` error into a `StorageError`. StorageErrors pass through.
 *
 * - `ENOENT` → `NotFound`
 * - `EACCES`, `EPERM`, `EROFS` → `PermissionDenied`
 * - `ENOSPC`, `EDQUOT`, `EFBIG` → `QuotaExceeded`
 * - `EEXIST` → `AlreadyExists`
 * - `EISDIR`, `ENOTDIR`, `ENOTEMPTY`: a key where a folder is, or a folder
 *   where an object is. Reads and deletes treat it as absent (`NotFound`);
 *   writes fail with `AlreadyExists`, since on a file system the keys `a` and
 *   `a/b` cannot both exist.
 * - `ENAMETOOLONG` → `InvalidKey`
 * - `ELOOP` → `PermissionDenied` (a symlink loop is never followed)
 * - `EMFILE`, `ENFILE`, `EBUSY`, `EAGAIN`, `EINTR`, `ETIMEDOUT` → `Unavailable` (retryable)
 * - anything else → `Unknown`
 */
export function fsError(e: unknown, key: string | undefined, intent: FsIntent): StorageError {
  if (isStorageError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const what = key === undefined ? 'the root' : describeKey(key);
  const make = (errorCode: ConstructorParameters<typeof StorageError>[0], message: string) =>
    new StorageError(errorCode, message, { cause: e, key });
  switch (code) {
    case 'ENOENT':
      return make('NotFound', `No object at ${what}.`);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return make(
        'PermissionDenied',
        `The file system refused access to ${what} (${code}); check the permissions of the root directory and its files.`,
      );
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return make(
        'QuotaExceeded',
        `The file system is out of space or quota writing ${what} (${code}); free space or raise the quota.`,
      );
    case 'EEXIST':
      return make('AlreadyExists', `An object already exists at ${what}.`);
    case 'EISDIR':
    case 'ENOTDIR':
    case 'ENOTEMPTY':
      if (intent === 'read' || intent === 'delete' || intent === 'list') {
        return make('NotFound', `No object at ${what}.`);
      }
      return folderConflict(key, e);
    case 'ENAMETOOLONG':
      return make(
        'InvalidKey',
        `The key ${what} is too long for this file system (ENAMETOOLONG); keep each '/'-separated segment under 255 bytes.`,
      );
    case 'ELOOP':
      return make('PermissionDenied', `The path of ${what} runs into a symlink loop; fix the symlink.`);
    case 'EMFILE':
    case 'ENFILE':
    case 'EBUSY':
    case 'EAGAIN':
    case 'EINTR':
    case 'ETIMEDOUT':
      return make(
        'Unavailable',
        `The file system is busy (${code}) for ${what}; retry later, or raise the open-file limit (ulimit -n).`,
      );
    case 'ERR_INVALID_ARG_TYPE':
      // Raised while reading the caller's body stream (a chunk that is not bytes).
      return make(
        'InvalidArgument',
        `The body of ${what} yielded a chunk that is not bytes; body streams must yield Uint8Array chunks.`,
      );
    default: {
      if (typeof (e as { syscall?: unknown } | null)?.syscall !== 'string') {
        // Not a file-system error: let the base describe it.
        return toStorageError(e, { key });
      }
      const message = e instanceof Error ? e.message.replace(/, \w+ '[^']*'( -> '[^']*')?$/, '') : String(e);
      return make('Unknown', `The file system failed on ${what}: ${message}`);
    }
  }
}

/**
 * The error for a key that collides with a folder, or whose folder is an
 * object: on a file system `a` and `a/b` cannot both exist.
 */
export function folderConflict(key: string | undefined, cause?: unknown): StorageError {
  const what = key === undefined ? 'this key' : describeKey(key);
  return new StorageError(
    'AlreadyExists',
    `Cannot write ${what}: on a local disk a key cannot be both an object and a folder (e.g. "a" and "a/b"). Delete the object or the folder's content first, or choose another key.`,
    { cause, key },
  );
}

/** The error for a symlink (or a resolved path) that leads outside the root. */
export function escapesRoot(key: string): StorageError {
  return new StorageError(
    'PermissionDenied',
    `The path of ${describeKey(key)} leads outside the root directory (through a symlink); stowage never follows it.`,
    { key },
  );
}
