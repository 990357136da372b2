/**
 * One peak-RSS measurement of `migrate`, in its own process so earlier runs
 * do not pollute it. Prints one JSON line with:
 * - `emptyRss`: before anything is stored;
 * - `baselineRss`: after seeding the source (memory mode) and a GC, just before `migrate`;
 * - `peakRss`: the highest RSS sampled every 20 ms during `migrate`;
 * - `afterGcRss`/`afterGcHeap`: after `migrate` and a forced GC (the target store is still filled);
 * - `droppedHeap`: memory mode only, the heap after also emptying the target store and a GC:
 *   what `migrate` left behind, compared with `baselineHeap`.
 * Usage: rss-child.ts memory <objects>            (seeds two memory backends here)
 *        rss-child.ts local <objects> <from> <to> (the parent wrote the files)
 */
import { local } from '../../src/backends/local/index.js';
import { type MemoryBackend, memory } from '../../src/backends/memory/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { migrate } from '../../src/migrate/index.js';

const [mode, count, fromRoot, toRoot] = process.argv.slice(2) as [string, string, string?, string?];
const objects = Number(count);
const gc = () => globalThis.gc?.();
gc();
const emptyRss = process.memoryUsage().rss;
let from: StorageBackend;
let to: StorageBackend;
if (mode === 'memory') {
  const source = memory();
  const body = new Uint8Array(64);
  for (let i = 0; i < objects; i++) await source.write(`data/${String(i).padStart(7, '0')}.bin`, body);
  from = source;
  to = memory();
} else {
  from = local({ root: fromRoot! });
  to = local({ root: toRoot! });
}

gc();
const baseline = process.memoryUsage();
let peak = baseline.rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const started = performance.now();
const report = await migrate({ from, to, concurrency: 16 });
const ms = performance.now() - started;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
gc();
const after = process.memoryUsage();
let droppedHeap: number | undefined;
if (mode === 'memory') {
  (to as MemoryBackend).reset();
  gc();
  droppedHeap = process.memoryUsage().heapUsed;
}
process.stdout.write(
  `${JSON.stringify({
    mode,
    objects,
    copied: report.copied,
    failed: report.failed.length,
    ms: Math.round(ms),
    emptyRss,
    baselineRss: baseline.rss,
    baselineHeap: baseline.heapUsed,
    peakRss: peak,
    afterGcRss: after.rss,
    afterGcHeap: after.heapUsed,
    droppedHeap,
  })}\n`,
);
