/**
 * Streams `mib` MiB of unknown length through the gcs adapter in a fresh
 * process and prints `{ peakMiB, baseMiB, ms }`: the adapter's memory bound
 * (about two chunks plus the runtime), measured where nothing else counts.
 * Usage: `node --import tsx bench/gcs/rss-child.ts <endpoint> <bucket> <mib> [partSize]`
 * (with a part size, the upload goes in resumable chunks of that size).
 */
import { Readable } from 'node:stream';
import { gcs } from '../../src/backends/gcs/index.js';

const [endpoint, bucket, mibText, partSize] = process.argv.slice(2) as [string, string, string, string?];
const MIB = 1024 * 1024;
const total = Number(mibText) * MIB;

/** Chunks from a small ring of buffers, so the producer holds almost nothing. */
function body(): Readable {
  const ring = Array.from({ length: 4 }, (_, r) => Buffer.alloc(MIB, r + 1));
  let sent = 0;
  return new Readable({
    highWaterMark: MIB,
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      this.push(ring[(sent / MIB) % ring.length]!);
      sent += MIB;
    },
  });
}

const backend = gcs({ bucket, apiEndpoint: endpoint });
await backend.exists('warm-up');
const baseMiB = Math.round(process.memoryUsage().rss / MIB);
const start = performance.now();
const info = await backend.write('rss/big.bin', body(), partSize ? { partSize } : {});
if (info.size !== total) throw new Error(`stored ${info.size} bytes`);
const ms = performance.now() - start;
await backend.delete('rss/big.bin');
const peakMiB = Math.round((process.resourceUsage().maxRSS * 1024) / MIB);
console.log(JSON.stringify({ peakMiB, baseMiB, ms }));
