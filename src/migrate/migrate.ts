/**
 * `migrate`: copies a selection of objects from one backend to another in
 * phases (inventory, transfer, verify, delete), with memory bounded
 * whatever the number or size of objects, and returns a {@link Migration}
 * that can be awaited, paused, observed, aborted and resumed from a checkpoint.
 */
import { setMaxListeners } from 'node:events';
import type { StorageBackend } from '../core/backend.js';
import { StorageError } from '../core/errors.js';
import { assertKey, assertPrefix } from '../core/keys.js';
import { parseDuration } from '../core/units.js';
import { bandwidthLimit } from './bandwidth.js';
import { type CheckpointData, checkpointIdentity, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { MigrateContext } from './context.js';
import { deletePhase, verifyPhase } from './finish.js';
import { relativeObjects, type Selection } from './plan.js';
import { PauseGate, ProgressTracker } from './progress.js';
import { checkShard, inShard } from './shard.js';
import { failedForCheckpoint, type TransferState, transferPhase } from './transfer.js';
import type { MigrateOptions, MigrateProgress, MigrateReport, Migration } from './types.js';
import { OrderedWindow } from './window.js';

const COMPARE_MODES = new Set(['size', 'size+mtime', 'etag', 'checksum', 'always']);
const VERIFY_MODES = new Set([false, 'size', 'checksum']);

/**
 * Migrates objects from one backend to another.
 *
 * The inventory is a streaming merge of the two sorted listings, pipelined
 * with the transfer; `compare` decides what is already there; `verify`
 * re-checks the whole selection afterwards; `deleteExtraneous` removes target
 * objects with no source (guarded by `maxDelete`). Failed objects are retried
 * with the shared retry policy, then listed in the report: one bad object
 * never stops the rest. Throws `InvalidArgument` at once for invalid options.
 *
 * @example
 * ```ts
 * import { migrate } from 'stowage/migrate';
 * const migration = migrate({ from: local({ root: './data' }), to: s3({ bucket: 'b' }),
 *   verify: 'size', checkpoint: { store: local({ root: '.' }), key: 'migration.json' } });
 * migration.on('progress', (p) => console.log(p.phase, p.objectsDone, p.objectsTotal));
 * const report = await migration;
 * ```
 */
export function migrate(options: MigrateOptions): Migration {
  return new RunningMigration(options);
}

class RunningMigration implements Migration {
  private readonly progress = new ProgressTracker();
  private readonly gate = new PauseGate();
  private readonly controller = new AbortController();
  private readonly result: Promise<MigrateReport>;
  private readonly forwardAbort = () => this.controller.abort(this.options.signal?.reason);

  constructor(private readonly options: MigrateOptions) {
    const context = this.prepare(options);
    if (options.onProgress !== undefined) this.progress.on(options.onProgress);
    this.result = this.run(context);
  }

  get paused(): boolean {
    return this.gate.paused;
  }

  pause(): void {
    this.gate.pause();
    this.progress.paused = true;
  }

  resume(): void {
    this.gate.resume();
    this.progress.paused = false;
  }

  on(event: 'progress', listener: (progress: MigrateProgress) => void): () => void {
    if (event !== 'progress') {
      throw new StorageError(
        'InvalidArgument',
        `Unknown event ${JSON.stringify(event)}; the only event is 'progress'.`,
      );
    }
    return this.progress.on(listener);
  }

  // biome-ignore lint/suspicious/noThenProperty: a Migration is awaitable by design
  then<A = MigrateReport, B = never>(
    onfulfilled?: ((report: MigrateReport) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result.then(onfulfilled, onrejected);
  }

  catch<T = never>(
    onrejected?: ((reason: unknown) => T | PromiseLike<T>) | null,
  ): Promise<MigrateReport | T> {
    return this.result.catch(onrejected);
  }

  /** Validates options and settles defaults; throws `InvalidArgument`. */
  private prepare(o: MigrateOptions): MigrateContext {
    if (o === null || typeof o !== 'object') throw invalid('migrate needs options: { from, to, ... }.');
    for (const side of ['from', 'to'] as const) {
      if (!isBackend(o[side])) throw invalid(`\`${side}\` must be a StorageBackend.`);
    }
    const prefix = o.prefix ?? '';
    const targetPrefix = o.targetPrefix ?? '';
    assertPrefix(prefix, 'migrate');
    assertPrefix(targetPrefix, 'migrate');
    if (o.from === o.to && (prefix.startsWith(targetPrefix) || targetPrefix.startsWith(prefix))) {
      throw invalid(
        `Source and target overlap (same backend, prefixes ${JSON.stringify(prefix)} and ${JSON.stringify(targetPrefix)}); ` +
          'choose prefixes where neither starts with the other.',
      );
    }
    const compare = o.compare ?? 'size+mtime';
    if (!COMPARE_MODES.has(compare))
      throw invalid(`\`compare\` must be one of ${[...COMPARE_MODES].join(', ')}.`);
    const verify = o.verify ?? 'size';
    if (!VERIFY_MODES.has(verify)) throw invalid("`verify` must be false, 'size' or 'checksum'.");
    const concurrency = o.concurrency ?? 16;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw invalid('`concurrency` must be a positive integer.');
    const maxDelete = o.maxDelete ?? Number.POSITIVE_INFINITY;
    if (!(maxDelete >= 0)) throw invalid('`maxDelete` must be a non-negative number.');
    const planLimit = o.planLimit ?? 10_000;
    if (!Number.isInteger(planLimit) || planLimit < 0)
      throw invalid('`planLimit` must be a non-negative integer.');
    if (o.filter !== undefined && typeof o.filter !== 'function')
      throw invalid('`filter` must be a function.');
    checkShard(o.shard);
    if (o.checkpoint !== undefined) {
      if (!isBackend(o.checkpoint?.store)) throw invalid('`checkpoint.store` must be a StorageBackend.');
      assertKey(o.checkpoint.key, 'migrate');
    }
    // Every object in flight listens to the one internal signal.
    setMaxListeners(0, this.controller.signal);
    if (o.signal?.aborted) this.controller.abort(o.signal.reason);
    o.signal?.addEventListener('abort', this.forwardAbort, { once: true });
    const cp = o.checkpoint;
    const selection: Selection = {
      from: o.from,
      to: o.to,
      prefix,
      targetPrefix,
      filter: o.filter,
      shard: o.shard,
      skipSource: cp?.store === o.from ? (key) => key === cp.key : undefined,
      skipTarget: cp?.store === o.to ? (key) => key === cp.key : undefined,
      retry: { retries: 3, ...o.retries },
    };
    return {
      selection,
      compare,
      verify,
      dryRun: o.dryRun ?? false,
      deleteExtraneous: o.deleteExtraneous ?? false,
      maxDelete,
      concurrency,
      planLimit,
      limit: bandwidthLimit(o.bandwidth),
      retry: { retries: 3, ...o.retries },
      signal: this.controller.signal,
      progress: this.progress,
      gate: this.gate,
      report: {
        planned: 0,
        copied: 0,
        skipped: 0,
        failed: [],
        deleted: 0,
        verified: 0,
        bytes: 0,
        ms: 0,
        dryRun: o.dryRun ?? false,
        extraneous: 0,
        ...(o.dryRun ? { plan: [] } : {}),
      },
      failedRels: new Set(),
    };
  }

  private async run(ctx: MigrateContext): Promise<MigrateReport> {
    // Let the caller attach listeners before the first event.
    await Promise.resolve();
    const started = performance.now();
    const { report, progress, signal, selection } = ctx;
    const cp = this.options.checkpoint;
    const saveEvery = parseDuration(
      this.options.checkpointInterval ?? 1000,
      'checkpointInterval',
      'InvalidArgument',
    );
    const identity = checkpointIdentity(
      selection.from,
      selection.to,
      selection.prefix,
      selection.targetPrefix,
      selection.shard,
    );
    let state: TransferState | undefined;
    let saving: Promise<void> | undefined;
    const save = async () => {
      if (cp === undefined || ctx.dryRun || state === undefined) return;
      await saving;
      saving = saveCheckpoint(cp.store, cp.key, {
        identity,
        lowWater: state.window.lowWater ?? null,
        copiedAbove: state.window.copiedAbove(),
        failed: failedForCheckpoint(ctx, state),
      });
      await saving;
    };
    let timer: ReturnType<typeof setInterval> | undefined;
    progress.start();
    try {
      const resume: CheckpointData | undefined = cp
        ? await loadCheckpoint(cp.store, cp.key, identity, signal)
        : undefined;
      if (resume?.lowWater != null) report.resumedAfter = resume.lowWater;
      state = {
        window: new OrderedWindow(Math.max(1024, ctx.concurrency * 64), resume?.lowWater ?? undefined),
        pendingRetries: new Set(resume?.failed ?? []),
      };

      progress.begin('inventory');
      const totals = this.options.precount
        ? await this.precount(ctx, resume?.lowWater ?? undefined)
        : undefined;
      if (totals !== undefined) progress.objectsTotal = totals.objects;
      progress.end();

      progress.begin('transfer', totals);
      if (cp !== undefined && !ctx.dryRun) {
        timer = setInterval(() => {
          if (saving === undefined)
            save()
              .catch(() => {})
              .finally(() => (saving = undefined));
        }, saveEvery);
        timer.unref?.();
      }
      await transferPhase(ctx, state, resume);
      clearInterval(timer);
      await saving;

      if (!signal.aborted && !ctx.dryRun && ctx.verify !== false) await verifyPhase(ctx);
      if (ctx.deleteExtraneous && !signal.aborted) {
        if (ctx.dryRun) {
          if (report.extraneous > ctx.maxDelete) {
            report.deleteSkipped = `${report.extraneous} extraneous object(s) would be deleted, over maxDelete (${ctx.maxDelete}).`;
          }
        } else await deletePhase(ctx);
      }

      if (signal.aborted) {
        report.aborted = true;
        await save();
      } else if (cp !== undefined && !ctx.dryRun) {
        // Done: the next run with this key starts afresh.
        await cp.store.delete(cp.key);
      }
      return report;
    } catch (e) {
      clearInterval(timer);
      // Keep what was done, so a new run resumes instead of starting over.
      await save().catch(() => {});
      if (signal.aborted) {
        report.aborted = true;
        return report;
      }
      throw e;
    } finally {
      clearInterval(timer);
      this.options.signal?.removeEventListener('abort', this.forwardAbort);
      progress.stop();
      report.ms = Math.round(performance.now() - started);
    }
  }

  /** One source listing that counts the selection, so totals are known from the start. */
  private async precount(
    ctx: MigrateContext,
    after: string | undefined,
  ): Promise<{ objects: number; bytes: number }> {
    const { selection, progress, signal } = ctx;
    let objects = 0;
    let bytes = 0;
    for await (const { rel, info } of relativeObjects(
      selection.from,
      selection.prefix,
      after,
      signal,
      selection.skipSource,
    )) {
      if (!inShard(rel, selection.shard)) continue;
      if (selection.filter !== undefined && !selection.filter(info)) continue;
      objects++;
      bytes += info.size;
      progress.finished(undefined, 0);
    }
    return { objects, bytes };
  }
}

function invalid(message: string): StorageError {
  return new StorageError('InvalidArgument', message, { operation: 'migrate' });
}

function isBackend(value: unknown): value is StorageBackend {
  return typeof value === 'object' && value !== null && typeof (value as StorageBackend).list === 'function';
}
