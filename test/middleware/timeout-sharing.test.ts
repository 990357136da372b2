/**
 * Calls made without a signal share one deadline per window (timeout/batch.ts).
 * These tests check that sharing never lets one call's fate leak into
 * another's: outcomes only, never durations.
 */
import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { ObjectInfo, ReadOptions, StatOptions } from '../../src/core/backend.js';
import type { StorageError } from '../../src/core/errors.js';
import { ForwardingBackend, layer } from '../../src/core/layer.js';
import { timeout } from '../../src/middleware/timeout.js';

const prefix = () => `timeout-sharing-${Math.random().toString(36).slice(2, 10)}/`;

/** `stat` of a key starting with `slow` never answers (and ignores its signal); others answer at once. */
class SlowForSome extends ForwardingBackend {
  readonly signals = new Map<string, AbortSignal | undefined>();
  override stat(key: string, o?: StatOptions): Promise<ObjectInfo> {
    this.signals.set(key, o?.signal);
    if (key.includes('slow')) return new Promise(() => {});
    return super.stat(key, o);
  }
  /** A read that ends only when its signal aborts (with the signal's reason). */
  override read(key: string, o?: ReadOptions): Promise<Uint8Array> {
    if (!key.includes('slow')) return super.read(key, o);
    return new Promise((_resolve, reject) => {
      o?.signal?.addEventListener('abort', () => reject(o.signal?.reason), { once: true });
    });
  }
}

describe('timeout: calls without a signal share a deadline', () => {
  it('times out a slow call while a fast one started with it succeeds', async () => {
    const p = prefix();
    const inner = new SlowForSome(memory());
    const storage = layer(inner, timeout({ ms: 40 }));
    await storage.write(`${p}fast`, 'x');
    const [slow, fast] = await Promise.allSettled([storage.stat(`${p}slow`), storage.stat(`${p}fast`)]);
    expect(fast).toMatchObject({ status: 'fulfilled', value: { size: 1 } });
    expect(slow.status).toBe('rejected');
    const error = (slow as PromiseRejectedResult).reason as StorageError;
    expect(error.code).toBe('Timeout');
    expect(error.retryable).toBe(true);
    // The error names the call that timed out, not another of its window.
    expect(error.message).toMatch(new RegExp(`stat of "${p}slow" did not finish within 40 ms`));
    // The inner call was aborted even though it ignored the signal.
    expect(inner.signals.get(`${p}slow`)?.aborted).toBe(true);
  });

  it('times out every slow call of a window, each with its own error', async () => {
    const p = prefix();
    const storage = layer(new SlowForSome(memory()), timeout({ ms: 30 }));
    const keys = [`${p}slow-a`, `${p}slow-b`, `${p}slow-c`];
    const errors = await Promise.all(keys.map((k) => storage.stat(k).catch((e: StorageError) => e)));
    expect(errors.map((e) => (e as StorageError).code)).toEqual(['Timeout', 'Timeout', 'Timeout']);
    for (const [i, e] of errors.entries()) expect((e as StorageError).message).toContain(`"${keys[i]}"`);
  });

  it('rejects with Timeout, not the inner Aborted, when the inner call honours the abort', async () => {
    const p = prefix();
    const storage = layer(new SlowForSome(memory()), timeout({ ms: 30 }));
    const error = (await storage.read(`${p}slow`).catch((e) => e)) as StorageError;
    expect(error.code).toBe('Timeout');
    expect(error.message).toMatch(/read of ".*slow" did not finish within 30 ms/);
  });

  it("a caller's abort aborts only that call, not the batched ones nor other callers'", async () => {
    const p = prefix();
    const inner = new SlowForSome(memory());
    const storage = layer(inner, timeout({ ms: 5000 }));
    await storage.write(`${p}fast`, 'x');
    const mine = new AbortController();
    const theirs = new AbortController();
    const aborted = storage.read(`${p}slow-mine`, { signal: mine.signal });
    const other = storage.read(`${p}fast`, { signal: theirs.signal });
    const batched = storage.read(`${p}fast`);
    mine.abort();
    // The inner call ended with the caller's reason, not a Timeout.
    expect(await aborted.catch((e) => e)).toBe(mine.signal.reason);
    expect(new TextDecoder().decode(await other)).toBe('x');
    expect(new TextDecoder().decode(await batched)).toBe('x');
    expect(theirs.signal.aborted).toBe(false);
  });

  it('a batched call after a window that timed out gets a fresh, unaborted signal', async () => {
    const p = prefix();
    const inner = new SlowForSome(memory());
    const storage = layer(inner, timeout({ ms: 20 }));
    await storage.write(`${p}fast`, 'x');
    await expect(storage.stat(`${p}slow`)).rejects.toMatchObject({ code: 'Timeout' });
    await expect(storage.stat(`${p}fast`)).resolves.toMatchObject({ size: 1 });
    expect(inner.signals.get(`${p}fast`)?.aborted).toBe(false);
  });

  it('turns an inner call that throws synchronously into a rejection', async () => {
    class Throwing extends ForwardingBackend {
      override stat(): Promise<ObjectInfo> {
        throw new Error('sync failure');
      }
    }
    const storage = layer(new Throwing(memory()), timeout({ ms: '5s' }));
    await expect(storage.stat('k')).rejects.toThrow('sync failure');
  });

  it('passes errors of batched calls through unchanged', async () => {
    const storage = layer(memory(), timeout({ ms: '5s' }));
    await expect(storage.read(`${prefix()}missing`)).rejects.toMatchObject({ code: 'NotFound' });
  });
});
