/**
 * Listing: a lazy depth-first walk that yields keys in UTF-8 byte order.
 *
 * Each directory is read, filtered (reserved names hidden, escaped names
 * decoded), sorted and walked in turn, so memory holds one directory's names
 * per level, never the whole tree. A folder `a` sorts as `a/` against its
 * sibling files, so `a-b` < `a.txt` < `a/x` < `a0` come out in key order.
 * Folders that `startAfter` already passed are skipped without being read.
 * Symlinks to files inside the root are listed; symlinks that lead outside
 * the root, and symlinked folders (which could form cycles), are skipped.
 */
import type { BigIntStats, Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry } from '../../core/backend.js';
import type { ResolvedListOptions } from '../../core/base.js';
import { throwIfAborted } from '../../core/errors.js';
import { compareKeys } from '../../core/keys.js';
import { hasCode } from './errors.js';
import { type MetaStore, toInfo } from './meta.js';
import { decodeName, type RootPaths } from './paths.js';

/** What the walk needs from the backend. */
export interface ListContext {
  readonly paths: RootPaths;
  readonly meta: MetaStore;
}

type Kind = 'file' | 'dir' | 'link';

interface DirEntry {
  /** The full key (for a folder: without the trailing '/'). */
  key: string;
  /** The key as it sorts: folders with a trailing '/'. */
  sortKey: string;
  kind: Kind;
  path: string;
}

/** Stats (and sidecars) fetched ahead, this many at a time. */
const STAT_BATCH = 32;

/** Lists the objects (and, non-recursively, folders) whose key starts with `prefix`. */
export async function* listTree(
  ctx: ListContext,
  prefix: string,
  options: ResolvedListOptions,
): AsyncIterable<Entry> {
  const slash = prefix.lastIndexOf('/');
  const folder = prefix.slice(0, slash + 1);
  const dir = ctx.paths.dirOf(folder);
  if (dir === undefined) return;
  try {
    await ctx.paths.resolveInside(dir, prefix);
  } catch (e) {
    if (hasCode(e, 'ENOENT', 'ENOTDIR')) return;
    throw e;
  }
  yield* walk(ctx, dir, folder, prefix.slice(slash + 1), options);
}

async function* walk(
  ctx: ListContext,
  dir: string,
  keyPrefix: string,
  namePrefix: string,
  options: ResolvedListOptions,
): AsyncIterable<Entry> {
  throwIfAborted(options.signal, 'list');
  const entries = await readEntries(dir, keyPrefix, namePrefix, options.startAfter);
  for (let start = 0; start < entries.length; start += STAT_BATCH) {
    const batch = entries.slice(start, start + STAT_BATCH);
    // Start the stats of this batch's files together, then yield in order.
    const infos = batch.map((entry) => (entry.kind === 'dir' ? undefined : describe(ctx, entry)));
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]!;
      if (entry.kind !== 'dir') {
        const described = await infos[i];
        if (described !== undefined) yield described;
        continue;
      }
      if (options.recursive) {
        yield* walk(ctx, entry.path, entry.sortKey, '', options);
      } else if (await holdsObject(ctx, entry.path)) {
        yield { type: 'prefix', key: entry.sortKey };
      }
    }
  }
}

/** Reads, filters and sorts one directory. */
async function readEntries(
  dir: string,
  keyPrefix: string,
  namePrefix: string,
  startAfter: string | undefined,
): Promise<DirEntry[]> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    // Deleted (or replaced by a file) while we walked: nothing under it any more.
    if (hasCode(e, 'ENOENT', 'ENOTDIR')) return [];
    throw e;
  }
  const entries: DirEntry[] = [];
  for (const dirent of dirents) {
    const name = decodeName(dirent.name);
    if (name === undefined || !name.startsWith(namePrefix)) continue;
    const kind = await kindOf(dirent, join(dir, dirent.name));
    if (kind === undefined) continue;
    const key = keyPrefix + name;
    const sortKey = kind === 'dir' ? `${key}/` : key;
    if (startAfter !== undefined && compareKeys(sortKey, startAfter) <= 0) {
      // A folder at or before startAfter still holds later keys only when startAfter is inside it.
      if (kind !== 'dir' || !startAfter.startsWith(sortKey)) continue;
    }
    entries.push({ key, sortKey, kind, path: join(dir, dirent.name) });
  }
  entries.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
  return entries;
}

async function kindOf(dirent: Dirent, path: string): Promise<Kind | undefined> {
  if (dirent.isFile()) return 'file';
  if (dirent.isDirectory()) return 'dir';
  if (dirent.isSymbolicLink()) return 'link';
  if (dirent.isFIFO() || dirent.isSocket() || dirent.isBlockDevice() || dirent.isCharacterDevice()) {
    return undefined;
  }
  // Some file systems do not report types in readdir: ask.
  try {
    const stats = await lstat(path);
    if (stats.isFile()) return 'file';
    if (stats.isDirectory()) return 'dir';
    if (stats.isSymbolicLink()) return 'link';
  } catch {
    // Vanished.
  }
  return undefined;
}

/** The listing entry of a file (or symlink to a file inside the root), or `undefined` to skip it. */
async function describe(ctx: ListContext, entry: DirEntry): Promise<Entry | undefined> {
  try {
    let stats: BigIntStats;
    if (entry.kind === 'link') {
      const real = await realpath(entry.path);
      ctx.paths.assertInside(real, entry.key);
      stats = await stat(real, { bigint: true });
    } else {
      stats = await lstat(entry.path, { bigint: true });
    }
    if (!stats.isFile()) return undefined;
    return { type: 'object', ...toInfo(entry.key, stats, await ctx.meta.read(stats)) };
  } catch (e) {
    // Deleted while listing, a dangling link, or a link leading outside the root: not an object here.
    if (hasCode(e, 'ENOENT', 'ENOTDIR', 'ELOOP') || (e as { code?: string }).code === 'PermissionDenied') {
      return undefined;
    }
    throw e;
  }
}

/** Whether a folder holds at least one object (empty folders are never listed). */
async function holdsObject(ctx: ListContext, dir: string): Promise<boolean> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  const subdirs: string[] = [];
  for (const dirent of dirents) {
    if (decodeName(dirent.name) === undefined) continue;
    const path = join(dir, dirent.name);
    const kind = await kindOf(dirent, path);
    if (kind === 'file') return true;
    if (kind === 'dir') subdirs.push(path);
    if (kind === 'link' && (await describe(ctx, { key: '', sortKey: '', kind, path })) !== undefined)
      return true;
  }
  for (const subdir of subdirs) {
    if (await holdsObject(ctx, subdir)) return true;
  }
  return false;
}
