/**
 * `sync`: keeps two backends in step, one way or both ways, with a saved
 * state so deletions propagate and conflicts (both sides changed since the
 * last sync) are detected. The listings of both sides and the saved state
 * are merged in key order and acted on with bounded concurrency; the new
 * state is written in key order as actions finish, part by part, and only
 * replaces the old one when the sync was not aborted.
 */
import { setMaxListeners } from 'node:events';
import type { ObjectInfo, StorageBackend } from '../core/backend.js';
import { isStorageError, StorageError } from '../core/errors.js';
import { assertKey } from '../core/keys.js';
import { type RetryPolicyOptions, retrying } from '../core/retry-policy.js';
import { bandwidthLimit } from './bandwidth.js';
import { TaskPool } from './context.js';
import { copyObject } from './copy.js';
import { resilientList } from './plan.js';
import { ProgressTracker } from './progress.js';
import { decide, type Side, type SyncAction, type SyncItem, mergeThree, other } from './sync-plan.js';
import { fingerprint, isStateKey, readState, type StateLine, StateWriter } from './sync-state.js';
import type { SyncOptions, SyncReport } from './types.js';

/** Finished lines waiting for earlier keys are bounded by this. */
const ORDER_WINDOW = 1024;
const PLAN_LIMIT = 10_000;

/**
 * Synchronises two backends.
 *
 * @example
 * ```ts
 * import { sync } from 'stowage/migrate';
 * const report = await sync({
 *   a: local({ root: '/music' }), b: local({ root: '/mnt/backup/music' }), direction: 'both',
 *   conflict: 'keep-both', bandwidth: '10MiB', state: { store: local({ root: '/music' }), key: '.stowage-sync' },
 * });
 * console.log(report.a, report.b, report.conflicts);
 * ```
 */
export async function sync(options: SyncOptions): Promise<SyncReport> {
  const o = checkOptions(options);
  const started = performance.now();
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const forward = () => controller.abort(o.signal?.reason);
  if (o.signal?.aborted) forward();
  o.signal?.addEventListener('abort', forward, { once: true });
  const signal = controller.signal;
  const sides: Record<Side, StorageBackend> = { a: o.a, b: o.b };
  const dryRun = o.dryRun ?? false;
  const policy = o.conflict ?? 'newer';
  const now = o.now ?? (() => new Date());
  const limit = bandwidthLimit(o.bandwidth);
  const retry = { retries: 3, ...o.retries, signal };
  const report: SyncReport = {
    a: { created: 0, updated: 0, deleted: 0 },
    b: { created: 0, updated: 0, deleted: 0 },
    conflicts: [],
    failed: [],
    unchanged: 0,
    bytes: 0,
    ms: 0,
    dryRun,
  };
  const progress = new ProgressTracker();
  if (o.onProgress) progress.on(o.onProgress);
  progress.start();
  progress.begin('inventory');
  progress.end();
  progress.begin('transfer');
  const writer = dryRun ? undefined : new StateWriter(o.state.store, o.state.key);
  const pool = new TaskPool(o.concurrency ?? 8);
  const pending: Promise<StateLine | undefined>[] = [];
  const flush = async (keep: number) => {
    while (pending.length > keep) {
      const line = await pending.shift()!;
      if (line !== undefined) await writer?.add(line);
    }
  };

  const statOf = (side: Side, key: string) => retrying(() => sides[side].stat(key, { signal }), retry);
  const copyAcross = async (
    from: Side,
    to: Side,
    fromKey: string,
    toKey: string,
    sizeHint: number | undefined,
  ): Promise<ObjectInfo> => {
    const outcome = await retrying(
      () =>
        copyObject(sides[from], fromKey, sides[to], toKey, {
          signal,
          bandwidth: limit,
          sizeHint,
        }),
      retry,
    );
    report.bytes += outcome.bytes;
    progress.moved(outcome.bytes);
    return statOf(to, toKey);
  };

  /** Runs one action; resolves with the key's new state line (the old one when it failed). */
  const act = async (item: SyncItem, action: SyncAction): Promise<StateLine | undefined> => {
    const { key } = item;
    try {
      switch (action.type) {
        case 'copy': {
          const written = await copyAcross(action.from, action.to, key, key, item[action.from]?.size);
          report[action.to][action.kind]++;
          const source = item[action.from]!;
          return line(key, action.from === 'a' ? source : written, action.from === 'a' ? written : source);
        }
        case 'delete':
          await retrying(() => sides[action.side].delete(key, { signal }), retry);
          report[action.side].deleted++;
          return undefined;
        case 'keep-both': {
          const winner = action.winner;
          const loser = other(winner);
          const renamed = action.conflict.renamedTo!;
          const canWrite = (side: Side) =>
            o.direction === 'both' || o.direction === (side === 'a' ? 'b-to-a' : 'a-to-b');
          // The loser's version is kept first, then the winner takes the key.
          if (canWrite(winner)) {
            await copyAcross(loser, winner, key, renamed, item[loser]?.size);
            report[winner].created++;
          }
          if (canWrite(loser)) {
            await retrying(() => sides[loser].copy(key, renamed, { signal }), retry);
            report[loser].created++;
            await copyAcross(winner, loser, key, key, item[winner]?.size);
            report[loser].updated++;
          }
          const [x, y] = await Promise.all([statOf('a', key), statOf('b', key)]);
          return line(key, x, y);
        }
        default:
          return undefined;
      }
    } catch (e) {
      if (!signal.aborted) {
        report.failed.push({
          key,
          code: isStorageError(e) ? e.code : 'Unknown',
          message: e instanceof Error ? e.message : String(e),
        });
      }
      // Keep what the last sync saw, so the next run tries again.
      return item.state;
    } finally {
      progress.finished(undefined, 0);
    }
  };

  const skip = (key: string) => isStateKey(key, o.state.key);
  // The state's own keys are never synced, wherever the state lives (the store may be another
  // backend object over the same directory or bucket as a side).
  const list = (side: Side) => objects(sides[side], skip, signal, retry);
  let aborted = false;
  try {
    const items = mergeThree(list('a'), list('b'), readState(o.state.store, o.state.key, signal));
    for await (const item of items) {
      if (signal.aborted) break;
      const action = decide(item, o.direction, policy, now);
      if (action.type !== 'none' && action.type !== 'drop' && 'conflict' in action && action.conflict) {
        report.conflicts.push(action.conflict);
      }
      if (action.type === 'none') {
        report.unchanged++;
        progress.finished(undefined, 0);
        pending.push(Promise.resolve(item.a && item.b ? line(item.key, item.a, item.b) : undefined));
      } else if (action.type === 'keep' || action.type === 'drop') {
        progress.finished(undefined, 0);
        pending.push(Promise.resolve(action.type === 'keep' ? item.state : undefined));
      } else if (dryRun) {
        addPlan(report, item.key, action);
        progress.finished(undefined, 0);
      } else {
        await pool.slot();
        if (signal.aborted) break;
        progress.current = item.key;
        let done!: (line: StateLine | undefined) => void;
        pending.push(new Promise((resolve) => (done = resolve)));
        pool.start(() => act(item, action).then(done));
      }
      await flush(ORDER_WINDOW);
    }
    await pool.drain();
    aborted = signal.aborted;
    if (!aborted) {
      await flush(0);
      await writer?.commit();
    }
  } catch (e) {
    await pool.drain();
    if (!signal.aborted) {
      await writer?.discard();
      throw e;
    }
    aborted = true;
  } finally {
    o.signal?.removeEventListener('abort', forward);
    progress.end();
    progress.stop();
    report.ms = Math.round(performance.now() - started);
  }
  if (aborted) {
    report.aborted = true;
    await writer?.discard();
  }
  return report;
}

function line(key: string, a: ObjectInfo, b: ObjectInfo): StateLine {
  return { k: key, a: fingerprint(a), b: fingerprint(b) };
}

async function* objects(
  backend: StorageBackend,
  skip: ((key: string) => boolean) | undefined,
  signal: AbortSignal,
  retry: RetryPolicyOptions,
): AsyncGenerator<ObjectInfo> {
  for await (const entry of resilientList(backend, '', undefined, signal, retry)) {
    if (entry.type !== 'object' || skip?.(entry.key)) continue;
    const { type: _type, ...info } = entry;
    yield info;
  }
}

function addPlan(report: SyncReport, key: string, action: SyncAction): void {
  const plan = (report.plan ??= []);
  const add = (entry: NonNullable<SyncReport['plan']>[number]) => {
    if (plan.length < PLAN_LIMIT) plan.push(entry);
  };
  if (action.type === 'copy') {
    add({ action: 'copy', from: action.from, side: action.to, key });
    report[action.to][action.kind]++;
  } else if (action.type === 'delete') {
    add({ action: 'delete', side: action.side, key });
    report[action.side].deleted++;
  } else if (action.type === 'keep-both') {
    const loser = other(action.winner);
    add({ action: 'rename', side: loser, key, to: action.conflict.renamedTo });
    add({ action: 'copy', from: action.winner, side: loser, key });
  }
}

function checkOptions(o: SyncOptions): SyncOptions {
  const invalid = (message: string) => new StorageError('InvalidArgument', message, { operation: 'sync' });
  if (o === null || typeof o !== 'object') throw invalid('sync needs options: { a, b, direction, state }.');
  for (const side of ['a', 'b'] as const) {
    if (typeof o[side]?.list !== 'function') throw invalid(`\`${side}\` must be a StorageBackend.`);
  }
  if (o.a === o.b) throw invalid('`a` and `b` are the same backend; sync two different ones.');
  if (!['a-to-b', 'b-to-a', 'both'].includes(o.direction))
    throw invalid("`direction` must be 'a-to-b', 'b-to-a' or 'both'.");
  if (o.conflict !== undefined && !['newer', 'a', 'b', 'keep-both'].includes(o.conflict)) {
    throw invalid("`conflict` must be 'newer', 'a', 'b' or 'keep-both'.");
  }
  if (typeof o.state?.store?.list !== 'function') throw invalid('`state.store` must be a StorageBackend.');
  assertKey(o.state.key, 'sync');
  const concurrency = o.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw invalid('`concurrency` must be a positive integer.');
  return o;
}
