/**
 * What `sync` does with each key, decided from three views merged in key
 * order: the object on side a, on side b, and the fingerprints saved at the
 * last successful sync. A side is `unchanged`, `changed` or `deleted` since
 * then (or `created` / `absent` for keys the state does not know).
 */
import type { ObjectInfo } from '../core/backend.js';
import { compareKeys } from '../core/keys.js';
import type { StateLine } from './sync-state.js';
import { unchangedSince } from './sync-state.js';
import type { ConflictPolicy, SyncConflict, SyncDirection } from './types.js';

/** A side of the sync. */
export type Side = 'a' | 'b';

/** What to do with one key. */
export type SyncAction =
  /** Nothing; both sides agree (record them). */
  | { type: 'none' }
  /** Nothing, by the direction: keep the saved state as it was. */
  | { type: 'keep'; conflict?: SyncConflict }
  /** Deleted on both sides: forget the key. */
  | { type: 'drop' }
  /** Copy `from` → `to`. */
  | { type: 'copy'; from: Side; to: Side; kind: 'created' | 'updated'; conflict?: SyncConflict }
  /** Delete on `side`. */
  | { type: 'delete'; side: Side }
  /** Conflict kept both ways: the loser's version is kept under `conflict.renamedTo`. */
  | { type: 'keep-both'; winner: Side; conflict: SyncConflict };

/** One key with its three views. */
export interface SyncItem {
  key: string;
  a?: ObjectInfo;
  b?: ObjectInfo;
  state?: StateLine;
}

type Status = 'unchanged' | 'changed' | 'created' | 'deleted' | 'absent';

function status(info: ObjectInfo | undefined, saved: StateLine['a'] | undefined): Status {
  if (saved === undefined) return info ? 'created' : 'absent';
  if (info === undefined) return 'deleted';
  return unchangedSince(info, saved) ? 'unchanged' : 'changed';
}

export const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');

/**
 * Decides what to do with one key.
 * - One-way directions never write to the source side: such actions become
 *   `keep` (changes made only on the destination are left alone).
 * - Both changed (or both created with different sizes): a conflict, won by
 *   the policy; `keep-both` keeps the newer under the key and the other
 *   under a `.conflict-<side>-<time>` name.
 * - Changed on one side, deleted on the other: the change wins, whatever the
 *   policy, so no data is lost.
 * - Created on both sides with the same size: taken as the same file
 *   (a first sync over two copies of one library copies nothing).
 */
export function decide(
  item: SyncItem,
  direction: SyncDirection,
  policy: ConflictPolicy,
  now: () => Date,
): SyncAction {
  const { key, a, b, state } = item;
  const sa = status(a, state?.a);
  const sb = status(b, state?.b);
  const canWrite = (side: Side) =>
    direction === 'both' || (direction === 'a-to-b' ? side === 'b' : side === 'a');
  const copyTo = (to: Side, kind: 'created' | 'updated', conflict?: SyncConflict): SyncAction =>
    canWrite(to)
      ? { type: 'copy', from: other(to), to, kind, ...(conflict ? { conflict } : {}) }
      : { type: 'keep', ...(conflict ? { conflict } : {}) };
  const deleteOn = (side: Side): SyncAction => (canWrite(side) ? { type: 'delete', side } : { type: 'keep' });

  if (sa === 'unchanged' && sb === 'unchanged') return { type: 'none' };
  if (sa === 'deleted' && sb === 'deleted') return { type: 'drop' };
  if (sa === 'changed' && sb === 'unchanged') return copyTo('b', 'updated');
  if (sa === 'unchanged' && sb === 'changed') return copyTo('a', 'updated');
  if (sa === 'created' && sb === 'absent') return copyTo('b', 'created');
  if (sa === 'absent' && sb === 'created') return copyTo('a', 'created');
  if (sa === 'deleted' && sb === 'unchanged') return deleteOn('b');
  if (sa === 'unchanged' && sb === 'deleted') return deleteOn('a');
  if (sa === 'deleted' && sb === 'changed') {
    return copyTo('a', 'created', { key, kind: 'changed-deleted', winner: 'b' });
  }
  if (sa === 'changed' && sb === 'deleted') {
    return copyTo('b', 'created', { key, kind: 'changed-deleted', winner: 'a' });
  }
  // Both changed, or both created.
  const x = a!;
  const y = b!;
  if (sa === 'created' && x.size === y.size) return { type: 'none' };
  if (sa === 'changed' && x.size === y.size && x.etag !== undefined && x.etag === y.etag)
    return { type: 'none' };
  const kind = sa === 'created' ? 'both-created' : 'both-changed';
  const newer: Side = y.lastModified.getTime() > x.lastModified.getTime() ? 'b' : 'a';
  const winner: Side = policy === 'a' ? 'a' : policy === 'b' ? 'b' : newer;
  if (policy === 'keep-both') {
    const loser = other(winner);
    return {
      type: 'keep-both',
      winner,
      conflict: { key, kind, winner, renamedTo: conflictName(key, loser, now()) },
    };
  }
  return copyTo(other(winner), 'updated', { key, kind, winner });
}

/** `dir/name.ext` → `dir/name.conflict-<side>-<20260102T030405Z>.ext`. */
export function conflictName(key: string, side: Side, date: Date): string {
  const slash = key.lastIndexOf('/');
  const dir = key.slice(0, slash + 1);
  const base = key.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const stamp = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const tag = `.conflict-${side}-${stamp}`;
  return dot > 0 ? dir + base.slice(0, dot) + tag + base.slice(dot) : key + tag;
}

/** Merges the two listings and the state, all in key order, into items. */
export async function* mergeThree(
  a: AsyncIterator<ObjectInfo>,
  b: AsyncIterator<ObjectInfo>,
  state: AsyncIterator<StateLine>,
): AsyncGenerator<SyncItem> {
  let x = await a.next();
  let y = await b.next();
  let s = await state.next();
  try {
    while (!x.done || !y.done || !s.done) {
      let key: string | undefined;
      for (const candidate of [
        x.done ? undefined : x.value.key,
        y.done ? undefined : y.value.key,
        s.done ? undefined : s.value.k,
      ]) {
        if (candidate !== undefined && (key === undefined || compareKeys(candidate, key) < 0))
          key = candidate;
      }
      const item: SyncItem = { key: key! };
      const pulls: Promise<void>[] = [];
      if (!x.done && x.value.key === key) {
        item.a = x.value;
        pulls.push(a.next().then((r) => void (x = r)));
      }
      if (!y.done && y.value.key === key) {
        item.b = y.value;
        pulls.push(b.next().then((r) => void (y = r)));
      }
      if (!s.done && s.value.k === key) {
        item.state = s.value;
        pulls.push(state.next().then((r) => void (s = r)));
      }
      yield item;
      await Promise.all(pulls);
    }
  } finally {
    await Promise.allSettled([a.return?.(), b.return?.(), state.return?.()]);
  }
}
