/**
 * `cleanup()`: sweeps what crashed processes leave behind. A crash between
 * creating a temp file and renaming it leaves `.stowage-tmp-*` files; a
 * crash while holding a key lock leaves a `.stowage-lock-*` file; a crash
 * between writing a sidecar and renaming its data (or a race between two
 * writers of one key) leaves a sidecar whose inode no object has. None of
 * these is ever listed or read as an object; this reclaims their space.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Duration, parseDuration } from '../../core/units.js';
import { hasCode } from './errors.js';
import type { MetaStore } from './meta.js';
import { INTERNAL_DIR, LOCK_PREFIX, RESERVED_PREFIX, type RootPaths, TEMP_PREFIX } from './paths.js';

/** Options of `cleanup()`. */
export interface CleanupOptions {
  /** Only remove leftovers older than this (so writes in flight keep theirs). @default '1h' */
  olderThan?: Duration;
  /** Also remove empty folders. @default true */
  emptyFolders?: boolean;
}

/** What `cleanup()` removed. */
export interface CleanupReport {
  /** Temp files of writes that never finished. */
  tempFiles: number;
  /** Lock files of crashed writers. */
  lockFiles: number;
  /** Sidecars whose data file is gone. */
  sidecars: number;
  /** Empty folders. */
  folders: number;
}

/** Walks the root, removing stale temp and lock files, orphan sidecars and empty folders. */
export async function sweep(
  ctx: { paths: RootPaths; meta: MetaStore },
  options: CleanupOptions,
): Promise<CleanupReport> {
  const maxAgeMs = parseDuration(options.olderThan ?? '1h', 'olderThan', 'InvalidArgument');
  const cutoff = Date.now() - maxAgeMs;
  const report: CleanupReport = { tempFiles: 0, lockFiles: 0, sidecars: 0, folders: 0 };
  // Inodes of every file under the root (temp files included, so in-flight writes keep their sidecars).
  const live = new Set<bigint>();
  await walk(ctx.paths.root, true, live, cutoff, options.emptyFolders ?? true, report);
  await sweepSidecars(ctx.meta.dir, live, cutoff, report);
  return report;
}

async function walk(
  dir: string,
  isRoot: boolean,
  live: Set<bigint>,
  cutoff: number,
  emptyFolders: boolean,
  report: CleanupReport,
): Promise<void> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (hasCode(e, 'ENOENT', 'ENOTDIR')) return;
    throw e;
  }
  for (const dirent of dirents) {
    const path = join(dir, dirent.name);
    if (isRoot && dirent.name === INTERNAL_DIR) continue;
    if (dirent.isDirectory()) {
      await walk(path, false, live, cutoff, emptyFolders, report);
      continue;
    }
    const stats = await lstat(path, { bigint: true }).catch(() => undefined);
    if (stats === undefined) continue;
    const old = Number(stats.mtimeMs) < cutoff;
    if (dirent.name.startsWith(TEMP_PREFIX) && old) {
      if (await removed(path)) report.tempFiles++;
      continue;
    }
    if (dirent.name.startsWith(LOCK_PREFIX) && old) {
      if (await removed(path)) report.lockFiles++;
      continue;
    }
    if (stats.isFile()) live.add(stats.ino);
  }
  if (!isRoot && emptyFolders) {
    try {
      await rmdir(dir);
      report.folders++;
    } catch {
      // Not empty: fine.
    }
  }
}

async function sweepSidecars(metaDir: string, live: Set<bigint>, cutoff: number, report: CleanupReport) {
  let shards: string[];
  try {
    shards = await readdir(metaDir);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return;
    throw e;
  }
  for (const shard of shards) {
    const shardDir = join(metaDir, shard);
    let names: string[];
    try {
      names = await readdir(shardDir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.startsWith(RESERVED_PREFIX) || !name.endsWith('.json')) continue;
      let ino: bigint;
      try {
        ino = BigInt(`0x${name.slice(0, -'.json'.length)}`);
      } catch {
        continue;
      }
      if (live.has(ino)) continue;
      const path = join(shardDir, name);
      const stats = await stat(path).catch(() => undefined);
      if (stats === undefined || stats.mtimeMs >= cutoff) continue;
      if (await removed(path)) report.sidecars++;
    }
  }
}

async function removed(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}
