/**
 * Diagnostics for the Azure read paths (not the benchmark): compares the
 * requests the adapter and the raw SDK send (through a recording proxy), and
 * times downloads in many alternating rounds, with variants that isolate the
 * adapter's wrapper from its request.
 *
 * Run: `flock /tmp/stowage-bench.lock npx tsx bench/azure/probe.ts` (env PROBE_MIB, PROBE_ROUNDS,
 * PROBE_SMALL_ROUNDS; PROBE_VARIANTS=raw,stowage,... picks variants; PROBE_SKIP_PROXY=1 skips the
 * request comparison).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { BlobServiceClient } from '@azure/storage-blob';
import { collectDownload, openBlobDownload, wrapDownload } from '../../src/backends/azure/download.js';
import { azure } from '../../src/backends/azure/index.js';
import { startProxy } from '../../test/backends/azure/proxy.js';
import { azuriteConnectionString, startAzurite } from '../../test/emulators/azurite.js';
import { drain } from '../streams.js';
import { median, pool } from '../timing.js';
import { smallGets } from './small-gets.js';

const MIB = Number(process.env.PROBE_MIB ?? 256);
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 15);
const SMALL_ROUNDS = Number(process.env.PROBE_SMALL_ROUNDS ?? 9);

const handle = await startAzurite();
try {
  const cs = azuriteConnectionString(handle.endpoint);
  const service = BlobServiceClient.fromConnectionString(cs);
  const container = service.getContainerClient('probe');
  await container.create();
  const big = randomBytes(MIB * 1024 * 1024);
  await container
    .getBlockBlobClient('big.bin')
    .uploadData(big, { blockSize: 8 * 1024 * 1024, concurrency: 4 });
  const small = randomBytes(4096);
  for (let i = 0; i < 1000; i++) await container.getBlockBlobClient(`small/${i}`).upload(small, 4096);
  // The same bytes written through the adapter (Put Blob with its headers), as the benchmark's stowage side does.
  const writer = azure({ container: 'probe', connectionString: azuriteConnectionString(handle.endpoint) });
  for (let i = 0; i < 1000; i++) await writer.write(`written/${i}`, small);

  if (process.env.PROBE_SKIP_PROXY === undefined) {
    // 1. The requests each side sends, through a recording proxy.
    const proxy = await startProxy(handle.endpoint);
    const pcs = azuriteConnectionString(proxy.endpoint);
    const pservice = BlobServiceClient.fromConnectionString(pcs);
    const pstore = azure({ container: 'probe', connectionString: pcs });
    await drain(
      (await pservice.getContainerClient('probe').getBlobClient('big.bin').download()).readableStreamBody!,
    );
    await drain(await pstore.stream('big.bin'));
    await drain(
      (await pservice.getContainerClient('probe').getBlobClient('small/1').download()).readableStreamBody!,
    );
    await pstore.read('small/1');
    for (const r of proxy.requests) {
      const h = { ...r.headers };
      delete h.authorization;
      delete h['x-ms-date'];
      delete h['x-ms-client-request-id'];
      console.log(r.method, r.url, JSON.stringify(h));
    }
    await proxy.stop();
  }

  // 2. Alternating download rounds.
  const store = azure({ container: 'probe', connectionString: cs });
  const variants: Record<string, () => Promise<number>> = {
    raw: async () => drain((await container.getBlobClient('big.bin').download()).readableStreamBody!),
    stowage: async () => drain(await store.stream('big.bin')),
    rawNoRetry: async () =>
      drain(
        (await container.getBlobClient('big.bin').download(0, undefined, { maxRetryRequests: 0 }))
          .readableStreamBody!,
      ),
    // The adapter's request, body drained without the wrapper.
    adapterBare: async () => {
      const client = (await store.containerClient()).getBlobClient('big.bin');
      const opened = await openBlobDownload(
        client,
        {},
        {
          context: { operation: 'stream', key: 'big.bin', container: 'probe' },
          idleTimeoutMs: 120_000,
          retries: 5,
          customerProvidedKey: undefined,
          stat: () => store.stat('big.bin'),
        },
      );
      return drain(opened!.body);
    },
    // The raw SDK's body through the adapter's wrapper.
    rawWrapped: async () => {
      const response = await container.getBlobClient('big.bin').download();
      return drain(
        wrapDownload(response.readableStreamBody!, {
          idleTimeoutMs: 120_000,
          context: { operation: 'stream', key: 'big.bin', container: 'probe' },
          length: response.contentLength!,
          retries: 0,
          reopen: async () => undefined,
        }),
      );
    },
  };
  const only = process.env.PROBE_VARIANTS?.split(',');
  const names = Object.keys(variants).filter((n) => only === undefined || only.includes(n));
  for (const n of ROUNDS > 0 ? names : []) await variants[n]!();
  const times: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  console.log(
    'load before',
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  );
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const n of order) {
      const c = process.cpuUsage();
      const t = performance.now();
      const got = await variants[n]!();
      const ms = performance.now() - t;
      const u = process.cpuUsage(c);
      if (got !== big.byteLength) throw new Error('short');
      (times[n] ??= []).push(ms);
      (cpu[n] ??= []).push((u.user + u.system) / 1000);
    }
  }
  for (const n of ROUNDS > 0 ? names : []) {
    const s = [...times[n]!].sort((a, b) => a - b);
    const paired = times[n]!.map((t, i) => times.raw![i]! / t);
    console.log(
      `${MIB} MiB down ${n}: median ${median(s).toFixed(0)} ms, min ${s[0]!.toFixed(0)}, max ${s.at(-1)!.toFixed(0)}, cpu ${median(cpu[n]!).toFixed(0)} ms; ratio raw/this ${(median(times.raw ?? s) / median(s)).toFixed(2)}, median paired ${median(paired).toFixed(2)}, cpu ratio ${(median(cpu.raw!) / median(cpu[n]!)).toFixed(2)}`,
    );
  }
  // 3. Small GETs.
  const smallGet = smallGets(container, store);
  const written = smallGets(container, store, 'written');
  const smallVariants: Record<string, () => Promise<void>> = {
    raw: smallGet.raw,
    stowage: smallGet.stowage,
    rawOnAdapterWritten: written.raw,
    stowageOnAdapterWritten: written.stowage,
    // The raw side again, to see how far two runs of the same thing differ.
    raw2: smallGet.raw,
    rawOptsNoCond: () =>
      pool(1000, 16, async (i) => {
        const response = await container.getBlobClient(`small/${i}`).download(0, undefined, {
          maxRetryRequests: 0,
        });
        await drain(response.readableStreamBody!);
      }),
    // The raw call on the adapter's own container client (its pipeline).
    rawOnAdapterClient: async () => {
      const own = await store.containerClient();
      await pool(1000, 16, async (i) => {
        await drain((await own.getBlobClient(`small/${i}`).download()).readableStreamBody!);
      });
    },
    // The raw call with the options object the adapter passes.
    rawOpts: () =>
      pool(1000, 16, async (i) => {
        const response = await container.getBlobClient(`small/${i}`).download(0, undefined, {
          abortSignal: undefined,
          conditions: { ifMatch: undefined, ifNoneMatch: undefined },
          maxRetryRequests: 0,
          customerProvidedKey: undefined,
        });
        await drain(response.readableStreamBody!);
      }),
    // The raw call, body gathered by the adapter's pump.
    rawCollect: () =>
      pool(1000, 16, async (i) => {
        const response = await container.getBlobClient(`small/${i}`).download();
        await collectDownload(response.readableStreamBody!, {
          idleTimeoutMs: 120_000,
          context: { operation: 'read', key: 'k', container: 'probe' },
          length: response.contentLength!,
          retries: 5,
          reopen: async () => undefined,
        });
      }),
  };
  const smallNames = Object.keys(smallVariants).filter((n) => only === undefined || only.includes(n));
  const st: Record<string, number[]> = {};
  const sc: Record<string, number[]> = {};
  for (const n of smallNames) {
    st[n] = [];
    sc[n] = [];
    await smallVariants[n]!();
  }
  for (let round = 0; round < SMALL_ROUNDS; round++) {
    const order = round % 2 === 0 ? smallNames : [...smallNames].reverse();
    for (const n of order) {
      const c = process.cpuUsage();
      const t = performance.now();
      await smallVariants[n]!();
      const u = process.cpuUsage(c);
      st[n]!.push(performance.now() - t);
      sc[n]!.push((u.user + u.system) / 1000);
    }
  }
  for (const n of smallNames)
    console.log(
      `1000 small GET ${n}: median ${median(st[n]!).toFixed(0)} ms, all ${st[n]!.map((x) => x.toFixed(0)).join(' ')}; cpu ${median(sc[n]!).toFixed(0)} ms`,
    );
  console.log(
    'load after',
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  );
} finally {
  await handle.stop();
}
