/**
 * Which per-chunk allocation makes 64 KiB chunks expensive once the heap is
 * not tiny: `npx tsx bench/encryption/gc.ts [heldObjects=80000] [runs=3]`.
 *
 * Each workload produces 1 GiB of AES-256-GCM output in a synchronous loop
 * (no streams), from a collected heap, while `heldObjects` small objects are
 * kept alive (0 = the bare process, about 5.5 MiB of heap under tsx; 80,000
 * is about 11 MiB, like a process that loaded zod or an AWS SDK client). It
 * reports the median CPU time (user + system, so the collector's helper
 * threads are counted) and the median number of scavenges and mark-compacts
 * (`performance` GC entries) per GiB:
 *
 * - `raw-1MiB`: one cipher, `update` on 1 MiB pieces (the benchmark's raw baseline);
 * - `raw-64KiB`: one cipher, `update` on 64 KiB pieces: no per-chunk cipher,
 *   tag or `final()` buffer, only a 64 KiB output buffer per chunk;
 * - `seal-64KiB`: the middleware's `ChunkCipher.seal` per 64 KiB chunk;
 * - `ciphers-only`: a cipher, `setAAD`, `final` and `getAuthTag` per chunk with a
 *   16-byte `update`: the per-chunk objects without the 64 KiB output;
 * - `buffers-64KiB`: one `Buffer.allocUnsafeSlow(64 KiB)` per chunk, no crypto;
 * - `raw-1MiB+js`: `raw-1MiB` plus four 100-byte arrays per MiB, as any code
 *   that does a little work per piece allocates.
 */
import { createCipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ChunkCipher } from '../../src/middleware/encryption/cipher.js';
import { encodeHeader } from '../../src/middleware/encryption/format.js';

const MiB = 2 ** 20;
const CHUNK = 64 * 1024;
const CHUNKS = (1024 * MiB) / CHUNK;
const held = Array.from({ length: Number(process.argv[2] ?? 80_000) }, (_, i) => ({ i, s: `x${i}` }));
const runs = Number(process.argv[3] ?? 3);

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const source = randomBytes(MiB);
const key = randomBytes(32);
const keyObject = createSecretKey(key);
const nonce = randomBytes(12);
const aad = randomBytes(32);
const header = encodeHeader({
  chunkSize: CHUNK,
  noncePrefix: randomBytes(7),
  keyId: 'k1',
  wrappedKey: randomBytes(60),
});
/** Where results go, so that no allocation is optimised away. */
const kept: { last?: unknown } = {};

const workloads: Record<string, () => void> = {
  'raw-1MiB': () => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    for (let i = 0; i < CHUNKS / 16; i++) kept.last = cipher.update(source);
    cipher.final();
  },
  'raw-64KiB': () => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    for (let i = 0; i < CHUNKS; i++) kept.last = cipher.update(slice(i));
    cipher.final();
  },
  'seal-64KiB': () => {
    const cipher = new ChunkCipher(key, header);
    for (let i = 0; i < CHUNKS; i++) kept.last = cipher.seal(i, false, slice(i));
  },
  'ciphers-only': () => {
    for (let i = 0; i < CHUNKS; i++) {
      const cipher = createCipheriv('aes-256-gcm', keyObject, nonce);
      cipher.setAAD(aad);
      kept.last = cipher.update(source.subarray(0, 16));
      cipher.final();
      kept.last = cipher.getAuthTag();
    }
  },
  'buffers-64KiB': () => {
    for (let i = 0; i < CHUNKS; i++) kept.last = Buffer.allocUnsafeSlow(CHUNK);
  },
  'raw-1MiB+js': () => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    for (let i = 0; i < CHUNKS / 16; i++) {
      for (let j = 0; j < 4; j++) kept.last = new Array(8).fill(i);
      kept.last = cipher.update(source);
    }
    cipher.final();
  },
};

function slice(chunk: number): Buffer {
  const offset = (chunk % 16) * CHUNK;
  return source.subarray(offset, offset + CHUNK);
}

const counts = { scavenges: 0, markCompacts: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as unknown as { detail: { kind: number } }).detail.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.scavenges++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.markCompacts++;
  }
}).observe({ entryTypes: ['gc'] });

/** Lets the observer receive the entries of what just ran. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const loadBefore = loadavg().map((l) => l.toFixed(2));
  for (const run of Object.values(workloads)) run();
  collect();
  const heap = process.memoryUsage().heapUsed / MiB;
  const results: Record<string, { cpu: number[]; scavenges: number[]; markCompacts: number[] }> = {};
  for (let r = 0; r < runs; r++) {
    const order = Object.entries(workloads);
    if (r % 2 === 1) order.reverse();
    for (const [name, run] of order) {
      collect();
      await settle();
      counts.scavenges = 0;
      counts.markCompacts = 0;
      const cpu0 = process.cpuUsage();
      run();
      const cpu = process.cpuUsage(cpu0);
      await settle();
      const result = (results[name] ??= { cpu: [], scavenges: [], markCompacts: [] });
      result.cpu.push((cpu.user + cpu.system) / 1000);
      result.scavenges.push(counts.scavenges);
      result.markCompacts.push(counts.markCompacts);
    }
  }
  console.log(
    `encryption GC probe: 1 GiB per workload, ${held.length} objects held (heap ${heap.toFixed(1)} MiB after a full collection), medians of ${runs} runs, node ${process.version}`,
  );
  console.log(
    `${new Date().toISOString()}, load average before: ${loadBefore.join(' ')}, after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log('');
  console.log('| workload | cpu ms | scavenges | mark-compacts |');
  console.log('|---|---|---|---|');
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `| ${name} | ${median(r.cpu).toFixed(0)} | ${median(r.scavenges)} | ${median(r.markCompacts)} |`,
    );
  }
}

await main();
