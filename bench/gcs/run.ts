/**
 * The gcs adapter against raw `@google-cloud/storage` on the same
 * fake-gcs-server (memory backend, started here: its filesystem backend
 * fsyncs every object, which would make the small-object rounds measure the
 * disk rather than the clients), in one run: 256 MiB
 * upload and download, and 1,000 × 4 KiB PUT and GET at concurrency 16.
 * Medians of several rounds, the two sides alternating which goes first in
 * each round; then the peak RSS while streaming 1 GiB of unknown length (in a
 * child process, so nothing else counts), through the adapter and through the
 * raw SDK. Writes bench/gcs/RESULTS.md.
 *
 * Each side writes to its own bucket. fake-gcs-server's memory backend keeps
 * a bucket's objects in one list, searched from the start under a global
 * lock on every write: in a shared bucket, the side whose keys were written
 * first is found sooner, and was measured 20-30 % faster for the same
 * requests whichever client it was.
 *
 * Run: `npx tsx bench/gcs/run.ts`
 * (env BENCH_ROUNDS, BENCH_BIG_ROUNDS, BENCH_BIG_MIB, BENCH_RSS_MIB to change the sizes;
 * STOWAGE_TEST_GCS_ENDPOINT to use a running emulator instead).
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { type Bucket, Storage } from '@google-cloud/storage';
import { gcs } from '../../src/backends/gcs/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { startFakeGcs } from '../../test/emulators/fake-gcs.js';
import { drain, streamOf } from '../streams.js';
import { median, pool, timed } from '../timing.js';
import { emulatorCpu, peakRss, type RssResult } from './common.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const BIG_ROUNDS = Number(process.env.BENCH_BIG_ROUNDS ?? 5);
const BIG = Number(process.env.BENCH_BIG_MIB ?? 256) * 1024 * 1024;
const RSS_MIB = Number(process.env.BENCH_RSS_MIB ?? 1024);
const SMALL = 4 * 1024;
const SMALL_COUNT = 1000;
const CONCURRENCY = 16;

interface Side {
  bigUp(): Promise<void>;
  bigDown(): Promise<void>;
  smallPut(): Promise<void>;
  smallGet(): Promise<void>;
}

/** The raw SDK as its docs show it: streams through createWriteStream / createReadStream, save / download for small objects. */
function rawSide(bucket: Bucket, big: Buffer, small: Buffer): Side {
  return {
    bigUp: async () => {
      const sink = bucket.file('raw/big.bin').createWriteStream({ resumable: true });
      await new Promise<void>((resolve, reject) => {
        sink.on('finish', resolve).on('error', reject);
        streamOf(big).pipe(sink);
      });
    },
    bigDown: async () => {
      const n = await drain(bucket.file('raw/big.bin').createReadStream());
      if (n !== big.byteLength) throw new Error(`raw read ${n} bytes`);
    },
    smallPut: () =>
      pool(SMALL_COUNT, CONCURRENCY, async (i) => {
        await bucket.file(`raw/small/${i}`).save(small, { resumable: false });
      }),
    smallGet: () =>
      pool(SMALL_COUNT, CONCURRENCY, async (i) => {
        const [data] = await bucket.file(`raw/small/${i}`).download();
        if (data.byteLength !== SMALL) throw new Error('raw small read');
      }),
  };
}

function adapterSide(backend: StorageBackend, big: Buffer, small: Buffer): Side {
  return {
    bigUp: async () => {
      // Length unknown to the adapter, as a file or socket would be: one streaming resumable request.
      await backend.write('stowage/big.bin', streamOf(big));
    },
    bigDown: async () => {
      const n = await drain(await backend.stream('stowage/big.bin'));
      if (n !== big.byteLength) throw new Error(`adapter read ${n} bytes`);
    },
    smallPut: () =>
      pool(SMALL_COUNT, CONCURRENCY, async (i) => {
        await backend.write(`stowage/small/${i}`, small);
      }),
    smallGet: () =>
      pool(SMALL_COUNT, CONCURRENCY, async (i) => {
        const data = await backend.read(`stowage/small/${i}`);
        if (data.byteLength !== SMALL) throw new Error('adapter small read');
      }),
  };
}

type Scenario = keyof Side;
const SCENARIOS: { name: Scenario; label: string; bytes: number; rounds: number }[] = [
  { name: 'bigUp', label: `${BIG / 2 ** 20} MiB upload (stream)`, bytes: BIG, rounds: BIG_ROUNDS },
  { name: 'bigDown', label: `${BIG / 2 ** 20} MiB download (stream)`, bytes: BIG, rounds: BIG_ROUNDS },
  {
    name: 'smallPut',
    label: `${SMALL_COUNT} × 4 KiB PUT (c=${CONCURRENCY})`,
    bytes: SMALL * SMALL_COUNT,
    rounds: ROUNDS,
  },
  {
    name: 'smallGet',
    label: `${SMALL_COUNT} × 4 KiB GET (c=${CONCURRENCY})`,
    bytes: SMALL * SMALL_COUNT,
    rounds: ROUNDS,
  },
];

async function main(): Promise<void> {
  const given = process.env.STOWAGE_TEST_GCS_ENDPOINT;
  const emulator = given ? undefined : await startFakeGcs({ backend: 'memory' });
  const endpoint = given ?? emulator!.endpoint;
  try {
    const raw = new Storage({ apiEndpoint: endpoint, projectId: 'stowage-bench' });
    const bucketName = `bench-${Date.now().toString(36)}`;
    const [bucket] = await raw.createBucket(`${bucketName}-raw`);
    await raw.createBucket(bucketName);
    const backend = gcs({ bucket: bucketName, apiEndpoint: endpoint });
    const loadBefore = loadavg();
    const serverCpu = emulatorCpu(new URL(endpoint).port);
    const big = randomBytes(BIG);
    const small = randomBytes(SMALL);
    const sides = { raw: rawSide(bucket, big, small), stowage: adapterSide(backend, big, small) };

    // Warm both sides up (SDK load, sockets), then measure.
    await sides.raw.smallPut();
    await sides.stowage.smallPut();
    const results: Row[] = [];
    for (const scenario of SCENARIOS) {
      const times = { raw: [] as number[], stowage: [] as number[] };
      const cpu = { raw: [] as number[], stowage: [] as number[] };
      const emulator = { raw: [] as number[], stowage: [] as number[] };
      for (let round = 0; round < scenario.rounds; round++) {
        const order = round % 2 === 0 ? (['raw', 'stowage'] as const) : (['stowage', 'raw'] as const);
        for (const side of order) {
          const serverBefore = serverCpu();
          const t = await timed(() => sides[side][scenario.name]());
          times[side].push(t.ms);
          cpu[side].push(t.cpuMs);
          emulator[side].push(serverCpu() - serverBefore);
        }
      }
      const row: Row = {
        label: scenario.label,
        bytes: scenario.bytes,
        rounds: scenario.rounds,
        raw: median(times.raw),
        stowage: median(times.stowage),
        rawCpu: median(cpu.raw),
        stowageCpu: median(cpu.stowage),
        rawServer: median(emulator.raw),
        stowageServer: median(emulator.stowage),
      };
      results.push(row);
      console.log(
        `${row.label}: raw ${row.raw.toFixed(0)} ms (cpu ${row.rawCpu.toFixed(0)}, emulator ${row.rawServer}), stowage ${row.stowage.toFixed(0)} ms (cpu ${row.stowageCpu.toFixed(0)}, emulator ${row.stowageServer}), speed ratio ${(row.raw / row.stowage).toFixed(2)}x`,
      );
    }
    await backend.close();

    const loadAfterTimings = loadavg();
    const rss: RssResult[] = [];
    for (const partSize of [undefined, '16MiB']) {
      for (const side of ['stowage', 'raw'] as const) {
        const r = peakRss(
          endpoint,
          side === 'raw' ? `${bucketName}-raw` : bucketName,
          RSS_MIB,
          side,
          partSize,
        );
        console.log(
          `RSS ${side} ${partSize ?? 'one request'}: peak ${r.peakMiB} MiB, baseline ${r.baseMiB} MiB (+${r.peakMiB - r.baseMiB}), ${(r.ms / 1000).toFixed(1)} s`,
        );
        rss.push(r);
      }
    }
    await writeFile(
      new URL('./RESULTS.md', import.meta.url),
      report(results, rss, [loadBefore, loadAfterTimings]),
    );
  } finally {
    await emulator?.stop();
  }
}

interface Row {
  label: string;
  bytes: number;
  rounds: number;
  raw: number;
  stowage: number;
  rawCpu: number;
  stowageCpu: number;
  rawServer: number;
  stowageServer: number;
}

function report(rows: Row[], rss: RssResult[], load: number[][]): string {
  const mbps = (bytes: number, ms: number) => (bytes / 2 ** 20 / (ms / 1000)).toFixed(1);
  const avg = (l: number[]) => l.map((x) => x.toFixed(2)).join(', ');
  const lines = [
    '# gcs benchmark: stowage/gcs vs raw @google-cloud/storage',
    '',
    'Command: `flock /tmp/stowage-bench.lock npx tsx bench/gcs/run.ts` (fake-gcs-server 1.56 on its memory backend, started by the script on 127.0.0.1; each side has its own bucket).',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average (1, 5, 15 min) ${avg(load[0]!)} before the timings, ${avg(load[1]!)} after.`,
    `Date: ${new Date().toISOString()}. Medians of the rounds shown; the two sides alternate which goes first.`,
    '',
    '| scenario | rounds | raw SDK (median) | stowage (median) | stowage / raw speed | client CPU raw / stowage | emulator CPU raw / stowage |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.rounds} | ${r.raw.toFixed(0)} ms (${mbps(r.bytes, r.raw)} MiB/s) | ${r.stowage.toFixed(0)} ms (${mbps(r.bytes, r.stowage)} MiB/s) | ${(r.raw / r.stowage).toFixed(2)}× | ${r.rawCpu.toFixed(0)} / ${r.stowageCpu.toFixed(0)} ms | ${r.rawServer} / ${r.stowageServer} ms |`,
    ),
    '',
    "Speed ratio = raw time / stowage time (above 1: stowage is faster). Client CPU is this process's user + system time for the scenario (median), emulator CPU the fake-gcs-server process's (from /proc, 10 ms ticks): the emulator shares the 2 cores with the client and other jobs, so CPU is the steadier measure of the work each side causes.",
    '',
    `Memory: ${RSS_MIB} MiB of unknown length in fresh 64 KiB chunks (as a file stream gives), each run in a fresh process; growth = peak RSS (the child's VmHWM) − RSS just before the upload:`,
    '',
    '| side | mode | growth | peak / baseline | peak before the upload | time |',
    '|---|---|---:|---:|---:|---:|',
    ...rss.map(
      (r) =>
        `| ${r.side === 'raw' ? 'raw SDK `createWriteStream`' : 'stowage `write`'} | ${r.partSize ? `${r.partSize} chunks` : 'one streaming request'} | ${r.peakMiB - r.baseMiB} MiB | ${r.peakMiB} / ${r.baseMiB} MiB | ${r.startPeakMiB} MiB | ${(r.ms / 1000).toFixed(1)} s |`,
    ),
    '',
    'What each side does:',
    '- raw: `file.createWriteStream({ resumable: true })` (one streaming request, CRC32C), `file.createReadStream()`, `file.save(buf, { resumable: false })`, `file.download()`.',
    '- stowage: `write(stream)` (unknown length → one streaming resumable request, CRC32C; a failed or aborted source never finalises the object), `stream()` (own media request, CRC32C checked), `write(bytes)` (one request), `read()`.',
    '- memory rows with chunks: raw `createWriteStream({ resumable: true, chunkSize })`; stowage `write(stream, { partSize })`, which runs the resumable protocol itself (one `PUT` per chunk from two chunk buffers allocated once, CRC32C in `X-Goog-Hash`).',
    '',
  ];
  return lines.join('\n');
}

await main();
