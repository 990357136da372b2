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
import { memory } from '../../src/backends/memory/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { layer } from '../../src/core/layer.js';
import { body, CONCURRENCY, KEYS, keyOf, middleware, operations } from './setups.js';

const [setup = 'stack', opName = 'read', count = '200000', rounds = '1'] = process.argv.slice(2);
const n = Number(count);
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
