/**
 * What the middleware benchmark (run.ts) and its profiling twin (profile.ts)
 * both measure: the keys, the body, each middleware alone and the whole
 * stack, and the three operations.
 */
import { randomBytes } from 'node:crypto';
import type { StorageBackend } from '../../src/core/backend.js';
import type { Middleware } from '../../src/core/layer.js';
import { cache } from '../../src/middleware/cache.js';
import { observe } from '../../src/middleware/observe.js';
import { retry } from '../../src/middleware/retry.js';
import { throttle } from '../../src/middleware/throttle.js';
import { timeout } from '../../src/middleware/timeout.js';

/** Calls in flight at once. */
export const CONCURRENCY = 64;
/** Distinct keys written, read and statted (profile.ts; run.ts uses one key per 20 operations). */
export const KEYS = 1000;
/**
 * The 4 KiB body: a plain Uint8Array by default; `BODY=buffer` uses a
 * Buffer (the memory backend copies either way since session 2).
 */
export const body = process.env.BODY === 'buffer' ? randomBytes(4096) : new Uint8Array(randomBytes(4096));
/** The key of call `i`, over `keys` distinct keys. */
export const keyOf = (i: number, keys = KEYS) => `bench/${(i % keys).toString().padStart(6, '0')}.bin`;

const noop = () => {};
/** Each middleware alone, bare, and the stack the issue names. */
export const middleware: Record<string, () => Middleware[]> = {
  bare: () => [],
  observe: () => [observe({ onEvent: noop })],
  retry: () => [retry()],
  timeout: () => [timeout({ ms: '30s', idleMs: '60s' })],
  throttle: () => [throttle({ concurrency: CONCURRENCY })],
  cache: () => [cache()],
  stack: () => [
    observe({ onEvent: noop }),
    retry(),
    timeout({ ms: '30s', idleMs: '60s' }),
    throttle({ concurrency: CONCURRENCY }),
    cache(),
  ],
};

/** The measured operations over `keys` keys (reads and stats stride over them). */
export const operations: Record<string, (s: StorageBackend, i: number, keys?: number) => Promise<unknown>> = {
  write: (s, i, keys) => s.write(keyOf(i, keys), body),
  read: (s, i, keys) => s.read(keyOf(i * 7919, keys)),
  stat: (s, i, keys) => s.stat(keyOf(i * 7919, keys)),
};
