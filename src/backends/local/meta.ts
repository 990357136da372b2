/**
 * Object metadata (content type, custom metadata and the HTTP-style
 * headers) kept in sidecar files under `<root>/.stowage/meta/`, one per data
 * file that has any, named after the data file's inode number.
 *
 * Why by inode: a write creates a temp file (a new inode), writes its
 * sidecar, then renames the temp file over the target. The rename switches
 * data and metadata together in one atomic step: a reader sees either the
 * old file (whose sidecar is still there) or the new one (whose sidecar was
 * written before it became visible). A `move` is a rename, so the inode and
 * its sidecar stay valid. Each sidecar also records the size and mtime of
 * the file it describes; one that does not match (an orphan whose inode was
 * reused, or a file edited outside stowage) is ignored, and the object then
 * gets default metadata.
 *
 * The etag needs no sidecar: it is derived from the file's inode, size and
 * mtime, and every write stamps its temp file with a unique mtime (see
 * {@link uniqueMtime}), so each write gets a new etag even when the file
 * system reuses an inode number and the size is unchanged. A write without
 * content type, metadata or headers therefore creates one file only.
 */
import type { BigIntStats } from 'node:fs';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectInfo } from '../../core/backend.js';
import { guessContentType } from '../../core/content-type.js';
import { hasCode } from './errors.js';
import { INTERNAL_DIR } from './paths.js';

/** The content of one sidecar file. */
export interface StoredMeta {
  /** Format version. */
  v: 1;
  /** Size of the data file it describes. */
  size: number;
  /** mtime of that data file, in nanoseconds (as a decimal string). */
  mtimeNs: string;
  contentType?: string;
  metadata: Record<string, string>;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
}

/** The fields a write stores besides the bytes. */
export type MetaFields = Pick<
  ObjectInfo,
  'contentType' | 'metadata' | 'cacheControl' | 'contentDisposition' | 'contentEncoding'
>;

let lastStampMs = 0;

/**
 * An mtime (in seconds, as `utimes` takes it) unique within this process and
 * strictly increasing by at least a microsecond: the wall clock with
 * sub-millisecond digits. Writes stamp their temp files with it, which makes
 * inode + size + mtime unique per write (file systems keep nanoseconds, and a
 * reused inode belongs to a later write, so to a later stamp).
 */
export function uniqueMtime(): number {
  let ms = performance.timeOrigin + performance.now();
  if (ms < lastStampMs + 0.001) ms = lastStampMs + 0.001;
  lastStampMs = ms;
  return ms / 1000;
}

/** The etag of a data file: its inode, size and mtime (ns), quoted like an HTTP entity tag. */
export function statEtag(stats: BigIntStats): string {
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${stats.mtimeNs.toString(16)}"`;
}

/** Reads, writes and removes sidecar files. */
export class MetaStore {
  /** `<root>/.stowage/meta`. */
  readonly dir: string;
  private readonly fsync: boolean;

  /** Whether the sidecar tree was seen to exist, and when it was last checked (ms). */
  private seen = false;
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(root: string, fsync: boolean) {
    this.dir = join(root, INTERNAL_DIR, 'meta');
    this.fsync = fsync;
  }

  /**
   * Whether any sidecar may exist under this root. Once the sidecar tree is
   * seen it is assumed to stay; while it is absent the answer is re-checked
   * at most once a second (another process may create it; a sidecar missed
   * in that second is only an orphan, which `cleanup()` sweeps, never a
   * wrong answer, since sidecars are checked against their file).
   */
  async mayExist(): Promise<boolean> {
    if (this.seen) return true;
    const now = Date.now();
    if (now - this.checkedAt < 1000) return false;
    this.checkedAt = now;
    this.seen = await stat(this.dir).then(
      () => true,
      () => false,
    );
    return this.seen;
  }

  /** Path of the sidecar of inode `ino` (256 shard directories keep each one small). */
  pathOf(ino: bigint): string {
    return join(this.dir, (ino & 0xffn).toString(16).padStart(2, '0'), `${ino.toString(16)}.json`);
  }

  /**
   * Builds the sidecar of the data file of `key`, or `undefined` when there is
   * nothing to keep: no metadata, no headers, and a content type that is the
   * one guessed from the key anyway.
   */
  build(key: string, stats: BigIntStats, fields: MetaFields): StoredMeta | undefined {
    const metadata = fields.metadata ?? {};
    const contentType = fields.contentType === guessContentType(key) ? undefined : fields.contentType;
    if (
      contentType === undefined &&
      Object.keys(metadata).length === 0 &&
      fields.cacheControl === undefined &&
      fields.contentDisposition === undefined &&
      fields.contentEncoding === undefined
    ) {
      return undefined;
    }
    const meta: StoredMeta = { v: 1, size: Number(stats.size), mtimeNs: stats.mtimeNs.toString(), metadata };
    if (contentType !== undefined) meta.contentType = contentType;
    if (fields.cacheControl !== undefined) meta.cacheControl = fields.cacheControl;
    if (fields.contentDisposition !== undefined) meta.contentDisposition = fields.contentDisposition;
    if (fields.contentEncoding !== undefined) meta.contentEncoding = fields.contentEncoding;
    return meta;
  }

  /**
   * Writes the sidecar of inode `ino`. The inode is not yet visible under any
   * key (its temp file has not been renamed), so a plain write is safe: no
   * reader can see a half-written sidecar of a visible object.
   */
  async write(ino: bigint, meta: StoredMeta): Promise<void> {
    this.seen = true;
    const path = this.pathOf(ino);
    const text = JSON.stringify(meta);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'w');
    } catch (e) {
      if (!hasCode(e, 'ENOENT')) throw e;
      await mkdir(join(path, '..'), { recursive: true });
      handle = await open(path, 'w');
    }
    try {
      await handle.writeFile(text);
      if (this.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    if (this.fsync) {
      // The sidecar's directory entry must be durable before its data file is published.
      const dir = await open(join(path, '..'), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  }

  /** The sidecar of a data file, or `undefined` when it has none or it does not match the file. */
  async read(stats: BigIntStats): Promise<StoredMeta | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathOf(stats.ino), 'utf8');
    } catch (e) {
      if (hasCode(e, 'ENOENT', 'ENOTDIR')) return undefined;
      throw e;
    }
    try {
      const meta = JSON.parse(text) as StoredMeta;
      if (meta.v !== 1 || meta.size !== Number(stats.size) || meta.mtimeNs !== stats.mtimeNs.toString()) {
        return undefined;
      }
      return meta;
    } catch {
      // A torn sidecar (crash while writing it) describes nothing.
      return undefined;
    }
  }

  /** Removes the sidecar of inode `ino`; absent is fine. */
  async remove(ino: bigint): Promise<void> {
    try {
      await unlink(this.pathOf(ino));
    } catch (e) {
      if (!hasCode(e, 'ENOENT', 'ENOTDIR')) throw e;
    }
  }
}

/** The ObjectInfo of a data file and its (maybe missing) sidecar. */
export function toInfo(key: string, stats: BigIntStats, meta: StoredMeta | undefined): ObjectInfo {
  const info: ObjectInfo = {
    key,
    size: Number(stats.size),
    lastModified: new Date(Number(stats.mtimeNs / 1_000_000n)),
    etag: statEtag(stats),
    contentType: meta?.contentType ?? guessContentType(key),
    metadata: { ...(meta?.metadata ?? {}) },
  };
  if (meta?.cacheControl !== undefined) info.cacheControl = meta.cacheControl;
  if (meta?.contentDisposition !== undefined) info.contentDisposition = meta.contentDisposition;
  if (meta?.contentEncoding !== undefined) info.contentEncoding = meta.contentEncoding;
  return info;
}
