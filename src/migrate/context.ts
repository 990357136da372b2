/**
 * What the phases of one migration share: the settled options, the report
 * being filled, progress, the pause gate and the internal abort signal.
 */
import type { ErrorCode } from '../core/errors.js';
import { isStorageError } from '../core/errors.js';
import type { RetryPolicyOptions } from '../core/retry-policy.js';
import type { BandwidthLimit } from './bandwidth.js';
import type { Selection } from './plan.js';
import type { PauseGate, ProgressTracker } from './progress.js';
import type { CompareMode, MigrateReport, PlannedAction, VerifyMode } from './types.js';

/** Shared state of a running migration. */
export interface MigrateContext {
  selection: Selection;
  compare: CompareMode;
  verify: VerifyMode;
  dryRun: boolean;
  deleteExtraneous: boolean;
  maxDelete: number;
  concurrency: number;
  planLimit: number;
  limit: BandwidthLimit | undefined;
  retry: RetryPolicyOptions;
  signal: AbortSignal;
  progress: ProgressTracker;
  gate: PauseGate;
  report: MigrateReport;
  /** Relative keys that failed in this run. */
  failedRels: Set<string>;
}

/** Adds an action to a dry run's plan, up to the limit. */
export function addToPlan(ctx: MigrateContext, action: PlannedAction): void {
  const plan = (ctx.report.plan ??= []);
  if (plan.length < ctx.planLimit) plan.push(action);
  else ctx.report.planTruncated = true;
}

/** Records a failed object in the report. */
export function recordFailure(ctx: MigrateContext, rel: string, key: string, error: unknown): void {
  const code: ErrorCode = isStorageError(error) ? error.code : 'Unknown';
  const message = error instanceof Error ? error.message : String(error);
  ctx.report.failed.push({ key, code, message });
  ctx.failedRels.add(rel);
}

/** Runs at most `size` tasks at once; tasks must not reject. */
export class TaskPool {
  private readonly running = new Set<Promise<void>>();

  constructor(readonly size: number) {}

  /** Waits until a task may start. */
  async slot(): Promise<void> {
    while (this.running.size >= this.size) await Promise.race(this.running);
  }

  /** Starts a task (call after `slot()`). */
  start(task: () => Promise<void>): void {
    const running: Promise<void> = task().finally(() => this.running.delete(running));
    this.running.add(running);
  }

  /** Waits for every started task. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
