/**
 * Streams `mib` MiB of unknown length to fake-gcs-server in a fresh process
 * and prints `{ side, partSize, peakMiB, baseMiB, startPeakMiB, ms }`: the
 * upload's memory, measured where nothing else counts.
 *
 * - `baseMiB`: RSS just before the upload (SDK loaded, one request made);
 * - `startPeakMiB`: the process's peak RSS before the upload (a `peakMiB`
 *   equal to it means the upload did not raise the peak);
 * - `peakMiB`: the peak RSS of the whole run.
 *
 * Peaks are the kernel's high-water mark of this process's memory
 * (`VmHWM` in /proc/self/status). Not `process.resourceUsage().maxRSS`: on
 * Linux that survives `exec`, so a child reports at least the RSS its parent
 * had when it forked (the benchmark's parent holds 256 MiB of test data, and
 * every child then "peaked" at 280 MiB whatever it did).
 *
 * The source gives a fresh 64 KiB buffer per chunk, as `fs.createReadStream`
 * does, so what the SDK or the adapter holds on to shows up (a ring of reused
 * buffers would hide it); `RSS_CHUNK_KIB` changes the chunk size. The
 * `raw` side streams the same source through the SDK's own
 * `createWriteStream({ resumable: true })`, which tells apart what the
 * adapter adds from what the SDK and the garbage collector cost anyway.
 *
 * Usage: `node --import tsx bench/gcs/rss-child.ts <endpoint> <bucket> <mib> <stowage|raw> [partSize]`
 * (with a part size, the upload goes in resumable chunks of that size;
 * RSS_TRACE=1 prints rss/heap/external every 500 ms on stderr).
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage } from '@google-cloud/storage';
import { gcs } from '../../src/backends/gcs/index.js';
import { parseSize } from '../../src/core/units.js';

const [endpoint, bucket, mibText, side, partSize] = process.argv.slice(2) as [
  string,
  string,
  string,
  'stowage' | 'raw',
  string?,
];
const MIB = 1024 * 1024;
const CHUNK = Number(process.env.RSS_CHUNK_KIB ?? 64) * 1024;
const total = Number(mibText) * MIB;

/** Fresh chunks (copies of a few patterns), length unknown to the consumer. */
function body(): Readable {
  const patterns = Array.from({ length: 4 }, (_, r) => Buffer.alloc(CHUNK, r + 1));
  let sent = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      this.push(Buffer.from(patterns[(sent / CHUNK) % patterns.length]!));
      sent += CHUNK;
    },
  });
}

/** This process's peak RSS in MiB: VmHWM where /proc exists, else maxRSS (which may include a parent's). */
function peakRss(): number {
  try {
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib !== undefined) return Math.round((Number(kib) * 1024) / MIB);
  } catch {}
  return Math.round((process.resourceUsage().maxRSS * 1024) / MIB);
}
const key = `rss/${side}.bin`;
const backend = gcs({ bucket, apiEndpoint: endpoint });
const file = new Storage({ apiEndpoint: endpoint, projectId: 'stowage-bench' }).bucket(bucket).file(key);
if (side === 'raw') await file.exists();
else await backend.exists('warm-up');
const baseMiB = Math.round(process.memoryUsage().rss / MIB);
const startPeakMiB = peakRss();
const start = performance.now();
const trace = process.env.RSS_TRACE
  ? setInterval(() => {
      const m = process.memoryUsage();
      const f = (n: number) => Math.round(n / MIB);
      console.error(
        `rss ${f(m.rss)} heap ${f(m.heapUsed)}/${f(m.heapTotal)} external ${f(m.external)} arrayBuffers ${f(m.arrayBuffers)}`,
      );
    }, 500)
  : undefined;
if (side === 'raw') {
  const chunkSize = partSize ? parseSize(partSize, 'partSize') : undefined;
  await pipeline(body(), file.createWriteStream({ resumable: true, ...(chunkSize ? { chunkSize } : {}) }));
} else {
  const info = await backend.write(key, body(), partSize ? { partSize } : {});
  if (info.size !== total) throw new Error(`stored ${info.size} bytes`);
}
clearInterval(trace);
const ms = performance.now() - start;
await backend.delete(key);
await backend.close();
console.log(JSON.stringify({ side, partSize, peakMiB: peakRss(), baseMiB, startPeakMiB, ms }));
