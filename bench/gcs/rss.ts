/**
 * Only the memory rows of the gcs benchmark: peak RSS growth of 1 GiB of
 * unknown length streamed through the adapter and through the raw SDK, each
 * in a fresh child process (`rss-child.ts`), on a fake-gcs-server started
 * here (memory backend). Prints one line per run and a markdown table; it
 * does not write RESULTS.md.
 *
 * Run: `flock /tmp/stowage-bench.lock npx tsx bench/gcs/rss.ts [partSize ...]`
 * (part sizes default to `16MiB`; `none` is one streaming request;
 * env BENCH_RSS_MIB for the size, BENCH_RSS_RUNS for runs per side and mode).
 */
import { loadavg } from 'node:os';
import { Storage } from '@google-cloud/storage';
import { startFakeGcs } from '../../test/emulators/fake-gcs.js';
import { peakRss, type RssResult } from './common.js';

const MIB = Number(process.env.BENCH_RSS_MIB ?? 1024);
const RUNS = Number(process.env.BENCH_RSS_RUNS ?? 1);
const modes = (process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['16MiB']).map((m) =>
  m === 'none' ? undefined : m,
);

const emulator = await startFakeGcs({ backend: 'memory' });
try {
  const raw = new Storage({ apiEndpoint: emulator.endpoint, projectId: 'stowage-bench' });
  const bucket = `rss-${Date.now().toString(36)}`;
  await raw.createBucket(bucket);
  await raw.createBucket(`${bucket}-raw`);
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
  const rows: RssResult[] = [];
  for (const partSize of modes) {
    for (let run = 0; run < RUNS; run++) {
      // Alternate which side goes first.
      const sides = run % 2 === 0 ? (['stowage', 'raw'] as const) : (['raw', 'stowage'] as const);
      for (const side of sides) {
        const r = peakRss(emulator.endpoint, side === 'raw' ? `${bucket}-raw` : bucket, MIB, side, partSize);
        console.log(
          `RSS ${side} ${partSize ?? 'one request'}: +${r.peakMiB - r.baseMiB} MiB (peak ${r.peakMiB}, baseline ${r.baseMiB}), ${(r.ms / 1000).toFixed(1)} s`,
        );
        rows.push(r);
      }
    }
  }
  console.log(
    `\nDate ${new Date().toISOString()}; load average before: ${load}; after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}\n`,
  );
  console.log('| side | mode | growth | peak / baseline | peak before the upload | time |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.side === 'raw' ? 'raw SDK `createWriteStream`' : 'stowage `write`'} | ${r.partSize ? `${r.partSize} chunks` : 'one streaming request'} | ${r.peakMiB - r.baseMiB} MiB | ${r.peakMiB} / ${r.baseMiB} MiB | ${r.startPeakMiB} MiB | ${(r.ms / 1000).toFixed(1)} s |`,
    );
  }
} finally {
  await emulator.stop();
}
