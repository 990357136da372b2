/**
 * One setup and one operation of the middleware benchmark, for CPU profiles
 * (`node --cpu-prof`): `profile.mjs <setup> <op> [ops=200000] [rounds=1]`, setup one of
 * bare, observe, retry, timeout, throttle, cache, stack; op one of write,
 * read, stat. Bundle first, as for run.ts:
 *   npx esbuild bench/middleware/profile.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=.tmp/bench-middleware-profile.mjs
 *   node --cpu-prof --cpu-prof-dir=.tmp/prof .tmp/bench-middleware-profile.mjs stack read
 * With REWRITE=1, every key is written (unmeasured) before each round, as
 * run.ts does: reads then start on an invalidated cache.
 */
import { randomBytes } from 'node:crypto';
import { memory } from '../../src/backends/memory/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { layer, type Middleware } from '../../src/core/layer.js';
import { cache } from '../../src/middleware/cache.js';
import { observe } from '../../src/middleware/observe.js';
import { retry } from '../../src/middleware/retry.js';
import { throttle } from '../../src/middleware/throttle.js';
import { timeout } from '../../src/middleware/timeout.js';

const [setup = 'stack', opName = 'read', count = '200000', rounds = '1'] = process.argv.slice(2);
const n = Number(count);
const CONCURRENCY = 64;
const KEYS = 1000;
// A plain Uint8Array by default: with a Buffer body, memory() stores and
// returns views of it instead of copies (Buffer#slice makes views), which
// breaks its contract and skips the copies a correct backend pays for.
// BODY=buffer measures that path anyway.
const body = process.env.BODY === 'buffer' ? randomBytes(4096) : new Uint8Array(randomBytes(4096));
const keyOf = (i: number) => `bench/${(i % KEYS).toString().padStart(4, '0')}.bin`;
const noop = () => {};
const middleware: Record<string, () => Middleware[]> = {
  bare: () => [],
  observe: () => [observe({ onEvent: noop })],
  retry: () => [retry()],
  timeout: () => [timeout({ ms: '30s', idleMs: '60s' })],
  throttle: () => [throttle({ concurrency: 64 })],
  cache: () => [cache()],
  stack: () => [
    observe({ onEvent: noop }),
    retry(),
    timeout({ ms: '30s', idleMs: '60s' }),
    throttle({ concurrency: 64 }),
    cache(),
  ],
};
const operations: Record<string, (s: StorageBackend, i: number) => Promise<unknown>> = {
  write: (s, i) => s.write(keyOf(i), body),
  read: (s, i) => s.read(keyOf(i * 7919)),
  stat: (s, i) => s.stat(keyOf(i * 7919)),
};
const storage = layer(memory(), ...middleware[setup]!());
const op = operations[opName]!;
await Promise.all(Array.from({ length: KEYS }, (_, i) => storage.write(keyOf(i), body)));
async function runOps(fn: (s: StorageBackend, i: number) => Promise<unknown>, count: number) {
  let next = 0;
  const worker = async () => {
    while (next < count) await fn(storage, next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}
const perCall: number[] = [];
for (let round = 0; round < Number(rounds); round++) {
  // As in run.ts, where every read round follows a write round (which invalidates the cache).
  if (process.env.REWRITE === '1') await runOps(operations.write!, KEYS);
  const cpu = process.cpuUsage();
  await runOps(op, n);
  const used = process.cpuUsage(cpu);
  perCall.push((used.user + used.system) / n);
}
const median = [...perCall].sort((a, b) => a - b)[Math.floor(perCall.length / 2)]!;
console.log(
  `${setup} ${opName}: ${median.toFixed(2)} CPU µs per call (median of ${perCall.map((x) => x.toFixed(2)).join(' ')})`,
);
