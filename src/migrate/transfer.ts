/**
 * The transfer phase, pipelined with the inventory: the merge of the two
 * listings is pulled only when a worker is free and the ordered window has
 * room, so listing, comparing and copying overlap and memory holds at most
 * `concurrency` objects in flight plus the window's keys.
 */
import type { ObjectInfo, StorageBackend } from '../core/backend.js';
import { isStorageError } from '../core/errors.js';
import { compareKeys } from '../core/keys.js';
import { retrying } from '../core/retry-policy.js';
import type { CheckpointData } from './checkpoint.js';
import { addToPlan, type MigrateContext, recordFailure, TaskPool } from './context.js';
import { copyObject } from './copy.js';
import { type CopyReason, copyReason, type PairedEntry, pairListings } from './plan.js';
import type { OrderedWindow, WindowSlot } from './window.js';

/** State the transfer phase keeps for the checkpoint. */
export interface TransferState {
  window: OrderedWindow;
  /** Failures of a previous run still to retry (relative keys). */
  pendingRetries: Set<string>;
}

/** Runs the transfer phase (after `resume.lowWater` when resuming). */
export async function transferPhase(
  ctx: MigrateContext,
  state: TransferState,
  resume: CheckpointData | undefined,
): Promise<void> {
  const { report, progress, signal, selection } = ctx;
  const pool = new TaskPool(ctx.concurrency);
  const copiedBefore = new Set(resume?.copiedAbove ?? []);
  let plannedBytes = 0;
  let selected = 0;
  let inventoryDone = false;
  const precounted = progress.bytesTotal !== undefined;

  const settleTotals = () => {
    if (inventoryDone && !precounted) {
      progress.objectsTotal = selected;
      progress.bytesTotal = plannedBytes;
    }
  };
  const onDecided = (pair: PairedEntry, reason: CopyReason | undefined) => {
    const size = pair.source!.size;
    if (reason === undefined) {
      report.skipped++;
      if (precounted && progress.bytesTotal !== undefined) progress.bytesTotal -= size;
      return;
    }
    report.planned++;
    plannedBytes += size;
    settleTotals();
    if (ctx.dryRun) {
      addToPlan(ctx, {
        action: 'copy',
        key: pair.source!.key,
        target: selection.targetPrefix + pair.rel,
        size,
        reason,
      });
    }
  };

  // Failures recorded by the previous run lie below its mark: retry them first.
  for (const rel of resume?.failed ?? []) {
    if (signal.aborted) break;
    await pool.slot();
    await ctx.gate.pass(signal);
    if (signal.aborted) break;
    pool.start(async () => {
      let pair: PairedEntry | undefined;
      try {
        pair = await statPair(ctx, rel);
      } catch (e) {
        if (signal.aborted) return;
        recordFailure(ctx, rel, selection.prefix + rel, e);
        state.pendingRetries.delete(rel);
        return;
      }
      if (pair === undefined) {
        state.pendingRetries.delete(rel); // gone from the source: nothing to retry
        return;
      }
      selected++;
      const slot: WindowSlot = { key: rel, settled: false, failed: false, copied: false };
      await processPair(ctx, pair, slot, undefined, onDecided);
      // Settled: copied, skipped, or failed again (then it is in failedRels).
      if (slot.settled) state.pendingRetries.delete(rel);
    });
  }

  const lowWater = resume?.lowWater ?? undefined;
  try {
    await walk();
  } finally {
    // Whatever stopped the walk (end, abort, a listing error), objects in flight finish or abort first.
    await pool.drain();
  }
  inventoryDone = true;
  settleTotals();
  progress.end();

  async function walk(): Promise<void> {
    for await (const pair of pairListings(selection, lowWater, signal)) {
      if (signal.aborted) break;
      if (pair.source === undefined) {
        report.extraneous++;
        if (ctx.dryRun && ctx.deleteExtraneous) {
          addToPlan(ctx, { action: 'delete', key: pair.target!.key, size: pair.target!.size });
        }
        continue;
      }
      selected++;
      await state.window.room(signal);
      if (signal.aborted) break;
      const slot = state.window.enter(pair.rel);
      if (copiedBefore.has(pair.rel)) {
        // Copied by the previous run after its last mark: done.
        report.skipped++;
        progress.finished(undefined, 0);
        state.window.settle(slot);
        continue;
      }
      // Cheap decisions (listing fields only) are made here; `checksum` reads, so a worker makes it.
      let reason: CopyReason | undefined;
      if (ctx.compare !== 'checksum') {
        reason = await copyReason(ctx.compare, pair, selection.from, selection.to, signal);
        onDecided(pair, reason);
        if (reason === undefined || ctx.dryRun) {
          progress.finished(undefined, 0);
          state.window.settle(slot);
          continue;
        }
      }
      await pool.slot();
      await ctx.gate.pass(signal);
      if (signal.aborted) break;
      progress.current = pair.source.key;
      pool.start(() =>
        processPair(ctx, pair, slot, reason, ctx.compare === 'checksum' ? onDecided : undefined).then(() => {
          if (slot.settled) state.window.settle(slot);
        }),
      );
    }
  }
}

/**
 * Decides (when `reason` is not given) and copies one object, with retries.
 * Marks the slot settled unless the migration was aborted meanwhile (an
 * aborted object is not done, so the mark stays below it).
 */
async function processPair(
  ctx: MigrateContext,
  pair: PairedEntry,
  slot: WindowSlot,
  reason: CopyReason | undefined,
  onDecided: ((pair: PairedEntry, reason: CopyReason | undefined) => void) | undefined,
): Promise<void> {
  const { selection, report, progress, signal } = ctx;
  const source = pair.source!;
  const targetKey = selection.targetPrefix + pair.rel;
  try {
    if (onDecided !== undefined) {
      reason = await retrying(() => copyReason(ctx.compare, pair, selection.from, selection.to, signal), {
        ...ctx.retry,
        signal,
      });
      onDecided(pair, reason);
      if (reason === undefined || ctx.dryRun) {
        progress.finished(undefined, 0);
        slot.settled = true;
        return;
      }
    }
    const outcome = await retrying(
      () =>
        copyObject(selection.from, source.key, selection.to, targetKey, {
          signal,
          bandwidth: ctx.limit,
          sizeHint: source.size,
          onProgress: (p) => progress.loaded(slot, p.loaded),
        }),
      { ...ctx.retry, signal },
    );
    report.copied++;
    report.bytes += outcome.bytes;
    slot.copied = true;
    progress.finished(slot, outcome.serverSide ? source.size : outcome.bytes);
    slot.settled = true;
  } catch (e) {
    if (signal.aborted || (isStorageError(e, 'Aborted') && signal.aborted)) return;
    recordFailure(ctx, pair.rel, source.key, e);
    slot.failed = true;
    progress.finished(slot, 0);
    slot.settled = true;
  }
}

/** The pair for one relative key, by stat (used to retry a previous run's failures). */
async function statPair(ctx: MigrateContext, rel: string): Promise<PairedEntry | undefined> {
  const { selection, signal } = ctx;
  const [source, target] = await Promise.all([
    statOrUndefined(selection.from, selection.prefix + rel, signal),
    statOrUndefined(selection.to, selection.targetPrefix + rel, signal),
  ]);
  if (source === undefined) return undefined;
  return { rel, source, ...(target ? { target } : {}) };
}

async function statOrUndefined(
  backend: StorageBackend,
  key: string,
  signal: AbortSignal,
): Promise<ObjectInfo | undefined> {
  try {
    return await backend.stat(key, { signal });
  } catch (e) {
    if (isStorageError(e, 'NotFound')) return undefined;
    throw e;
  }
}

/** Keys the checkpoint must list as failed: this run's failures at or below the mark, and untried old ones. */
export function failedForCheckpoint(ctx: MigrateContext, state: TransferState): string[] {
  const mark = state.window.lowWater;
  const out = new Set(state.pendingRetries);
  for (const rel of ctx.failedRels) {
    if (mark !== undefined && compareKeys(rel, mark) <= 0) out.add(rel);
  }
  return [...out];
}
