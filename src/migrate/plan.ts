/**
 * The inventory: a streaming merge of the source and target listings. Every
 * backend lists in UTF-8 byte order (`compareKeys`), and stripping a constant
 * prefix keeps that order, so walking both listings side by side pairs each
 * relative key with its two sides while holding one entry per side in
 * memory, however many objects there are.
 */
import type { Entry, ObjectInfo, StorageBackend } from '../core/backend.js';
import { compareKeys } from '../core/keys.js';
import { type RetryPolicyOptions, retrying } from '../core/retry-policy.js';
import { inShard, type Shard } from './shard.js';
import type { CompareMode } from './types.js';
import { sameContent } from './verify.js';

/** One key of the merge: its source and target objects, either may be absent. */
export interface PairedEntry {
  /** The key relative to the prefixes. */
  rel: string;
  /** The source object (source key = prefix + rel). */
  source?: ObjectInfo;
  /** The target object (target key = targetPrefix + rel). */
  target?: ObjectInfo;
}

/** What the merge walks and what it keeps. */
export interface Selection {
  from: StorageBackend;
  to: StorageBackend;
  prefix: string;
  targetPrefix: string;
  filter?: (entry: ObjectInfo) => boolean;
  shard?: Shard;
  /** Source keys never to touch (e.g. the checkpoint when it lives in the source). */
  skipSource?: (key: string) => boolean;
  /** Target keys never to touch (e.g. the checkpoint when it lives in the target). */
  skipTarget?: (key: string) => boolean;
  /** Retry policy of listing requests. */
  retry?: RetryPolicyOptions;
}

/**
 * A listing that survives retryable errors: after a failed page it reopens
 * after the last key it yielded, under the shared retry policy.
 */
export async function* resilientList(
  backend: StorageBackend,
  prefix: string,
  startAfter: string | undefined,
  signal: AbortSignal | undefined,
  retry: RetryPolicyOptions | undefined,
): AsyncGenerator<Entry> {
  let last = startAfter;
  const open = () =>
    backend
      .list(prefix, { signal, ...(last !== undefined ? { startAfter: last } : {}) })
      [Symbol.asyncIterator]();
  let iterator = open();
  try {
    while (true) {
      const result = await retrying(
        async (attempt) => {
          if (attempt > 1) iterator = open();
          return iterator.next();
        },
        { ...retry, signal },
      );
      if (result.done) return;
      last = result.value.key;
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/** Objects of `backend` under `prefix`, with keys relative to it, after `startAfterRel`. */
export async function* relativeObjects(
  backend: StorageBackend,
  prefix: string,
  startAfterRel: string | undefined,
  signal: AbortSignal | undefined,
  skip?: (key: string) => boolean,
  retry?: RetryPolicyOptions,
): AsyncGenerator<{ rel: string; info: ObjectInfo }> {
  const after = startAfterRel !== undefined ? prefix + startAfterRel : undefined;
  for await (const entry of resilientList(backend, prefix, after, signal, retry)) {
    if (entry.type !== 'object') continue;
    if (skip?.(entry.key)) continue;
    const { type: _type, ...info } = entry;
    yield { rel: entry.key.slice(prefix.length), info };
  }
}

/**
 * Pairs the source and target listings by relative key, in key order, keeping
 * only the selection (filter and shard). Resumes after `startAfterRel`.
 */
export async function* pairListings(
  selection: Selection,
  startAfterRel: string | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<PairedEntry> {
  const { prefix, targetPrefix, filter, shard } = selection;
  const { retry } = selection;
  const sources = relativeObjects(selection.from, prefix, startAfterRel, signal, selection.skipSource, retry);
  const targets = relativeObjects(
    selection.to,
    targetPrefix,
    startAfterRel,
    signal,
    selection.skipTarget,
    retry,
  );
  for await (const pair of mergeSorted(sources, targets)) {
    if (!inShard(pair.rel, shard)) continue;
    if (filter !== undefined) {
      // Filters speak in source keys; a target-only object is shown under its source-side name.
      const shown = pair.source ?? { ...pair.target!, key: prefix + pair.rel };
      if (!filter(shown)) continue;
    }
    yield pair;
  }
}

/** Merges two key-ordered streams of relative objects into pairs. */
export async function* mergeSorted(
  left: AsyncIterator<{ rel: string; info: ObjectInfo }>,
  right: AsyncIterator<{ rel: string; info: ObjectInfo }>,
): AsyncGenerator<PairedEntry> {
  let a = await left.next();
  let b = await right.next();
  try {
    while (!a.done || !b.done) {
      if (b.done || (!a.done && compareKeys(a.value.rel, b.value.rel) < 0)) {
        yield { rel: a.value!.rel, source: a.value!.info };
        a = await left.next();
      } else if (a.done || compareKeys(a.value.rel, b.value.rel) > 0) {
        yield { rel: b.value.rel, target: b.value.info };
        b = await right.next();
      } else {
        yield { rel: a.value.rel, source: a.value.info, target: b.value.info };
        [a, b] = await Promise.all([left.next(), right.next()]);
      }
    }
  } finally {
    // Stop both listings when the consumer stops early (abort, error).
    await Promise.allSettled([left.return?.(), right.return?.()]);
  }
}

/** How much older than the source a target may look and still count as a copy of it (timestamp granularity). */
export const MTIME_WINDOW_MS = 1000;

/** Why an object must be copied, or undefined when the target already has it. */
export type CopyReason = 'missing' | 'different' | 'always';

/**
 * Decides whether the source object must be copied over the target one.
 * - `size`: sizes differ.
 * - `size+mtime`: sizes differ, or the target is older than the source by
 *   more than {@link MTIME_WINDOW_MS} (a copy is always newer than what it
 *   was copied from; the window absorbs whole-second timestamps).
 * - `etag`: etags differ (meaningful within one service only; falls back
 *   to size when either side has none).
 * - `checksum`: contents differ: listed checksums when both sides share an
 *   algorithm, else both objects are read and hashed (two downloads).
 * - `always`: always copy.
 */
export async function copyReason(
  mode: CompareMode,
  pair: PairedEntry,
  from: StorageBackend,
  to: StorageBackend,
  signal: AbortSignal | undefined,
): Promise<CopyReason | undefined> {
  const { source, target } = pair;
  if (source === undefined) return undefined;
  if (target === undefined) return 'missing';
  if (mode === 'always') return 'always';
  if (source.size !== target.size) return 'different';
  switch (mode) {
    case 'size':
      return undefined;
    case 'size+mtime':
      // Older by more than the window: services such as S3 keep whole seconds only.
      return target.lastModified.getTime() + MTIME_WINDOW_MS < source.lastModified.getTime()
        ? 'different'
        : undefined;
    case 'etag':
      if (source.etag === undefined || target.etag === undefined) return undefined;
      return source.etag === target.etag ? undefined : 'different';
    case 'checksum':
      return (await sameContent({ backend: from, info: source }, { backend: to, info: target }, signal))
        ? undefined
        : 'different';
  }
}
