/**
 * Fixtures of the conformance kit, exported from `stowage/testing` for
 * adapter and middleware authors who write their own tests: random bytes and
 * prefixes, bodies of every kind, slow and failing streams, and small
 * collectors.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Entry } from '../../core/backend.js';

/**
 * A fresh prefix such as `conf-lz3k9a-7f2c1d/`, unique per call, so suites
 * and tests can share one bucket without seeing each other's keys.
 *
 * @param label - first part of the prefix. @default 'conf'
 * @example
 * ```ts
 * const prefix = randomPrefix();
 * await storage.write(`${prefix}a.txt`, 'hi');
 * ```
 */
export function randomPrefix(label = 'conf'): string {
  const time = Date.now().toString(36);
  const random = cryptoRandomBytes(5).toString('hex');
  return `${label}-${time}-${random}/`;
}

/** `n` random bytes. */
export function randomBytes(n: number): Uint8Array {
  const buf = cryptoRandomBytes(n);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Splits `bytes` into an async iterable of chunks of `chunkSize` bytes (the last may be shorter). */
export async function* chunked(bytes: Uint8Array, chunkSize: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += chunkSize) {
    yield bytes.subarray(i, Math.min(bytes.byteLength, i + chunkSize));
  }
}

/** A Node `Readable` over `bytes` in chunks of `chunkSize` (length unknown to the consumer). */
export function readableOf(bytes: Uint8Array, chunkSize = 64 * 1024): Readable {
  return Readable.from(chunked(bytes, chunkSize), { objectMode: false });
}

/** A web `ReadableStream` over `bytes` in chunks of `chunkSize`. */
export function webStreamOf(bytes: Uint8Array, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      const end = Math.min(bytes.byteLength, offset + chunkSize);
      // A copy: the consumer may keep or transfer the chunk.
      controller.enqueue(bytes.slice(offset, end));
      offset = end;
    },
  });
}

/** Options of {@link slowStream}. */
export interface SlowStreamOptions {
  /** Size of each chunk in bytes. @default 1024 */
  chunkSize?: number;
  /** How many chunks before the stream ends. @default 1000 */
  chunks?: number;
  /** Pause before each chunk after the first, in ms. @default 20 */
  delayMs?: number;
  /** Called with the 1-based count of chunks handed out so far. */
  onChunk?: (count: number) => void;
}

/**
 * A Node `Readable` that yields chunks slowly, to abort a write while it is
 * under way. It stops producing as soon as it is destroyed.
 */
export function slowStream(options: SlowStreamOptions = {}): Readable {
  const { chunkSize = 1024, chunks = 1000, delayMs = 20, onChunk } = options;
  let stopped = false;
  async function* produce(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < chunks && !stopped; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (stopped) return;
      onChunk?.(i + 1);
      yield randomBytes(chunkSize);
    }
  }
  const stream = Readable.from(produce(), { objectMode: false });
  stream.once('close', () => {
    stopped = true;
  });
  return stream;
}

/** Options of {@link erroringStream}. */
export interface ErroringStreamOptions {
  /** Bytes yielded before the failure. @default 64 KiB */
  bytesBeforeError?: number;
  /** Chunk size of the bytes before the failure. @default 16 KiB */
  chunkSize?: number;
  /** The error thrown. @default an Error('source stream failed on purpose') */
  error?: Error;
}

/** A Node `Readable` that yields some bytes and then fails, like a dropped upstream connection. */
export function erroringStream(options: ErroringStreamOptions = {}): Readable {
  const { bytesBeforeError = 64 * 1024, chunkSize = 16 * 1024 } = options;
  const error = options.error ?? new Error('source stream failed on purpose');
  async function* produce(): AsyncGenerator<Uint8Array> {
    yield* chunked(randomBytes(bytesBeforeError), chunkSize);
    // Let the consumer take the bytes before the failure, as a network would.
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw error;
  }
  return Readable.from(produce(), { objectMode: false });
}

/** Reads any async iterable of byte chunks (e.g. a Node `Readable`) into one Uint8Array. */
export async function readAll(source: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of source)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  const all = Buffer.concat(chunks);
  return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
}

/** Collects a listing into an array. */
export async function collectList(listing: AsyncIterable<Entry>): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const entry of listing) out.push(entry);
  return out;
}

/** Runs `task` over `items` with at most `limit` in flight; rejects with the first failure. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Every fixture in one object, as `import { fixtures } from 'stowage/testing'`. */
export const fixtures = {
  randomPrefix,
  randomBytes,
  chunked,
  readableOf,
  webStreamOf,
  slowStream,
  erroringStream,
  readAll,
  collectList,
  mapLimit,
} as const;
