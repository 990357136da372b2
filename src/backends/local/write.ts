/**
 * Atomic writes: the body goes into a temp file next to the target
 * (`.stowage-tmp-<random>`, a reserved name no listing shows), its sidecar is
 * written for the temp file's inode, and only then is the temp file renamed
 * over the target (or hard-linked, for `ifNotExists`). A write that fails,
 * is aborted or whose body errors removes its temp file and sidecar on every
 * path, leaving the previous object untouched.
 */
import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { constants, write as fsWrite, writev as fsWritev } from 'node:fs';
import {
  copyFile,
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  rename,
  rmdir,
  stat,
  unlink,
  utimes,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ObjectInfo } from '../../core/backend.js';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PreparedBody } from '../../core/body.js';
import { StorageError } from '../../core/errors.js';
import { describeKey } from '../../core/keys.js';
import { folderConflict, hasCode } from './errors.js';
import { type LockTiming, withKeyLock } from './lock.js';
import { type MetaFields, type MetaStore, statEtag, toInfo, uniqueMtime } from './meta.js';
import { type KeyPath, type RootPaths, TEMP_PREFIX } from './paths.js';

/** Bytes gathered before each write to disk: 1 MiB, a good size for throughput. */
export const WRITE_CHUNK_BYTES = 1024 * 1024;

/** What the write path needs from the backend. */
export interface WriteContext {
  readonly paths: RootPaths;
  readonly meta: MetaStore;
  readonly fsync: boolean;
  readonly lock: LockTiming;
}

/** The conditions of a write, copy or move. */
export interface WriteConditions {
  ifNotExists?: boolean;
  ifMatch?: string;
}

/** How many times a write retries when a concurrent delete prunes its directory. */
const DIR_RETRIES = 8;

/**
 * Writes `body` to `key` atomically, with its sidecar, honouring
 * `ifNotExists` / `ifMatch` atomically across processes.
 */
export async function atomicWrite(
  ctx: WriteContext,
  key: string,
  body: PreparedBody,
  fields: MetaFields,
  conditions: WriteConditions,
): Promise<ObjectInfo> {
  const target = ctx.paths.keyPath(key, true) as KeyPath;
  let temp: string | undefined;
  let handle: FileHandle | undefined;
  let tempIno: bigint | undefined;
  let committed = false;
  try {
    ({ path: temp, handle } = await createTemp(ctx, target, key, (path) => open(path, 'wx')));
    if (body.bytes !== undefined) await writeAll(handle, body.bytes);
    else await writeStream(handle, body);
    const stamp = uniqueMtime();
    await handle.utimes(stamp, stamp);
    if (ctx.fsync) await handle.sync();
    const stats = await handle.stat({ bigint: true });
    tempIno = stats.ino;
    await handle.close();
    handle = undefined;
    const meta = ctx.meta.build(key, stats, fields);
    if (meta !== undefined) await ctx.meta.write(stats.ino, meta);
    await commit(ctx, key, target, temp, stats.ino, conditions);
    committed = true;
    return toInfo(key, stats, meta);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    if (!committed) await discard(ctx, temp, tempIno, target.dir);
    throw e;
  }
}

/**
 * Copies the file at `sourceReal` to `key` atomically (a reflink where the
 * file system offers one), with the given sidecar fields.
 */
export async function copyInto(
  ctx: WriteContext,
  sourceReal: string,
  key: string,
  fields: MetaFields,
  conditions: WriteConditions,
): Promise<ObjectInfo> {
  const target = ctx.paths.keyPath(key, true) as KeyPath;
  let temp: string | undefined;
  let tempIno: bigint | undefined;
  let committed = false;
  try {
    ({ path: temp } = await createTemp(ctx, target, key, async (path) => {
      await copyFile(sourceReal, path, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      return undefined;
    }));
    const stamp = uniqueMtime();
    await utimes(temp, stamp, stamp);
    if (ctx.fsync) await syncPath(temp, 'r+');
    const stats = await stat(temp, { bigint: true });
    tempIno = stats.ino;
    const meta = ctx.meta.build(key, stats, fields);
    if (meta !== undefined) await ctx.meta.write(stats.ino, meta);
    await commit(ctx, key, target, temp, stats.ino, conditions);
    committed = true;
    return toInfo(key, stats, meta);
  } catch (e) {
    if (!committed) await discard(ctx, temp, tempIno, target.dir);
    throw e;
  }
}

/**
 * Makes sure the directory of `target` exists inside the root and runs
 * `create` on a fresh temp path in it, retrying when a concurrent delete
 * prunes the directory in between.
 */
async function createTemp<T>(
  ctx: WriteContext,
  target: KeyPath,
  key: string,
  create: (path: string) => Promise<T>,
): Promise<{ path: string; handle: T }> {
  for (let attempt = 0; ; attempt++) {
    const path = join(target.dir, TEMP_PREFIX + randomBytes(8).toString('hex'));
    try {
      await ensureDir(ctx.paths, target.dir, key);
      return { path, handle: await create(path) };
    } catch (e) {
      // A create that failed half-way (a copy out of space) may have left the temp file: it is ours.
      if (!hasCode(e, 'EEXIST')) await unlink(path).catch(() => undefined);
      // ENOENT here means the directory vanished (a delete pruned it), unless the directory is there.
      if (!hasCode(e, 'ENOENT') || attempt >= DIR_RETRIES) throw e;
      if (await exists(target.dir)) throw e;
    }
  }
}

/** Creates `dir` (and parents) if missing, refusing to create or use anything outside the root. */
export async function ensureDir(paths: RootPaths, dir: string, key: string): Promise<void> {
  try {
    await paths.resolveInside(dir, key);
    return;
  } catch (e) {
    if (hasCode(e, 'ENOTDIR')) throw folderConflict(key, e);
    if (!hasCode(e, 'ENOENT')) throw e;
  }
  await paths.assertCreatableInside(dir, key);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    if (hasCode(e, 'EEXIST', 'ENOTDIR')) throw folderConflict(key, e);
    throw e;
  }
  await paths.resolveInside(dir, key);
}

/** Publishes a written temp file at the target, honouring the conditions. */
async function commit(
  ctx: WriteContext,
  key: string,
  target: KeyPath,
  temp: string,
  ino: bigint,
  conditions: WriteConditions,
): Promise<void> {
  if (conditions.ifNotExists === true) {
    try {
      // link(2) fails with EEXIST atomically when the target exists: in this process or any other.
      await link(temp, target.file);
    } catch (e) {
      if (hasCode(e, 'EEXIST')) throw alreadyExists(key, e);
      if (!hasCode(e, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV')) throw e;
      // No hard links on this file system: check and rename under the key's lock instead.
      await withKeyLock(target.dir, target.name, key, ctx.lock, async () => {
        if ((await lstatOrUndefined(target.file)) !== undefined) throw alreadyExists(key);
        await replace(ctx, key, target, temp, ino);
      });
      return;
    }
    await unlink(temp).catch(() => undefined);
    if (ctx.fsync) await syncPath(target.dir, 'r');
    return;
  }
  if (conditions.ifMatch !== undefined) {
    const expected = conditions.ifMatch;
    await withKeyLock(target.dir, target.name, key, ctx.lock, async () => {
      const current = await currentEtag(target.file);
      if (current !== expected) {
        throw new StorageError(
          'PreconditionFailed',
          current === undefined
            ? `No object at ${describeKey(key)} to match etag ${expected}.`
            : `The object at ${describeKey(key)} has changed (its etag is not ${expected}); read it again and retry.`,
          { key },
        );
      }
      await replace(ctx, key, target, temp, ino);
    });
    return;
  }
  await replace(ctx, key, target, temp, ino);
}

/** Renames `temp` over the target and drops the replaced file's sidecar. */
async function replace(
  ctx: WriteContext,
  key: string,
  target: KeyPath,
  temp: string,
  ino: bigint,
): Promise<void> {
  // The replaced file's inode is only needed to drop its sidecar: skip the
  // lstat while this root has no sidecars at all (the common, metadata-free case).
  const old = (await ctx.meta.mayExist()) ? await lstatOrUndefined(target.file) : undefined;
  try {
    await rename(temp, target.file);
  } catch (e) {
    if (!hasCode(e, 'EISDIR', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR')) throw e;
    // A directory is at the key. An empty one left behind is no object: take its place.
    await rmdir(target.file).catch(() => {
      throw folderConflict(key, e);
    });
    await rename(temp, target.file).catch((again: unknown) => {
      throw folderConflict(key, again);
    });
  }
  if (old?.isFile() && old.ino !== ino) await ctx.meta.remove(old.ino).catch(() => undefined);
  if (ctx.fsync) await syncPath(target.dir, 'r');
}

/** The etag of the object at `file`, or `undefined` when there is none. */
async function currentEtag(file: string): Promise<string | undefined> {
  let stats: BigIntStats;
  try {
    stats = await stat(file, { bigint: true });
  } catch (e) {
    if (hasCode(e, 'ENOENT', 'ENOTDIR')) return undefined;
    throw e;
  }
  if (!stats.isFile()) return undefined;
  return statEtag(stats);
}

/** Removes a failed write's temp file and sidecar, and the directories it created if now empty. */
async function discard(
  ctx: WriteContext,
  temp: string | undefined,
  ino: bigint | undefined,
  dir: string,
): Promise<void> {
  if (temp !== undefined) await unlink(temp).catch(() => undefined);
  if (ino !== undefined) await ctx.meta.remove(ino).catch(() => undefined);
  await pruneEmptyDirs(ctx.paths.root, dir);
}

/**
 * Removes `dir` and its parents while they are empty, up to (not including)
 * the root. `rmdir` fails on a non-empty directory, so a concurrent write's
 * temp file keeps its directory alive; a write whose directory vanished
 * before its temp file was created retries `mkdir`.
 */
export async function pruneEmptyDirs(root: string, dir: string): Promise<void> {
  let current = dir;
  while (current.length > root.length && current.startsWith(root)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}

/** Writes every byte of `bytes` at the handle's position. */
async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

/**
 * Streams a body into the handle's descriptor, as `fs.createWriteStream`
 * does: a Writable sink with a 1 MiB buffer whose writes go straight to
 * `fs.write` / `fs.writev` callbacks (no promise per chunk). While one write
 * is in flight, later chunks gather and go down in one `writev`, without
 * being copied into a bigger buffer first.
 */
async function writeStream(handle: FileHandle, body: PreparedBody): Promise<void> {
  const fd = handle.fd;
  const sink = new Writable({
    highWaterMark: WRITE_CHUNK_BYTES,
    write(chunk: Buffer, _encoding, callback) {
      writeChunk(fd, chunk, 0, callback);
    },
    writev(chunks, callback) {
      if (chunks.length === 1) {
        writeChunk(fd, chunks[0]!.chunk as Buffer, 0, callback);
        return;
      }
      const buffers = chunks.map((c) => c.chunk as Buffer);
      fsWritev(fd, buffers, (error, written) => {
        if (error) return callback(error);
        let total = 0;
        for (const b of buffers) total += b.byteLength;
        // A short writev is rare on regular files; finish the rest byte-exact.
        if (written < total) writeChunk(fd, Buffer.concat(buffers, total), written, callback);
        else callback();
      });
    },
  });
  await pipeline(body.stream(), sink);
}

/** Writes `chunk` from `offset` to its end at the descriptor's position, looping over short writes. */
function writeChunk(
  fd: number,
  chunk: Buffer,
  offset: number,
  callback: (error?: Error | null) => void,
): void {
  fsWrite(fd, chunk, offset, chunk.byteLength - offset, null, (error, written) => {
    if (error) callback(error);
    else if (offset + written < chunk.byteLength) writeChunk(fd, chunk, offset + written, callback);
    else callback();
  });
}

/** fsyncs a file or directory by path. */
export async function syncPath(path: string, flags: 'r' | 'r+'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** lstat, or `undefined` when absent; a file where a folder should be is a folder conflict. */
export async function lstatOrUndefined(path: string): Promise<BigIntStats | undefined> {
  try {
    return await lstat(path, { bigint: true });
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return undefined;
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function alreadyExists(key: string, cause?: unknown): StorageError {
  return new StorageError('AlreadyExists', `An object already exists at ${describeKey(key)}.`, {
    key,
    cause,
  });
}
