/**
 * `move`: a rename within the root, so the object keeps its inode, and so its
 * sidecar and etag. With `ifNotExists`, a hard link (which fails atomically
 * when the target exists) then an unlink of the source; on file systems
 * without hard links, a check and rename under the target key's lock.
 */
import type { BigIntStats } from 'node:fs';
import { link, rename, unlink } from 'node:fs/promises';
import { StorageError } from '../../core/errors.js';
import { describeKey } from '../../core/keys.js';
import { folderConflict, hasCode } from './errors.js';
import { withKeyLock } from './lock.js';
import type { KeyPath } from './paths.js';
import { ensureDir, lstatOrUndefined, syncPath, type WriteContext } from './write.js';

/** Errors of `link(2)` that mean "no hard links here", not "the target exists". */
const NO_HARD_LINKS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'];

/**
 * Moves the file at `source` (whose lstat is `stats`) to `target`. Rejects
 * with the raw fs error on failure (`EXDEV` when `target` is on another file
 * system mounted inside the root).
 */
export async function moveFile(
  ctx: WriteContext,
  source: KeyPath,
  stats: BigIntStats,
  target: KeyPath,
  to: string,
  ifNotExists: boolean,
): Promise<void> {
  await ensureDir(ctx.paths, target.dir, to);
  if (ifNotExists) {
    try {
      await link(source.file, target.file);
      await unlink(source.file);
    } catch (e) {
      if (hasCode(e, 'EEXIST')) throw alreadyExists(to, e);
      if (!hasCode(e, ...NO_HARD_LINKS)) throw e;
      await withKeyLock(target.dir, target.name, to, ctx.lock, async () => {
        if ((await lstatOrUndefined(target.file)) !== undefined) throw alreadyExists(to);
        await rename(source.file, target.file);
      });
    }
  } else {
    const old = await lstatOrUndefined(target.file);
    if (old?.isDirectory()) throw folderConflict(to);
    await rename(source.file, target.file);
    if (old?.isFile() && old.ino !== stats.ino) await ctx.meta.remove(old.ino).catch(() => undefined);
  }
  if (ctx.fsync) {
    await syncPath(target.dir, 'r');
    if (source.dir !== target.dir) await syncPath(source.dir, 'r');
  }
}

function alreadyExists(key: string, cause?: unknown): StorageError {
  return new StorageError('AlreadyExists', `An object already exists at ${describeKey(key)}.`, {
    key,
    cause,
  });
}
