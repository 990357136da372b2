/**
 * The azure adapter against raw `@azure/storage-blob` on the same Azurite
 * (on-disk), in one run: 256 MiB upload and download, and 1,000 × 4 KiB PUT
 * and GET at concurrency 16. Medians of several rounds, sides alternating
 * within each round; writes bench/azure/RESULTS.md.
 *
 * Then uploads a 1 GiB generated stream and reports the peak RSS growth.
 * Each side has its own container, so neither's blobs are in the other's
 * listings or indexes. Records client CPU (this process) per side and the
 * load average, since Azurite shares the machine.
 *
 * Run: `flock /tmp/stowage-bench.lock npx tsx bench/azure/run.ts` (env BENCH_ROUNDS, BENCH_BIG_ROUNDS, BENCH_BIG_MIB,
 * BENCH_MEMORY_GIB to change the sizes; BENCH_MEMORY_GIB=0 skips the memory check).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { Readable } from 'node:stream';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { azure } from '../../src/backends/azure/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { azuriteConnectionString, startAzurite } from '../../test/emulators/azurite.js';
import { drain, streamOf } from '../streams.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const BIG_ROUNDS = Number(process.env.BENCH_BIG_ROUNDS ?? 5);
const BIG = Number(process.env.BENCH_BIG_MIB ?? 256) * 1024 * 1024;
const SMALL = 4 * 1024;
const SMALL_COUNT = 1000;
const CONCURRENCY = 16;
const BLOCK_SIZE = 8 * 1024 * 1024;
const BLOCK_CONCURRENCY = 4;
const MEMORY_GIB = Number(process.env.BENCH_MEMORY_GIB ?? 1);

async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Wall-clock and CPU milliseconds (this process, user + system) `fn` took. */
async function timed(fn: () => Promise<void>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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
    const container = service.getContainerClient('bench-raw');
    await container.create();
    await service.getContainerClient('bench-stowage').create();
    const big = randomBytes(BIG);
    const small = randomBytes(SMALL);
    const sides = {
      raw: rawSide(container, big, small),
      stowage: adapterSide(
        azure({
          container: 'bench-stowage',
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
    const rows: string[] = [];
    const loadBefore = loadavg();
    for (const op of ops) {
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
      const mbps = (ms: number) => (op.bytes / 1024 / 1024 / (ms / 1000)).toFixed(1);
      const line = `| ${op.name} | ${op.rounds} | ${raw.toFixed(0)} ms (${mbps(raw)} MiB/s) | ${ours.toFixed(0)} ms (${mbps(ours)} MiB/s) | ${(raw / ours).toFixed(2)}× | ${median(cpu.raw).toFixed(0)} / ${median(cpu.stowage).toFixed(0)} ms |`;
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
each side writes to its own container.
Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, shared with other work,
so absolute figures are noisy; the ratio is what matters. Each cell is the median of the rounds shown;
within a round the two sides alternate which goes first. Ratio = raw time / stowage time (≥ 1 means
stowage is as fast or faster; the target is ≥ 0.9×). Client CPU is this process's user + system time
(median), steadier than wall time when Azurite competes for the same cores.

- Upload: a ${BIG / 1024 / 1024} MiB stream of unknown length in 64 KiB chunks. Raw: \`uploadStream(stream, 8 MiB, 4)\`.
  stowage: \`write(key, stream)\` with \`blockSize: 8 MiB, concurrency: 4\` (staged blocks + commit).
- Download: raw \`download()\` body drained; stowage \`stream()\` drained (with its resume/idle-timeout wrapper).
- Small objects: raw \`upload(buf, 4096)\` / \`download()\` + drain; stowage \`write(key, bytes)\` / \`read(key)\`.

| operation | rounds | raw SDK | stowage | ratio | client CPU raw / stowage |
|---|---|---|---|---|---|
${rows.join('\n')}
${memory ?? ''}`;
    await writeFile(new URL('./RESULTS.md', import.meta.url), report);
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
    container: 'bench-stowage',
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
