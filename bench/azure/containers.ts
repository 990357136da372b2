/**
 * Diagnostic (not the benchmark): the raw SDK alone reads 1,000 × 4 KiB blobs
 * at concurrency 16 from several containers and key prefixes on one Azurite,
 * rounds alternating. It showed Azurite answering GETs from the container
 * named `bench-stowage` 12–17 % slower than from `bench-raw`, whatever the
 * key prefix or the order the containers were created in, which is why
 * bench/azure/run.ts now puts both sides in one container.
 *
 * Run: `flock /tmp/stowage-bench.lock npx tsx bench/azure/containers.ts` (CREATE_REVERSED=1: creation order reversed).
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { azuriteConnectionString, startAzurite } from '../../test/emulators/azurite.js';
import { drain } from '../streams.js';
import { median, pool } from '../timing.js';
const handle = await startAzurite();
try {
  const service = BlobServiceClient.fromConnectionString(azuriteConnectionString(handle.endpoint));
  const small = Buffer.alloc(4096, 1);
  const sets = [
    ['bench-raw', 'raw/small/'],
    ['bench-stowage', 'stowage/small/'],
    ['bench-raw', 'stowage/small/'],
    ['bench-stowage', 'raw/small/'],
    ['bench-zzz', 'z/'],
    ['bench-stowagex', 'stowage/small/'],
  ] as const;
  // CREATE_REVERSED=1 creates the containers in the opposite order (the sets are written in the same order).
  const reversed = process.env.CREATE_REVERSED === '1';
  const names = [...new Set(sets.map((s) => s[0]))];
  for (const c of reversed ? names.reverse() : names) await service.getContainerClient(c).create();
  for (const [c, p] of sets)
    await pool(1000, 16, async (i) => {
      await service.getContainerClient(c).getBlockBlobClient(`${p}${i}`).upload(small, 4096);
    });
  const times = sets.map(() => [] as number[]);
  for (let round = 0; round < 9; round++) {
    const order = sets.map((_, i) => i);
    if (round % 2) order.reverse();
    for (const k of order) {
      const [c, p] = sets[k]!;
      const cc = service.getContainerClient(c);
      const t = performance.now();
      await pool(1000, 16, async (i) => {
        await drain((await cc.getBlobClient(`${p}${i}`).download()).readableStreamBody!);
      });
      times[k]!.push(performance.now() - t);
    }
  }
  for (const [k, [c, p]] of sets.entries())
    console.log(c.padEnd(15), p.padEnd(15), median(times[k]!).toFixed(0), 'ms');
} finally {
  await handle.stop();
}
