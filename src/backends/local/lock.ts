/**
 * Per-key lock files, for conditional writes that must be atomic across
 * processes. A lock is a file `.stowage-lock-<hash of name>` next to the
 * object, created with `O_EXCL` (so exactly one creator wins, in this process
 * or any other on the same file system) and removed when done.
 *
 * A lock is held only for the compare-and-rename step of a write (the body
 * has already been written to a temp file), so it lives for microseconds. A
 * lock file older than `staleMs`, or one whose owner process on this host is
 * gone, is stale (its owner crashed) and is broken.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError } from '../../core/errors.js';
import { describeKey } from '../../core/keys.js';
import { hasCode } from './errors.js';
import { LOCK_PREFIX } from './paths.js';

/** Timing of lock acquisition. */
export interface LockTiming {
  /** Give up (with `Unavailable`) after waiting this long, in ms. */
  timeoutMs: number;
  /** A lock file older than this (ms) is stale and broken. */
  staleMs: number;
}

const HOST = hostname();

/** Path of the lock file of the file `name` in `dir`. */
export function lockPath(dir: string, name: string): string {
  return join(dir, LOCK_PREFIX + createHash('sha256').update(name).digest('hex').slice(0, 32));
}

/**
 * Runs `fn` while holding the lock of `name` in `dir`. Rejects with
 * `Unavailable` (retryable) when another holder keeps it past `timeoutMs`.
 */
export async function withKeyLock<T>(
  dir: string,
  name: string,
  key: string,
  timing: LockTiming,
  fn: () => Promise<T>,
): Promise<T> {
  const path = lockPath(dir, name);
  const deadline = Date.now() + timing.timeoutMs;
  let delay = 1;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: HOST, at: Date.now() }));
      } finally {
        await handle.close();
      }
      break;
    } catch (e) {
      if (!hasCode(e, 'EEXIST')) throw e;
    }
    if (await isStale(path, timing.staleMs)) {
      // Another breaker may race us here; unlink of a missing file is fine.
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new StorageError(
        'Unavailable',
        `Timed out waiting for the write lock of ${describeKey(key)} (another writer holds it); retry, or raise \`lockTimeout\`.`,
        { key },
      );
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

/** Whether the lock file at `path` was left by a crashed owner. */
async function isStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const stats = await stat(path);
    if (Date.now() - stats.mtimeMs > staleMs) return true;
    // A lock younger than a few ms may still be empty (its owner is writing it).
    if (Date.now() - stats.mtimeMs < 100) return false;
    const owner = JSON.parse(await readFile(path, 'utf8')) as { pid?: number; host?: string };
    if (owner.host !== HOST || typeof owner.pid !== 'number') return false;
    return !processAlive(owner.pid);
  } catch {
    // Vanished or unreadable: try to take it again rather than break it.
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return hasCode(e, 'EPERM');
  }
}
