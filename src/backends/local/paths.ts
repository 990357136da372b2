/**
 * Keys ↔ paths under the root. A key's `/`-separated segments become
 * directories and a file name. Names starting with `.stowage` are reserved
 * for the backend's own files (temp files, locks, the metadata tree); a key
 * segment that itself starts with `.stowage` is stored with the escape
 * prefix `.stowage~` so it can never collide with them, and is decoded back
 * when listing. Every resolved path is checked to stay inside the root, also
 * after following symlinks.
 */
import fs, { constants, existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import { StorageError } from '../../core/errors.js';
import { describeKey } from '../../core/keys.js';
import { escapesRoot, hasCode } from './errors.js';

/** Names starting with this belong to the backend, unless escaped. */
export const RESERVED_PREFIX = '.stowage';
/** The escape prefix of user segments that start with {@link RESERVED_PREFIX}. */
export const ESCAPE_PREFIX = '.stowage~';
/** The backend's own directory at the root (metadata tree). */
export const INTERNAL_DIR = '.stowage';
/** Prefix of temp files written next to their target. */
export const TEMP_PREFIX = '.stowage-tmp-';
/** Prefix of per-key lock files, next to their target. */
export const LOCK_PREFIX = '.stowage-lock-';
/** Longest file or directory name most file systems accept (ext4, XFS, APFS, NTFS: 255). */
export const MAX_SEGMENT_BYTES = 255;

/** Callback fs calls as promises, for plain descriptors. */
export const openFd = promisify(fs.open) as (path: string, flags: number) => Promise<number>;
/** Reads into a buffer from a plain descriptor at a position; resolves the bytes read. */
export function readFd(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, offset, length, position, (error, bytesRead) =>
      error ? reject(error) : resolve(bytesRead),
    );
  });
}
/** Closes a plain descriptor without waiting for the thread pool (see {@link openedPath}). */
export function closeFdNow(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // EBADF / EINTR: the descriptor is gone either way.
  }
}

/** Whether descriptors' paths can be read from /proc (Linux). */
const procFd = process.platform === 'linux' && existsSync('/proc/self/fd');

/**
 * The path an open descriptor refers to, from `/proc/self/fd` (Linux), or
 * `undefined` elsewhere or when /proc does not answer. Synchronous on
 * purpose: procfs answers from kernel memory without touching a disk, in
 * about a microsecond, while a trip through libuv's 4-thread pool costs tens
 * of microseconds of latency under load, once per small read.
 */
function openedPath(fd: number): string | undefined {
  if (!procFd) return undefined;
  let real: string;
  try {
    real = fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
  return real.endsWith(' (deleted)') ? real.slice(0, -' (deleted)'.length) : real;
}

/** A key mapped onto the file system. */
export interface KeyPath {
  /** Absolute path of the object's file (not resolved through symlinks). */
  readonly file: string;
  /** Absolute path of the directory holding it. */
  readonly dir: string;
  /** The file's name on disk (escaped). */
  readonly name: string;
}

/** Encodes one key segment as a file name (escaping reserved names). */
export function encodeSegment(segment: string): string {
  return segment.startsWith(RESERVED_PREFIX) ? ESCAPE_PREFIX + segment : segment;
}

/**
 * Decodes a file name back into a key segment, or `undefined` when the name
 * is one of the backend's own (temp, lock, metadata) and must stay hidden.
 */
export function decodeName(name: string): string | undefined {
  if (!name.startsWith(RESERVED_PREFIX)) return name;
  if (name.startsWith(ESCAPE_PREFIX)) return name.slice(ESCAPE_PREFIX.length);
  return undefined;
}

/** Where keys live on disk, and the checks that keep them under the root. */
export class RootPaths {
  /** The root as configured (absolute). */
  readonly root: string;
  /** The root after resolving symlinks, set by {@link setRealRoot}. */
  private realRoot = '';

  constructor(root: string) {
    this.root = root;
  }

  /** Records the root's real path (after `mkdir` and `realpath` at start-up). */
  setRealRoot(real: string): void {
    this.realRoot = real;
  }

  /**
   * Maps a (valid) key to its path. With `forWrite`, a segment too long for
   * the file system throws `InvalidKey`; otherwise it returns `undefined`
   * (such a key cannot exist, so reads see `NotFound`).
   */
  keyPath(key: string, forWrite: boolean): KeyPath | undefined {
    const segments = key.split('/');
    const encoded: string[] = [];
    for (const segment of segments) {
      const name = encodeSegment(segment);
      if (Buffer.byteLength(name) > MAX_SEGMENT_BYTES) {
        if (!forWrite) return undefined;
        throw new StorageError(
          'InvalidKey',
          `The key ${describeKey(key)} has a segment of ${Buffer.byteLength(name)} bytes on disk, over the ${MAX_SEGMENT_BYTES}-byte file-name limit of local file systems; use shorter '/'-separated segments.`,
          { key },
        );
      }
      encoded.push(name);
    }
    const name = encoded.pop() as string;
    const dir = encoded.length === 0 ? this.root : join(this.root, ...encoded);
    return { file: join(dir, name), dir, name };
  }

  /** The directory for a listing prefix's folder part (`a/b/` of `a/b/c`), or `undefined` if it cannot exist. */
  dirOf(folder: string): string | undefined {
    if (folder === '') return this.root;
    const segments = folder.split('/').filter((s) => s !== '');
    const encoded = segments.map(encodeSegment);
    if (encoded.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) return undefined;
    return join(this.root, ...encoded);
  }

  /**
   * Resolves an existing path through symlinks and checks it stays inside
   * the root and outside the backend's own files. Rejects with the fs error
   * (e.g. `ENOENT`) when the path does not exist, and `PermissionDenied`
   * when it escapes.
   */
  async resolveInside(path: string, key: string): Promise<string> {
    const real = await realpath(path);
    this.assertInside(real, key);
    return real;
  }

  /** Throws `PermissionDenied` unless `real` (a resolved path) is the root or below it, outside reserved names. */
  assertInside(real: string, key: string): void {
    if (real === this.realRoot) return;
    if (!real.startsWith(this.realRoot + sep)) throw escapesRoot(key);
    const rest = real.slice(this.realRoot.length + 1);
    for (const segment of rest.split(sep)) {
      if (segment.startsWith(RESERVED_PREFIX) && !segment.startsWith(ESCAPE_PREFIX)) throw escapesRoot(key);
    }
  }

  /**
   * Opens an existing file for reading (a plain descriptor: a `FileHandle`
   * object costs more CPU than the syscalls of a small read) and checks that
   * what was opened lies inside the root. On Linux the check reads the
   * opened descriptor's path from `/proc/self/fd` (no window between check
   * and open); elsewhere it resolves the path with `realpath`. `O_NONBLOCK`
   * keeps a FIFO planted behind a key from blocking the thread pool. The
   * caller closes the descriptor ({@link closeFdNow}).
   */
  async openFdInside(path: string, key: string): Promise<number> {
    const fd = await openFd(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      this.assertInside(openedPath(fd) ?? (await realpath(path)), key);
      return fd;
    } catch (e) {
      closeFdNow(fd);
      throw e;
    }
  }

  /**
   * Checks that `dir` (which may not exist yet) would be created inside the
   * root: resolves its deepest existing ancestor and checks that one.
   */
  async assertCreatableInside(dir: string, key: string): Promise<void> {
    let current = dir;
    for (;;) {
      try {
        const real = await realpath(current);
        this.assertInside(real, key);
        return;
      } catch (e) {
        if (!hasCode(e, 'ENOENT')) throw e;
        if (current === this.root || current.length <= this.root.length) return;
        current = current.slice(0, current.lastIndexOf(sep)) || sep;
      }
    }
  }
}
