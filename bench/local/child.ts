/**
 * One measurement in its own process, so peak RSS belongs to one contender:
 * `child.js <contender> <scenario> <root> <param>` prints one JSON line.
 *
 * - `big <bytes>`: streams a body of that size in 1 MiB chunks into one
 *   object, then streams it back; reports both rates and the peak RSS.
 * - `small <count>`: creates `count` 4 KiB objects at concurrency 16 over 100
 *   folders, then reads them all back at concurrency 16.
 */
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { type ContenderName, makeContender } from './contenders.js';

const [name, scenario, root, paramText] = process.argv.slice(2) as [ContenderName, string, string, string];
const param = Number(paramText);
const MIB = 1024 * 1024;
const CONCURRENCY = 16;

/** Peak resident set size so far, in bytes (Linux: VmHWM; elsewhere resourceUsage). */
function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * A body of `size` bytes in 1 MiB chunks, made on the fly (never held whole).
 * Chunks come from a ring of 16 buffers, so the producer's own garbage does
 * not show up in the contender's peak RSS; every contender keeps at most a
 * few chunks in flight (stream back-pressure), far fewer than 16.
 */
function body(size: number): Readable {
  const ring = Array.from({ length: 16 }, (_, r) => {
    const chunk = Buffer.alloc(MIB);
    for (let i = 0; i < MIB; i += 4) chunk.writeUInt32LE(((i + r) * 2654435761) >>> 0, i);
    return chunk;
  });
  let sent = 0;
  let index = 0;
  return new Readable({
    highWaterMark: MIB,
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(MIB, size - sent);
      sent += n;
      this.push(ring[index++ % ring.length]!.subarray(0, n));
    },
  });
}

async function pool(count: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

/**
 * CPU time (user + system, all threads: the JS thread, libuv's pool, native
 * pools) spent by `fn`, in µs. Steadier than wall time on a shared machine.
 */
async function cpuOf<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const before = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(before);
  return [result, used.user + used.system];
}

const contender = await makeContender(name, root);
const rssBefore = peakRss();
if (scenario === 'big') {
  let started = performance.now();
  const [, writeCpu] = await cpuOf(() => contender.writeStream('big/object.bin', body(param)));
  const writeSeconds = (performance.now() - started) / 1000;
  const peakAfterWrite = peakRss();
  execFileSync('sync');
  started = performance.now();
  let read = 0;
  const [, readCpu] = await cpuOf(async () => {
    for await (const chunk of await contender.readStream('big/object.bin'))
      read += (chunk as Buffer).byteLength;
  });
  const readSeconds = (performance.now() - started) / 1000;
  if (read !== param) throw new Error(`${name} read ${read} bytes, expected ${param}`);
  console.log(
    JSON.stringify({
      writeMBps: param / 1e6 / writeSeconds,
      readMBps: param / 1e6 / readSeconds,
      rssBefore,
      peakAfterWrite,
      peakRss: peakRss(),
      writeCpuPerGB: writeCpu / 1e6 / (param / 1e9),
      readCpuPerGB: readCpu / 1e6 / (param / 1e9),
    }),
  );
} else {
  const data = Buffer.alloc(4096, 0x5a);
  const key = (i: number) => `small/d${i % 100}/f${i}.bin`;
  const [createSeconds, createCpu] = await cpuOf(() =>
    pool(param, (i) => contender.writeBytes(key(i), data)),
  );
  // Write back the dirty pages first, so the reads do not compete with the flush of the creates.
  execFileSync('sync');
  const [readSeconds, readCpu] = await cpuOf(() =>
    pool(param, async (i) => {
      const bytes = await contender.readBytes(key(i));
      if (bytes.byteLength !== 4096) throw new Error(`${name} read ${bytes.byteLength} bytes of ${key(i)}`);
    }),
  );
  console.log(
    JSON.stringify({
      createOps: param / createSeconds,
      readOps: param / readSeconds,
      createCpuUs: createCpu / param,
      readCpuUs: readCpu / param,
    }),
  );
}
