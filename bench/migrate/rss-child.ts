/**
 * One peak-RSS measurement of `migrate`, in its own process so earlier runs
 * do not pollute it. Prints one JSON line.
 * Usage: rss-child.ts memory <objects>            (seeds two memory backends here)
 *        rss-child.ts local <objects> <from> <to> (the parent wrote the files)
 */
import { local } from '../../src/backends/local/index.js';
import { memory } from '../../src/backends/memory/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { migrate } from '../../src/migrate/index.js';

const [mode, count, fromRoot, toRoot] = process.argv.slice(2) as [string, string, string?, string?];
const objects = Number(count);
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

globalThis.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const started = performance.now();
const report = await migrate({ from, to, concurrency: 16 });
const ms = performance.now() - started;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(
  `${JSON.stringify({
    mode,
    objects,
    copied: report.copied,
    failed: report.failed.length,
    ms: Math.round(ms),
    baselineRss: baseline,
    peakRss: peak,
    maxRss: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
