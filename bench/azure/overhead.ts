/**
 * The client-side cost per operation of the azure adapter against the raw
 * SDK, without a server: both sides use one `BlobServiceClient` whose HTTP
 * client answers from memory (a 4 KiB GET body, or a 256 MiB body in 64 KiB
 * chunks, as a socket would hand it out). What is left is the work done in
 * this process per read: the SDK's request pipeline and, for the adapter, its
 * option checks, error context, and the pump that resumes dropped bodies and
 * runs the idle timeout. Rounds alternate the two sides; medians are printed.
 *
 * The 256 MiB case overstates the adapter's cost: this body makes a fresh
 * chunk whenever asked, so the adapter's 1 MiB read-ahead (the SDK stream
 * holds 16 KiB) keeps ~16 chunks live instead of one and pays ~14 ms of
 * cache misses per 256 MiB here. With a 64 KiB read-ahead the two are equal
 * here; on Azurite, where a socket paces the chunks, the client CPU of the
 * two downloads is equal with 1 MiB (RESULTS.md), so the read-ahead stays.
 *
 * Run: `flock /tmp/stowage-bench.lock npx tsx bench/azure/overhead.ts` (env BENCH_ROUNDS).
 */
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import type { HttpClient, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import { BlobServiceClient, newPipeline, StorageSharedKeyCredential } from '@azure/storage-blob';
import { azure } from '../../src/backends/azure/index.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../test/emulators/azurite.js';
import { drain } from '../streams.js';
import { median } from '../timing.js';
import { smallGets } from './small-gets.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const SMALL = Buffer.alloc(4096, 7);
const BIG_CHUNKS = 4096;
const CHUNK = Buffer.alloc(64 * 1024, 9);

/** Answers every GET from memory: `big.bin` is 256 MiB, anything else 4 KiB. */
const memoryHttpClient: HttpClient = {
  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    const big = request.url.includes('big.bin');
    const length = big ? BIG_CHUNKS * CHUNK.byteLength : SMALL.byteLength;
    let sent = 0;
    const body = new Readable({
      read() {
        if (!big) {
          this.push(SMALL);
          this.push(null);
          return;
        }
        // Each chunk a fresh buffer, as a socket hands them out.
        this.push(sent++ < BIG_CHUNKS ? Buffer.from(CHUNK) : null);
      },
    });
    return {
      request,
      status: 200,
      headers: createHttpHeaders({
        'content-length': String(length),
        'content-type': 'application/octet-stream',
        etag: '"0x8DCAFEBABE"',
        'last-modified': 'Mon, 23 Nov 2026 12:00:00 GMT',
        'x-ms-blob-type': 'BlockBlob',
        'x-ms-request-id': '00000000-0000-0000-0000-000000000000',
        'x-ms-version': '2025-01-05',
      }),
      readableStreamBody: body,
    };
  },
};

const endpoint = `http://127.0.0.1:1/${AZURITE_ACCOUNT}`;
const pipeline = newPipeline(new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
// The SDK's own slot for its HTTP client (otherwise one shared default client for every pipeline).
(pipeline as unknown as { _coreHttpClient: HttpClient })._coreHttpClient = memoryHttpClient;
const service = new BlobServiceClient(endpoint, pipeline);
const container = service.getContainerClient('bench');
const store = azure({ container: 'bench', client: service });

const ops = {
  '1000 × 4 KiB GET (c=16)': {
    ...smallGets(container, store),
    perOp: 1000,
  },
  '256 MiB download (64 KiB chunks)': {
    raw: async () => {
      await drain((await container.getBlobClient('big.bin').download()).readableStreamBody!);
    },
    stowage: async () => {
      await drain(await store.stream('big.bin'));
    },
    perOp: 1,
  },
};

console.log(
  `load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`,
);
for (const [name, op] of Object.entries(ops)) {
  const cpu: Record<'raw' | 'stowage', number[]> = { raw: [], stowage: [] };
  for (const side of ['raw', 'stowage'] as const) await op[side]();
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? (['raw', 'stowage'] as const) : (['stowage', 'raw'] as const)) {
      const start = process.cpuUsage();
      await op[side]();
      const used = process.cpuUsage(start);
      cpu[side].push((used.user + used.system) / 1000);
    }
  }
  const unit = op.perOp === 1 ? 'ms' : 'µs per op';
  const scale = op.perOp === 1 ? 1 : 1000 / op.perOp;
  const raw = median(cpu.raw) * scale;
  const ours = median(cpu.stowage) * scale;
  console.log(
    `${name}: client CPU raw ${raw.toFixed(1)} ${unit}, stowage ${ours.toFixed(1)} ${unit} (${(ours - raw).toFixed(1)} more, ratio raw/stowage ${(raw / ours).toFixed(2)})`,
  );
}
console.log(
  `load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`,
);
