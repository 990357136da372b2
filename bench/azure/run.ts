/**
 * The azure adapter against raw `@azure/storage-blob` on the same Azurite
 * (on-disk), in one run: 256 MiB upload and download, and 1,000 × 4 KiB PUT
 * and GET at concurrency 16. Medians of several rounds, sides alternating
 * within each round (ABBA), with the spread of each side and the median of the
 * per-round ratios (each round pairs two runs made back to back, so a slow
 * spell of the shared machine hits both); writes bench/azure/RESULTS.md,
 * keeping its hand-written part from `## Notes` on.
 *
 * Then uploads a 1 GiB generated stream and reports the peak RSS growth.
 * Both sides use one container, keys under `raw/` and `stowage/`: with a
 * container each, the raw SDK itself read 1,000 small blobs about 12 % slower
 * from the container named `bench-stowage` than from `bench-raw` (Azurite's
 * doing; see RESULTS.md), which the benchmark then charged to the adapter.
 * Records client CPU (this process) per side and the load average, since
 * Azurite shares the machine.
 *
 * Run: `flock /tmp/stowage-bench.lock npx tsx bench/azure/run.ts` (env BENCH_ROUNDS, BENCH_BIG_ROUNDS, BENCH_BIG_MIB,
 * BENCH_MEMORY_GIB to change the sizes; BENCH_MEMORY_GIB=0 skips the memory check; BENCH_OPS=smallGet,...
 * times only those operations and writes no RESULTS.md).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { Readable } from 'node:stream';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { azure } from '../../src/backends/azure/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { azuriteConnectionString, startAzurite } from '../../test/emulators/azurite.js';
import { drain, streamOf } from '../streams.js';
import { pool, timed } from '../timing.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const BIG_ROUNDS = Number(process.env.BENCH_BIG_ROUNDS ?? 11);
const BIG = Number(process.env.BENCH_BIG_MIB ?? 256) * 1024 * 1024;
const SMALL = 4 * 1024;
const SMALL_COUNT = 1000;
const CONCURRENCY = 16;
const BLOCK_SIZE = 8 * 1024 * 1024;
const BLOCK_CONCURRENCY = 4;
const MEMORY_GIB = Number(process.env.BENCH_MEMORY_GIB ?? 1);
/** One container for both sides (see above). */
const CONTAINER = 'bench';

function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** The q-quantile of `values` (linear between the two nearest ranks). */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low]! + (sorted[Math.ceil(at)]! - sorted[low]!) * (at - low);
}

interface Side {
  bigUp(): Promise<void>;
  bigDown(): Promise<void>;
  smallPut(): Promise<void>;
  smallGet(): Promise<void>;
}

function rawSide(container: ContainerClient, big: Buffer, small: Buffer): Side {
  return {
    bigUp: async () => {
      await container
        .getBlockBlobClient('raw/big.bin')
        .uploadStream(streamOf(big), BLOCK_SIZE, BLOCK_CONCURRENCY);
    },
    bigDown: async () => {
      const response = await container.getBlobClient('raw/big.bin').download();
      if ((await drain(response.readableStreamBody!)) !== big.byteLength) throw new Error('short download');
    },
    smallPut: () =>
      pool(SMALL_COUNT, CONCURRENCY, async (i) => {
        await container.getBlockBlobClient(`raw/small/${i}`).upload(small, small.byteLength);
      }),
    smallGet: () =>
      pool(SMALL_COUNT, CONCURRENCY, async (i) => {
        const response = await container.getBlobClient(`raw/small/${i}`).download();
        if ((await drain(response.readableStreamBody!)) !== SMALL) throw new Error('short read');
      }),
  };
}

function adapterSide(storage: StorageBackend, big: Buffer, small: Buffer): Side {
  return {
    bigUp: async () => {
      await storage.write('stowage/big.bin', streamOf(big));
    },
    bigDown: async () => {
      if ((await drain(await storage.stream('stowage/big.bin'))) !== big.byteLength)
        throw new Error('short download');
    },
    smallPut: () =>
      pool(SMALL_COUNT, CONCURRENCY, async (i) => {
        await storage.write(`stowage/small/${i}`, small);
      }),
    smallGet: () =>
      pool(SMALL_COUNT, CONCURRENCY, async (i) => {
        if ((await storage.read(`stowage/small/${i}`)).byteLength !== SMALL) throw new Error('short read');
      }),
  };
}

async function main(): Promise<void> {
  const handle = await startAzurite();
  try {
    const connectionString = azuriteConnectionString(handle.endpoint);
    const service = BlobServiceClient.fromConnectionString(connectionString);
    const container = service.getContainerClient(CONTAINER);
    await container.create();
    const big = randomBytes(BIG);
    const small = randomBytes(SMALL);
    const sides = {
      raw: rawSide(container, big, small),
      stowage: adapterSide(
        azure({
          container: CONTAINER,
          connectionString,
          blockSize: BLOCK_SIZE,
          concurrency: BLOCK_CONCURRENCY,
        }),
        big,
        small,
      ),
    };
    const ops = [
      {
        name: `${BIG / 1024 / 1024} MiB upload (stream, 8 MiB blocks × 4)`,
        run: 'bigUp',
        rounds: BIG_ROUNDS,
        bytes: BIG,
      },
      { name: `${BIG / 1024 / 1024} MiB download (stream)`, run: 'bigDown', rounds: BIG_ROUNDS, bytes: BIG },
      {
        name: `${SMALL_COUNT} × 4 KiB PUT (concurrency ${CONCURRENCY})`,
        run: 'smallPut',
        rounds: ROUNDS,
        bytes: SMALL_COUNT * SMALL,
      },
      {
        name: `${SMALL_COUNT} × 4 KiB GET (concurrency ${CONCURRENCY})`,
        run: 'smallGet',
        rounds: ROUNDS,
        bytes: SMALL_COUNT * SMALL,
      },
    ] as const;
    // Warm-up: connections, JIT, and the objects the reads need.
    for (const side of Object.values(sides)) {
      await side.bigUp();
      await side.bigDown();
      await side.smallPut();
      await side.smallGet();
    }
    const only = process.env.BENCH_OPS?.split(',');
    const rows: string[] = [];
    const summary: string[] = [];
    const loadBefore = loadavg();
    for (const op of ops.filter((o) => only === undefined || only.includes(o.run))) {
      const times: Record<'raw' | 'stowage', number[]> = { raw: [], stowage: [] };
      const cpu: Record<'raw' | 'stowage', number[]> = { raw: [], stowage: [] };
      for (let round = 0; round < op.rounds; round++) {
        // Alternate which side goes first so neither always gets the warmer emulator.
        const order = round % 2 === 0 ? (['raw', 'stowage'] as const) : (['stowage', 'raw'] as const);
        for (const name of order) {
          const t = await timed(() => sides[name][op.run]());
          times[name].push(t.ms);
          cpu[name].push(t.cpuMs);
        }
      }
      const raw = median(times.raw);
      const ours = median(times.stowage);
      const paired = times.raw.map((t, i) => t / times.stowage[i]!);
      const mbps = (ms: number) => (op.bytes / 1024 / 1024 / (ms / 1000)).toFixed(1);
      const spread = (v: number[]) => `${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)}`;
      const line = `| ${op.name} | ${op.rounds} | ${raw.toFixed(0)} ms (${mbps(raw)} MiB/s; ${spread(times.raw)}) | ${ours.toFixed(0)} ms (${mbps(ours)} MiB/s; ${spread(times.stowage)}) | **${(raw / ours).toFixed(2)}×** | ${median(paired).toFixed(2)}× (${quantile(paired, 0.25).toFixed(2)}–${quantile(paired, 0.75).toFixed(2)}) | ${median(cpu.raw).toFixed(0)} / ${median(cpu.stowage).toFixed(0)} ms |`;
      summary.push(`${(raw / ours).toFixed(2)}×`);
      console.log(line);
      rows.push(line);
    }
    const loadAfter = loadavg();
    const memory = MEMORY_GIB > 0 ? await memoryCheck(connectionString) : undefined;
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(', ');
    const report = `# Azure adapter benchmark

Command: \`flock /tmp/stowage-bench.lock npx tsx bench/azure/run.ts\` (${new Date().toISOString()}).
Load average (1, 5, 15 min): ${load(loadBefore)} before the timings, ${load(loadAfter)} after.

stowage \`azure()\` against raw \`@azure/storage-blob\` ${sdkVersion()} on one Azurite 3.35 (blob service,
on-disk \`--location\`, \`--loose --skipApiVersionCheck\`), loopback, same process, in one run;
both sides in one container (keys under \`raw/\` and \`stowage/\`).
Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, shared with other work,
so absolute figures are noisy; the ratio is what matters. After one warm-up of every operation on both
sides, each operation runs the rounds shown; within a round the two sides run back to back and
alternate which goes first (raw, stowage, stowage, raw, ...). Times are medians, with the fastest and
slowest round in brackets. Ratio = raw median / stowage median (≥ 1 means stowage is as fast or faster;
the target is ≥ 0.9×). Paired = median of the per-round ratios raw / stowage, with its interquartile
range: a slow spell of the machine hits both runs of a round, so this is the steadier figure.
Client CPU is this process's user + system time (median), steadier than wall time when Azurite competes
for the same cores; bench/azure/overhead.ts measures it without a server.

- Upload: a ${BIG / 1024 / 1024} MiB stream of unknown length in 64 KiB chunks. Raw: \`uploadStream(stream, 8 MiB, 4)\`.
  stowage: \`write(key, stream)\` with \`blockSize: 8 MiB, concurrency: 4\` (staged blocks + commit).
- Download: raw \`download()\` body drained; stowage \`stream()\` drained (with its resume/idle-timeout wrapper).
- Small objects: raw \`upload(buf, 4096)\` / \`download()\` + drain; stowage \`write(key, bytes)\` / \`read(key)\`.

| operation | rounds | raw SDK | stowage | ratio | paired (IQR) | client CPU raw / stowage |
|---|---|---|---|---|---|---|
${rows.join('\n')}
${memory ?? ''}`;
    if (only !== undefined) return; // a partial run is not a result
    const file = new URL('./RESULTS.md', import.meta.url);
    const previous = await readFile(file, 'utf8').catch(() => '');
    const notes = previous.indexOf('\n## Notes');
    await writeFile(file, notes < 0 ? report : `${report}${previous.slice(notes)}`);
    console.log(
      `run row: | ${new Date().toISOString().slice(0, 16)} | ${load(loadBefore)} → ${load(loadAfter)} | ${summary.join(' | ')} |`,
    );
    console.log('wrote bench/azure/RESULTS.md');
  } finally {
    await handle.stop();
  }
}

/**
 * Uploads MEMORY_GIB GiB generated on the fly (nothing held in memory by the
 * source) through the adapter and samples RSS every 20 ms: the peak growth
 * should stay near blockSize × (concurrency + 1), far below the body size.
 */
async function memoryCheck(connectionString: string): Promise<string> {
  const storage = azure({
    container: CONTAINER,
    connectionString,
    blockSize: BLOCK_SIZE,
    concurrency: BLOCK_CONCURRENCY,
  });
  const total = MEMORY_GIB * 1024 ** 3;
  const pattern = randomBytes(1024 * 1024);
  let sent = 0;
  const source = new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      // A fresh copy per chunk, as a file or socket would hand out.
      this.push(Buffer.from(pattern.subarray(0, Math.min(64 * 1024, total - sent))));
      sent += Math.min(64 * 1024, total - sent);
    },
  });
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const { ms } = await timed(async () => {
    await storage.write('stowage/memory.bin', source);
  });
  clearInterval(sampler);
  const growth = (peak - baseline) / 1024 / 1024;
  const bound = (BLOCK_SIZE * BLOCK_CONCURRENCY) / 1024 / 1024 + 64;
  const line = `Memory: a ${MEMORY_GIB} GiB stream of unknown length uploaded through the adapter (8 MiB blocks × 4) in ${(ms / 1000).toFixed(1)} s raised RSS by at most ${growth.toFixed(0)} MiB (bound: blockSize × concurrency + 64 MiB = ${bound} MiB; ${growth <= bound ? 'within' : 'OVER'}).`;
  console.log(line);
  return `\n${line}\n`;
}

function sdkVersion(): string {
  try {
    const pkg = readFileSync(
      new URL('../../node_modules/@azure/storage-blob/package.json', import.meta.url),
      'utf8',
    );
    return (JSON.parse(pkg) as { version: string }).version;
  } catch {
    return '';
  }
}

await main();
