/**
 * `stowage/local`: objects as plain files under a root directory.
 *
 * Writes are atomic (temp file + rename), conditional writes are atomic
 * across processes (hard link / per-key lock file), metadata round-trips
 * through sidecar files, listing walks the tree lazily in key order, and no
 * key, symlink or `..` can reach outside the root. See docs/backends/local.md.
 *
 * @example
 * ```ts
 * import { local } from 'stowage/local';
 * const storage = local({ root: './data' });
 * await storage.write('reports/2024.csv', csv, { contentType: 'text/csv' });
 * ```
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../../core/config.js';
import { type Duration, parseDuration } from '../../core/units.js';
import { LocalBackend } from './backend.js';

export { LOCAL_CAPABILITIES, LocalBackend, type LocalSettings } from './backend.js';
export type { CleanupOptions, CleanupReport } from './cleanup.js';

/** Options of {@link local}. */
export interface LocalOptions {
  /** The root directory; keys are paths below it. Relative paths resolve against the working directory. */
  root: string;
  /**
   * fsync each written file, its sidecar and their directories before a
   * write resolves, so a power loss cannot lose an acknowledged write. Costs
   * one or more disk flushes per write.
   * @default false
   */
  fsync?: boolean;
  /** Create the root (and its parents) on first use when it is missing; otherwise fail with `InvalidConfig`. @default true */
  createRoot?: boolean;
  /** How long a conditional write (`ifMatch`) waits for another writer's lock on the same key before `Unavailable`. @default '10s' */
  lockTimeout?: Duration;
  /** A key lock file older than this is left by a crashed process and is broken. @default '30s' */
  lockStale?: Duration;
}

const duration = z.union([z.number().nonnegative(), z.string().min(1)]);

/** The zod schema of {@link LocalOptions}. */
export const localOptionsSchema = z
  .object({
    root: z.string().min(1, 'the root directory must be a non-empty path'),
    fsync: z.boolean().optional(),
    createRoot: z.boolean().optional(),
    lockTimeout: duration.optional(),
    lockStale: duration.optional(),
  })
  .strict();

/**
 * Creates a local-disk backend rooted at `options.root`.
 *
 * @example
 * ```ts
 * const storage = local({ root: '/srv/files', fsync: true });
 * const info = await storage.write('a/b.txt', 'hello', { ifNotExists: true });
 * await storage.cleanup(); // sweep temp files left by crashed processes
 * ```
 */
export function local(options: LocalOptions): LocalBackend {
  const parsed = parseOptions(localOptionsSchema, options, 'local');
  return new LocalBackend({
    root: resolve(parsed.root),
    fsync: parsed.fsync ?? false,
    createRoot: parsed.createRoot ?? true,
    lock: {
      timeoutMs: parseDuration(parsed.lockTimeout ?? '10s', 'lockTimeout'),
      staleMs: parseDuration(parsed.lockStale ?? '30s', 'lockStale'),
    },
  });
}
