/**
 * Public types of `stowage/migrate`: options, progress and reports of
 * `migrate` and `sync`.
 */
import type { ObjectInfo, StorageBackend } from '../core/backend.js';
import type { ErrorCode } from '../core/errors.js';
import type { RetryPolicyOptions } from '../core/retry-policy.js';

/** How `migrate` decides that an object is already at the target. */
export type CompareMode = 'size' | 'size+mtime' | 'etag' | 'checksum' | 'always';

/** What `migrate` re-checks after the transfer. */
export type VerifyMode = false | 'size' | 'checksum';

/** Where a checkpoint (or a sync state) is kept: any backend, one key. */
export interface StateLocation {
  /** The backend that holds it (it may be the source, the target or a third one). */
  store: StorageBackend;
  /** The key of the object. */
  key: string;
}

/** Retry settings of each object's copy: the shared retry policy's options. */
export type MigrateRetryOptions = Pick<RetryPolicyOptions, 'retries' | 'minDelay' | 'maxDelay' | 'budget'>;

/** Phases of a migration, in the order they run. */
export type MigratePhase = 'inventory' | 'transfer' | 'verify' | 'delete';

/** One progress event of `migrate` (and of `sync`). */
export interface MigrateProgress {
  /** The phase running. */
  phase: MigratePhase;
  /** Objects finished in this phase (copied, skipped or failed; verified; deleted). */
  objectsDone: number;
  /** Objects this phase will handle, once known (the inventory runs alongside the transfer; see docs/migrate.md). */
  objectsTotal?: number;
  /** Bytes moved in this phase. */
  bytesDone: number;
  /** Bytes this phase will move, once known. */
  bytesTotal?: number;
  /** Recent rate over the last few seconds. */
  bytesPerSecond: number;
  /** Estimated time left in this phase, when totals are known and the rate is not zero. */
  etaMs?: number;
  /** A key being worked on (the most recently started). */
  current?: string;
  /** True while `pause()` holds the migration. */
  paused?: boolean;
}

/** One object that could not be migrated, with why. */
export interface FailedObject {
  /** The source key (or the target key for a failed deletion). */
  key: string;
  /** The error code. */
  code: ErrorCode;
  /** What went wrong and what to do. */
  message: string;
}

/** One entry of a dry run's plan. */
export interface PlannedAction {
  /** What would happen. */
  action: 'copy' | 'delete';
  /** Source key for copies, target key for deletions. */
  key: string;
  /** Target key of a copy. */
  target?: string;
  /** Size in bytes. */
  size: number;
  /** Why it would be copied: absent at the target, or different by `compare`. */
  reason?: 'missing' | 'different' | 'always';
}

/** The result of `migrate`. */
export interface MigrateReport {
  /** Objects the inventory selected for copying. */
  planned: number;
  /** Objects copied. */
  copied: number;
  /** Objects already at the target (by `compare`), not copied. */
  skipped: number;
  /** Objects that failed after retries, with codes; includes verification mismatches. */
  failed: FailedObject[];
  /** Extraneous objects deleted from the target (`deleteExtraneous`). */
  deleted: number;
  /** Objects whose target matched the source in the verify phase. */
  verified: number;
  /** Bytes copied. */
  bytes: number;
  /** Duration in ms. */
  ms: number;
  /** Whether this was a dry run (nothing was written). */
  dryRun: boolean;
  /** Set when the signal stopped the migration before the end. */
  aborted?: boolean;
  /** Set when the delete phase did not run, with why (`maxDelete` exceeded, or failures). */
  deleteSkipped?: string;
  /** Extraneous objects found at the target (deleted or not). */
  extraneous: number;
  /** The low-water key this run resumed after, when it resumed from a checkpoint. */
  resumedAfter?: string;
  /** Dry run only: the plan, first `planLimit` actions. */
  plan?: PlannedAction[];
  /** Dry run only: true when the plan had more actions than `planLimit`. */
  planTruncated?: boolean;
}

/** Options of `migrate`. */
export interface MigrateOptions {
  /** Where objects come from. */
  from: StorageBackend;
  /** Where they go. */
  to: StorageBackend;
  /** Only source keys starting with this (a plain string prefix). @default '' */
  prefix?: string;
  /** Target key = `targetPrefix` + (source key without `prefix`). @default '' */
  targetPrefix?: string;
  /** Keep only objects for which this returns true (source entries; for deletions, target entries with the key mapped back to source form). Excluded objects are neither copied nor deleted. */
  filter?: (entry: ObjectInfo) => boolean;
  /** How to tell an object is already at the target. @default 'size+mtime' */
  compare?: CompareMode;
  /** What to re-check after the transfer, over the whole selection. @default 'size' */
  verify?: VerifyMode;
  /** Delete target objects that have no source (after the transfer, and only when nothing failed). @default false */
  deleteExtraneous?: boolean;
  /** Refuse to delete anything when more than this many deletions would be needed. @default Infinity */
  maxDelete?: number;
  /** Plan only: write nothing anywhere (not even the checkpoint); the report lists the plan. @default false */
  dryRun?: boolean;
  /** Most actions dry-run reports keep in `plan`. @default 10000 */
  planLimit?: number;
  /** Objects copied at once. @default 16 */
  concurrency?: number;
  /** Body bytes per second over all transfers, e.g. 10485760 or '10MiB'. Server-side copies are not limited. @default unlimited */
  bandwidth?: number | string;
  /** Keep a checkpoint here so a new process can resume after a crash. Deleted when the migration completes. */
  checkpoint?: StateLocation;
  /** Save the checkpoint at most this often (ms or '5s'). @default 1000 */
  checkpointInterval?: number | string;
  /** Handle only the keys of this shard (by FNV-1a hash of the relative key). */
  shard?: { index: number; count: number };
  /** Count the source selection before transferring, so totals and ETA are known from the start (one extra source listing). @default false */
  precount?: boolean;
  /** Retry policy of each object's copy. @default { retries: 3 } */
  retries?: MigrateRetryOptions;
  /** Stops the migration cleanly: in-flight copies are aborted, the checkpoint saved, the report has `aborted: true`. */
  signal?: AbortSignal;
  /** Called with progress at least every 250 ms while running and at each phase end. */
  onProgress?: (progress: MigrateProgress) => void;
}

/** A running migration: await it for the report. */
export interface Migration extends PromiseLike<MigrateReport> {
  /** Stops starting new objects; objects in flight finish. */
  pause(): void;
  /** Continues after `pause()`. */
  resume(): void;
  /** Whether the migration is paused. */
  readonly paused: boolean;
  /** Listens to progress events (same as the `onProgress` option). Returns a function that unsubscribes. */
  on(event: 'progress', listener: (progress: MigrateProgress) => void): () => void;
  /** Like `Promise.catch`. */
  catch<T = never>(onrejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<MigrateReport | T>;
}

/** Which way `sync` propagates changes. */
export type SyncDirection = 'a-to-b' | 'b-to-a' | 'both';

/** Who wins when both sides changed the same key since the last sync. */
export type ConflictPolicy = 'newer' | 'a' | 'b' | 'keep-both';

/** Options of `sync`. */
export interface SyncOptions {
  /** One side. */
  a: StorageBackend;
  /** The other side. */
  b: StorageBackend;
  /** Which way changes go. One-way modes leave changes made only on the destination alone. */
  direction: SyncDirection;
  /** Who wins a conflict (both sides changed a key, or created it with different sizes). @default 'newer' */
  conflict?: ConflictPolicy;
  /** Where the state of the last successful sync is kept (JSON Lines). */
  state: StateLocation;
  /** Plan only: write nothing, not even the state. @default false */
  dryRun?: boolean;
  /** Stops the sync; the previous state is kept, so the next run redoes what was left. */
  signal?: AbortSignal;
  /** Progress, as in `migrate` (phase 'transfer' while acting). */
  onProgress?: (progress: MigrateProgress) => void;
  /** Body bytes per second over all transfers. @default unlimited */
  bandwidth?: number | string;
  /** Actions run at once. @default 8 */
  concurrency?: number;
  /** Retry policy of each action. @default { retries: 3 } */
  retries?: MigrateRetryOptions;
  /** Clock for conflict suffixes, for tests. @default () => new Date() */
  now?: () => Date;
}

/** Counts of changes made on one side by `sync`. */
export interface SyncSideReport {
  /** Objects created on this side. */
  created: number;
  /** Objects overwritten on this side. */
  updated: number;
  /** Objects deleted on this side. */
  deleted: number;
}

/** One conflict `sync` met, and how it was resolved. */
export interface SyncConflict {
  /** The key. */
  key: string;
  /** What each side did. */
  kind: 'both-changed' | 'both-created' | 'changed-deleted';
  /** Which side's content now has the key. */
  winner: 'a' | 'b';
  /** keep-both: where the losing version was kept (on both sides). */
  renamedTo?: string;
}

/** The result of `sync`. */
export interface SyncReport {
  /** Changes made on side a. */
  a: SyncSideReport;
  /** Changes made on side b. */
  b: SyncSideReport;
  /** Conflicts met (in a dry run: that would be met). */
  conflicts: SyncConflict[];
  /** Keys that failed, with codes; their previous state is kept so the next run retries them. */
  failed: FailedObject[];
  /** Keys that needed nothing. */
  unchanged: number;
  /** Bytes copied. */
  bytes: number;
  /** Duration in ms. */
  ms: number;
  /** Whether this was a dry run. */
  dryRun: boolean;
  /** Set when the signal stopped the sync (the state was not saved). */
  aborted?: boolean;
  /** Dry run: the actions that would run, first 10,000. */
  plan?: {
    action: 'copy' | 'delete' | 'rename';
    from?: 'a' | 'b';
    side: 'a' | 'b';
    key: string;
    to?: string;
  }[];
}
