/**
 * `stowage/migrate`: `copy` one object between backends, `migrate` a whole
 * selection in phases (inventory, transfer, verify, delete) with bounded
 * memory, checkpoints, sharding and progress, and `sync` two backends one
 * way or both ways with a saved state.
 *
 * @example
 * ```ts
 * import { migrate } from 'stowage/migrate';
 * const report = await migrate({ from, to, dryRun: true });
 * console.log(report.plan);
 * ```
 */
export { BandwidthLimit } from './bandwidth.js';
export {
  type CopyObjectOptions,
  type CopyOutcome,
  copy,
  copyObject,
  type ServerSideCopySource,
} from './copy.js';
export { migrate } from './migrate.js';
export { fnv1a32, inShard, type Shard } from './shard.js';
export { sync } from './sync.js';
export type {
  CompareMode,
  ConflictPolicy,
  FailedObject,
  MigratePhase,
  MigrateOptions,
  MigrateProgress,
  MigrateReport,
  MigrateRetryOptions,
  Migration,
  PlannedAction,
  StateLocation,
  SyncConflict,
  SyncDirection,
  SyncOptions,
  SyncReport,
  SyncSideReport,
  VerifyMode,
} from './types.js';
