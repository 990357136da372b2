/**
 * Benchmark of the encryption middleware, both directions:
 * `npx tsx bench/encryption/run.ts [GiB=1] [runs=5] [chunkSize=64KiB] [readPiece=1MiB]`.
 *
 * A. Transforms: the middleware's EncryptStream / DecryptStream (one GCM
 *    seal per chunk) vs a raw node:crypto AES-256-GCM Transform (one cipher
 *    over the whole stream), each in the same pipeline
 *    source -> transform -> discarding Writable, over the same 1 MiB
 *    plaintext pieces (encrypt) or the stored ciphertext served in the same
 *    `readPiece` slices (decrypt).
 * B. End to end: `storage.write()` / `storage.stream()` through
 *    `encryption()` over a sink backend (bench/encryption/sink.ts: keeps
 *    bodies in 16 MiB slabs, serves `readPiece` slices), vs the same sink
 *    written and read through the raw single-cipher Transform. Writes go to
 *    `discard/` keys (counted, not kept) so both sides pay the same sink cost.
 * C. Range: bytes the inner backend serves for a 1 MiB range of the 1 GiB object.
 *
 * Variants alternate within each run (the order flips every run); each
 * starts from a freshly collected heap and its timing ends with a full
 * collection, so it pays for its own garbage and no other. Medians
 * of wall-clock and of CPU time (user + system of this process, including
 * GC threads) are reported. On a shared machine the CPU figures are the
 * steadier ones; the load average is printed before and after.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseSize } from '../../src/core/units.js';
import { encryption } from '../../src/middleware/encryption.js';
import { DecryptStream, EncryptStream } from '../../src/middleware/encryption/chunks.js';
import { encodeHeader } from '../../src/middleware/encryption/format.js';
import { keyringWrapper } from '../../src/middleware/encryption/keyring.js';
import { ChunkSink } from './sink.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const totalBytes = Math.round(Number(process.argv[2] ?? 1) * GiB);
const runs = Number(process.argv[3] ?? 5);
const chunkSize = parseSize(process.argv[4] ?? '64KiB', 'chunkSize');
const readPiece = parseSize(process.argv[5] ?? '1MiB', 'readPiece');
const sourceChunk = randomBytes(MiB);
const sourceChunks = Math.ceil(totalBytes / MiB);
const key = randomBytes(32);

/** The plaintext: 1 MiB chunks (one random buffer, reused). */
function plaintext(): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < sourceChunks; i++) {
        yield i === sourceChunks - 1 ? sourceChunk.subarray(0, totalBytes - i * MiB) : sourceChunk;
      }
    })(),
    { objectMode: false },
  );
}

/** Raw AES-256-GCM: one cipher over the whole stream. */
function rawCipher(decrypt: boolean): Transform {
  const cipher = decrypt
    ? createDecipheriv('aes-256-gcm', key, randomBytes(12))
    : createCipheriv('aes-256-gcm', key, randomBytes(12));
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, cipher.update(chunk));
    },
    flush(callback) {
      // The raw decipher has no tag to check against: skip final(), as the raw figure should.
      callback(
        null,
        decrypt ? undefined : Buffer.concat([(cipher as ReturnType<typeof createCipheriv>).final()]),
      );
    },
  });
}

/** Counts and discards. */
function discard(counter: { bytes: number }): Writable {
  return new Writable({
    highWaterMark: MiB,
    write(chunk: Buffer, _encoding, callback) {
      counter.bytes += chunk.length;
      callback();
    },
  });
}

interface Timing {
  wall: number;
  cpu: number;
}

/**
 * A full collection, from `--expose-gc` when given, else enabled here: V8
 * allows turning the flag on at run time and fetching `gc` from a new context.
 */
const collect: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  })();

/**
 * Times `fn` from a clean heap, and charges it the collection of its own
 * garbage: without the final `collect()`, the garbage one variant leaves is
 * collected while the next one runs, and whichever runs second pays for it.
 */
async function time(fn: () => Promise<unknown>): Promise<Timing> {
  collect();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await fn();
  collect();
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs each variant `runs` times, alternating; returns medians. */
async function compare(variants: Record<string, () => Promise<unknown>>): Promise<Record<string, Timing>> {
  const timings: Record<string, Timing[]> = {};
  for (let r = 0; r < runs; r++) {
    const order = Object.entries(variants);
    if (r % 2 === 1) order.reverse();
    for (const [name, fn] of order) (timings[name] ??= []).push(await time(fn));
  }
  const out: Record<string, Timing> = {};
  for (const [name, list] of Object.entries(timings)) {
    out[name] = { wall: median(list.map((t) => t.wall)), cpu: median(list.map((t) => t.cpu)) };
  }
  return out;
}

function report(label: string, raw: Timing, ours: Timing): string[] {
  return (['cpu', 'wall'] as const).map((clock) => {
    const rawRate = totalBytes / 1e6 / raw[clock];
    const ourRate = totalBytes / 1e6 / ours[clock];
    return `| ${label} | ${clock} | ${rawRate.toFixed(2)} GB/s | ${ourRate.toFixed(2)} GB/s | ${(ourRate / rawRate).toFixed(2)} |`;
  });
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main() {
  const loadBefore = load();
  const started = new Date().toISOString();
  const sink = new ChunkSink(readPiece);
  const storage = encryption({ keys: { k1: key }, currentKey: 'k1' }, { chunkSize })(sink);
  await storage.write('big', plaintext());
  await sink.write('raw-big', plaintext().pipe(rawCipher(false)));
  const stored = await sink.stat('big');
  const check = (counter: { bytes: number }, expected: number) => {
    if (counter.bytes !== expected) throw new Error(`got ${counter.bytes} bytes, expected ${expected}`);
  };

  // A. Transforms.
  const header = encodeHeader({
    chunkSize,
    noncePrefix: randomBytes(7),
    keyId: 'k1',
    wrappedKey: randomBytes(60),
  });
  const dataKey = randomBytes(32);
  const encA = await compare({
    raw: () => pipeline(plaintext(), rawCipher(false), discard({ bytes: 0 })),
    ours: () => pipeline(plaintext(), new EncryptStream({ header, dataKey }), discard({ bytes: 0 })),
  });
  const sealedPieces = sink.piecesOf('big');
  const rawSealedPieces = sink.piecesOf('raw-big');
  const unwrapper = keyringWrapper({ k1: key }, 'k1', undefined);
  const decA = await compare({
    raw: () =>
      pipeline(Readable.from(rawSealedPieces, { objectMode: false }), rawCipher(true), discard({ bytes: 0 })),
    ours: async () => {
      const counter = { bytes: 0 };
      const decrypting = new DecryptStream({
        source: { resolve: (h) => unwrapper.unwrap(h.wrappedKey, h.keyId, 'big') },
      });
      await pipeline(Readable.from(sealedPieces, { objectMode: false }), decrypting, discard(counter));
      check(counter, totalBytes);
    },
  });

  // B. End to end through a backend.
  const encB = await compare({
    raw: () => sink.write('discard/raw', plaintext().pipe(rawCipher(false))),
    ours: () => storage.write('discard/ours', plaintext()),
  });
  const decB = await compare({
    raw: async () => pipeline(await sink.stream('raw-big'), rawCipher(true), discard({ bytes: 0 })),
    ours: async () => {
      const counter = { bytes: 0 };
      await pipeline(await storage.stream('big'), discard(counter));
      check(counter, totalBytes);
    },
  });

  // C. Range read of 1 MiB at an offset that is not chunk-aligned.
  sink.bytesServed = 0;
  const offset = Math.floor(totalBytes / 2) + 12_345;
  const range = await storage.read('big', { range: { offset, length: MiB } });
  if (range.byteLength !== MiB) throw new Error('short range');
  const rangeBytes = sink.bytesServed;
  const budget = MiB + 2 * chunkSize;

  const lines = [
    `encryption benchmark: ${(totalBytes / GiB).toFixed(2)} GiB (ciphertext ${stored.size} bytes), chunkSize ${chunkSize / 1024} KiB, read pieces ${readPiece / 1024} KiB, sink ${process.env.STOWAGE_BENCH_SINK === 'pieces' ? 'pieces' : 'slabs'}, medians of ${runs} runs, node ${process.version}`,
    `started ${started}, load average (1/5/15 min) before: ${loadBefore}, after: ${load()}`,
    '',
    '| measure | clock | raw AES-256-GCM | encryption() | ratio |',
    '|---|---|---|---|---|',
    ...report('A. encrypt transform', encA.raw!, encA.ours!),
    ...report('A. decrypt transform', decA.raw!, decA.ours!),
    ...report('B. write through backend', encB.raw!, encB.ours!),
    ...report('B. stream read through backend', decB.raw!, decB.ours!),
    '',
    `C. 1 MiB range at offset ${offset}: ${rangeBytes} bytes read from the inner backend (budget 1 MiB + 2 chunks = ${budget}): ${rangeBytes <= budget ? 'within budget' : 'OVER BUDGET'}`,
  ];
  for (const line of lines) console.log(line);
}

await main();
