/**
 * Whole-object reads, the hot path of small files: a plain descriptor (a
 * `FileHandle` object costs more CPU than the syscalls for a 4 KiB file), no
 * stat when one read answers, and only two trips through libuv's thread
 * pool (open, read): the root check reads /proc and the close happens on the
 * calling thread, both without touching a disk.
 */
import type { BigIntStats } from 'node:fs';
import { fstat } from 'node:fs';
import { promisify } from 'node:util';
import { StorageError } from '../../core/errors.js';
import { describeKey } from '../../core/keys.js';
import { closeFdNow, type RootPaths, readFd } from './paths.js';

/** fstat of a plain descriptor, as a promise. */
export const fstatFd = promisify(fstat) as (fd: number, options: { bigint: true }) => Promise<BigIntStats>;

/** Size of the first read of a whole-object read. */
const FIRST_READ_BYTES = 64 * 1024;
/** First-read buffers kept for reuse (one per concurrent read, up to this many). */
const MAX_SPARE_BUFFERS = 32;
const spare: Buffer[] = [];

/**
 * Reads the whole file at `path` (checked to lie inside the root). A regular
 * file returns a short read only at its end, so a file under 64 KiB takes a
 * single read into a reused buffer and is copied out at its exact size (a
 * 4 KiB object does not pin 64 KiB); a larger one gets a stat for its size
 * and is read into one buffer of that size. Rejects with the raw fs error.
 */
export async function readWholeFile(paths: RootPaths, path: string, key: string): Promise<Uint8Array> {
  const fd = await paths.openFdInside(path, key);
  const first = spare.pop() ?? Buffer.allocUnsafeSlow(FIRST_READ_BYTES);
  try {
    const bytesRead = await readFd(fd, first, 0, FIRST_READ_BYTES, 0);
    if (bytesRead < FIRST_READ_BYTES) {
      // Its own ArrayBuffer, not a slice of Node's shared pool: callers may transfer it.
      const out = Buffer.allocUnsafeSlow(bytesRead);
      first.copy(out, 0, 0, bytesRead);
      return new Uint8Array(out.buffer, out.byteOffset, bytesRead);
    }
    const size = Number((await fstatFd(fd, { bigint: true })).size);
    const out = Buffer.allocUnsafe(Math.max(size, bytesRead));
    first.copy(out, 0, 0, bytesRead);
    let filled = bytesRead;
    while (filled < out.byteLength) {
      const n = await readFd(fd, out, filled, out.byteLength - filled, filled);
      if (n === 0) break; // truncated by another program while we read
      filled += n;
    }
    return new Uint8Array(out.buffer, out.byteOffset, filled);
  } finally {
    if (spare.length < MAX_SPARE_BUFFERS) spare.push(first);
    closeFdNow(fd);
  }
}

/** Throws `PreconditionFailed` when `ifMatch` / `ifNoneMatch` reject the etag. */
export function checkConditions(
  key: string,
  etag: string,
  options: { ifMatch?: string; ifNoneMatch?: string },
): void {
  if (options.ifMatch !== undefined && options.ifMatch !== etag) {
    throw new StorageError(
      'PreconditionFailed',
      `The object at ${describeKey(key)} does not have etag ${options.ifMatch}.`,
      { key },
    );
  }
  if (options.ifNoneMatch !== undefined && (options.ifNoneMatch === etag || options.ifNoneMatch === '*')) {
    throw new StorageError(
      'PreconditionFailed',
      `The object at ${describeKey(key)} still has etag ${etag}.`,
      {
        key,
        status: 304,
      },
    );
  }
}
