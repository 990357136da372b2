/**
 * Migration checkpoints: a small JSON object in any backend. Since the
 * inventory walks keys in order, a checkpoint is a low-water mark (every key
 * up to it is done) plus the few keys above it already copied, and the keys
 * at or below it that failed (so a resumed run retries them). A new process
 * lists again after the mark and skips the copied keys above it.
 */
import { readJsonIfExists } from './json.js';
import type { StorageBackend } from '../core/backend.js';
import { StorageError } from '../core/errors.js';
import type { Shard } from './shard.js';

/** What identifies a migration, so a checkpoint is not applied to another one. */
export interface CheckpointIdentity {
  from: string;
  to: string;
  prefix: string;
  targetPrefix: string;
  shard: Shard | null;
}

/** The saved state of a migration. */
export interface CheckpointData {
  format: 'stowage.migrate.checkpoint';
  version: 1;
  identity: CheckpointIdentity;
  /** Every selected key up to and including this one (relative) is done. */
  lowWater: string | null;
  /** Keys above `lowWater` already copied. */
  copiedAbove: string[];
  /** Keys at or below `lowWater` that failed, to retry on resume. */
  failed: string[];
  /** When it was saved (ISO). */
  savedAt: string;
}

/** Reads a checkpoint; undefined when there is none. Throws `InvalidArgument` when it belongs to another migration. */
export async function loadCheckpoint(
  store: StorageBackend,
  key: string,
  identity: CheckpointIdentity,
  signal?: AbortSignal,
): Promise<CheckpointData | undefined> {
  const data = await readJsonIfExists<CheckpointData>(
    store,
    key,
    'checkpoint',
    'delete it to start over',
    signal,
  );
  if (data === undefined) return undefined;
  if (data?.format !== 'stowage.migrate.checkpoint' || data.version !== 1) {
    throw new StorageError(
      'InvalidArgument',
      `The object at ${JSON.stringify(key)} is not a stowage migration checkpoint; use another checkpoint key.`,
    );
  }
  if (JSON.stringify(data.identity) !== JSON.stringify(identity)) {
    throw new StorageError(
      'InvalidArgument',
      `The checkpoint at ${JSON.stringify(key)} belongs to another migration ` +
        `(${JSON.stringify(data.identity)}); delete it or use another checkpoint key.`,
    );
  }
  return data;
}

/** Writes a checkpoint (small: the mark, a window of keys, and failures). */
export async function saveCheckpoint(
  store: StorageBackend,
  key: string,
  data: Omit<CheckpointData, 'format' | 'version' | 'savedAt'>,
): Promise<void> {
  const full: CheckpointData = {
    format: 'stowage.migrate.checkpoint',
    version: 1,
    ...data,
    savedAt: new Date().toISOString(),
  };
  await store.write(key, JSON.stringify(full), { contentType: 'application/json' });
}

/** Identity of a migration for its checkpoint. */
export function checkpointIdentity(
  from: StorageBackend,
  to: StorageBackend,
  prefix: string,
  targetPrefix: string,
  shard: Shard | undefined,
): CheckpointIdentity {
  return {
    from: from.kind,
    to: to.kind,
    prefix,
    targetPrefix,
    shard: shard ? { index: shard.index, count: shard.count } : null,
  };
}
