/**
 * Resuming a read stream that fails part-way (`retry({ resumeStreams: true })`).
 * The object is pinned to the etag it had when the stream opened (`ifMatch`),
 * and a failed stream is reopened with a range starting after the last byte
 * delivered, so the consumer sees one unbroken stream of one version. If the
 * object changed in between, the reopen fails with `PreconditionFailed` and
 * that error reaches the consumer: bytes of two versions are never spliced.
 */
import { Readable } from 'node:stream';
import type { Progress } from '../../core/backend.js';
import { isStorageError, type StorageError } from '../../core/errors.js';
import { backoffDelay, type RetryPolicyOptions } from '../../core/retry-policy.js';

/** How to continue a failed stream. */
export interface Resumption {
  /** The stream opened first. */
  first: Readable;
  /** Bytes the whole stream delivers (the range's length, or the object's size from its offset). */
  total: number;
  /** Opens the rest, from `delivered` bytes after the start. */
  reopen(delivered: number): Promise<Readable>;
  /** Whether to try again after `error` (failure number `failure`, 1-based); waits the backoff. */
  shouldResume(error: StorageError, failure: number): Promise<boolean>;
  /** Progress of the whole stream, monotonic across reopenings. */
  onProgress?: (p: Progress) => void;
}

/** One stream over as many inner streams as failures require. */
export function resumingStream(r: Resumption): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    let source = r.first;
    let delivered = 0;
    let failures = 0;
    for (;;) {
      try {
        for await (const chunk of source) {
          const buf = chunk as Buffer;
          delivered += buf.byteLength;
          r.onProgress?.({ loaded: delivered, total: r.total });
          yield buf;
        }
        return;
      } catch (e) {
        source.destroy();
        if (delivered >= r.total || !isStorageError(e) || !(await r.shouldResume(e, ++failures))) throw e;
        source = await r.reopen(delivered);
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}

/**
 * The retry policy's decision for a failed stream, as `retrying` would make
 * it: retryable errors only, within `retries`, the veto and the budget, then
 * the backoff (or the service's `retryAfterMs`) is waited.
 */
export function resumeDecision(
  policy: RetryPolicyOptions,
  signal: AbortSignal | undefined,
): (error: StorageError, failure: number) => Promise<boolean> {
  const { retries = 3, minDelay = 100, maxDelay = 20_000, budget } = policy;
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return async (error, failure) => {
    if (!error.retryable || failure > retries || signal?.aborted) return false;
    if (policy.shouldRetry && !policy.shouldRetry(error, failure)) return false;
    if (budget && !budget.withdraw()) return false;
    const delay = backoffDelay(
      failure,
      Number(minDelay),
      Number(maxDelay),
      policy.random ?? Math.random,
      error.retryAfterMs,
    );
    policy.onRetry?.(error, failure, delay);
    await sleep(delay, signal);
    return true;
  };
}
