/**
 * Benchmark of the cache middleware: `npx tsx bench/cache/run.ts [ops=200000]`.
 * Operations per second of the memory backend bare vs wrapped in `cache()`,
 * for 1 KiB reads that hit, stats that hit, and writes (which invalidate),
 * and a cache in front of a slow backend (1 ms per request) to show what it
 * saves. Medians of 5 alternating runs.
 */
import { memory } from '../../src/backends/memory/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { ForwardingBackend } from '../../src/core/layer.js';
import { cache } from '../../src/middleware/cache.js';

const ops = Number(process.argv[2] ?? 200_000);
const keys = Array.from({ length: 1000 }, (_, i) => `bench/${i}`);
const body = new Uint8Array(1024).fill(7);

async function opsPerSecond(
  storage: StorageBackend,
  op: (s: StorageBackend, key: string) => Promise<unknown>,
  n: number,
) {
  const start = performance.now();
  for (let i = 0; i < n; i++) await op(storage, keys[i % keys.length]!);
  return n / ((performance.now() - start) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function compare(label: string, op: (s: StorageBackend, key: string) => Promise<unknown>, n = ops) {
  const bare = memory();
  const cached = cache({ maxSize: '64MiB' })(memory());
  for (const s of [bare, cached]) for (const key of keys) await s.write(key, body);
  for (const s of [bare, cached]) for (const key of keys) await s.read(key); // fill the cache
  const results: Record<string, number[]> = { bare: [], cached: [] };
  for (let r = 0; r < 5; r++) {
    results.bare!.push(await opsPerSecond(bare, op, n));
    results.cached!.push(await opsPerSecond(cached, op, n));
  }
  const b = median(results.bare!);
  const c = median(results.cached!);
  console.log(`| ${label} | ${Math.round(b)} | ${Math.round(c)} | ${(c / b).toFixed(2)} |`);
}

/** A memory backend that takes 1 ms per request, like a nearby network service. */
class Slow extends ForwardingBackend {
  override async read(key: string) {
    await new Promise((r) => setTimeout(r, 1));
    return super.read(key);
  }
  override async stat(key: string) {
    await new Promise((r) => setTimeout(r, 1));
    return super.stat(key);
  }
}

console.log(`cache benchmark: ${ops} operations per run, 1000 keys of 1 KiB, node ${process.version}\n`);
console.log('| operation | memory ops/s | cache(memory) ops/s | ratio |');
console.log('|---|---|---|---|');
await compare('read (hit)', (s, key) => s.read(key));
await compare('stat (hit)', (s, key) => s.stat(key));
await compare('write (invalidates)', (s, key) => s.write(key, body), ops / 4);

const slow = new Slow(memory());
const slowKeys = keys.slice(0, 200);
for (const key of slowKeys) await slow.write(key, body);
const slowCached = cache()(slow);
const readAll = async (s: StorageBackend) => {
  const start = performance.now();
  for (const key of slowKeys) await s.read(key);
  return slowKeys.length / ((performance.now() - start) / 1000);
};
const bareSlow = await readAll(slow);
await readAll(slowCached); // fill
const cachedSlow = await readAll(slowCached);
console.log(
  `| read, 1 ms backend | ${Math.round(bareSlow)} | ${Math.round(cachedSlow)} | ${(cachedSlow / bareSlow).toFixed(1)} |`,
);
