/**
 * Turns any {@link Body} into bytes or a Node stream. Streams are never
 * buffered whole here: a streamed body stays a stream.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { Body, Progress } from './backend.js';
import { StorageError } from './errors.js';

const encoder = new TextEncoder();

/** Whether `value` is one of the accepted {@link Body} kinds. */
export function isBody(value: unknown): value is Body {
  if (typeof value === 'string' || value instanceof Uint8Array) return true;
  if (typeof value !== 'object' || value === null) return false;
  if (value instanceof Readable) return true;
  if (typeof Blob !== 'undefined' && value instanceof Blob) return true;
  if (typeof (value as ReadableStream).getReader === 'function') return true;
  return typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/**
 * A body as a backend receives it from the core: the bytes when they are
 * already in memory, else a stream; the size when known.
 */
export interface PreparedBody {
  /** Length in bytes, when known before reading (bytes, strings, Blobs, or the `size` hint). */
  readonly size: number | undefined;
  /** The whole body, when it was given in memory (Uint8Array or string). */
  readonly bytes: Uint8Array | undefined;
  /** The body as a stream of Buffers. Call at most once. */
  stream(): Readable;
}

/**
 * Normalises a body. Throws `InvalidArgument` for anything that is not a
 * {@link Body}, and for a `size` hint that disagrees with an in-memory body.
 */
export function prepareBody(body: unknown, sizeHint?: number): PreparedBody {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = typeof body === 'string' ? encoder.encode(body) : body;
    if (sizeHint !== undefined && sizeHint !== bytes.byteLength) {
      throw new StorageError(
        'InvalidArgument',
        `The \`size\` option says ${sizeHint} bytes but the body has ${bytes.byteLength}; drop \`size\` or fix it.`,
      );
    }
    return {
      size: bytes.byteLength,
      bytes,
      stream: () =>
        Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)], { objectMode: false }),
    };
  }
  if (!isBody(body)) {
    throw new StorageError(
      'InvalidArgument',
      `Unsupported body type ${describeType(body)}: pass a Uint8Array, string, Readable, ReadableStream, AsyncIterable<Uint8Array> or Blob.`,
    );
  }
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    if (sizeHint !== undefined && sizeHint !== body.size) {
      throw new StorageError(
        'InvalidArgument',
        `The \`size\` option says ${sizeHint} bytes but the Blob has ${body.size}; drop \`size\` or fix it.`,
      );
    }
    return { size: body.size, bytes: undefined, stream: () => Readable.fromWeb(body.stream() as never) };
  }
  return { size: sizeHint, bytes: undefined, stream: () => toReadable(body as Body) };
}

/** Any streaming body as a Node Readable of Buffers (no buffering). */
export function toReadable(body: Body): Readable {
  if (body instanceof Readable) return body;
  if (typeof body === 'string' || body instanceof Uint8Array) return prepareBody(body).stream();
  if (typeof Blob !== 'undefined' && body instanceof Blob) return Readable.fromWeb(body.stream() as never);
  if (typeof (body as ReadableStream).getReader === 'function') {
    return Readable.fromWeb(body as never);
  }
  return Readable.from(checkedChunks(body as AsyncIterable<unknown>), { objectMode: false });
}

/**
 * Passes byte chunks through and fails with `InvalidArgument` on anything
 * else, before Node's own stream machinery throws a bare TypeError for it.
 */
async function* checkedChunks(source: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    if (chunk instanceof Uint8Array) yield chunk;
    else if (typeof chunk === 'string') yield Buffer.from(chunk);
    else {
      throw new StorageError(
        'InvalidArgument',
        `A body stream yielded ${describeType(chunk)}; streams must yield Uint8Array chunks.`,
      );
    }
  }
}

/** Options of {@link meter}. */
export interface MeterOptions {
  /** The exact number of bytes that must flow; otherwise the stream fails with `IntegrityError`. */
  expectedSize?: number;
  /** Called with monotonic progress after each chunk. */
  onProgress?: (p: Progress) => void;
  /** Total reported in progress events. @default expectedSize */
  total?: number;
}

/**
 * A pass-through that checks every chunk is bytes, counts them, reports
 * progress, and fails with `IntegrityError` when `expectedSize` is given and
 * the stream delivers a different number of bytes.
 */
export function meter(options: MeterOptions): Transform & { readonly bytes: number } {
  const { expectedSize, onProgress } = options;
  const total = options.total ?? expectedSize;
  let bytes = 0;
  const transform = new Transform({
    // Accept any chunk on the writable side so a non-byte chunk from an
    // object-mode source gets our InvalidArgument, not Node's TypeError;
    // buffer a few chunks there and 1 MiB on the readable side.
    writableObjectMode: true,
    writableHighWaterMark: 8,
    readableHighWaterMark: 1024 * 1024,
    transform(chunk: unknown, _encoding, callback: TransformCallback) {
      let buf: Buffer;
      if (Buffer.isBuffer(chunk)) buf = chunk;
      else if (chunk instanceof Uint8Array)
        buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      else if (typeof chunk === 'string') buf = Buffer.from(chunk);
      else {
        callback(
          new StorageError(
            'InvalidArgument',
            `A body stream yielded ${describeType(chunk)}; streams must yield Uint8Array chunks.`,
          ),
        );
        return;
      }
      bytes += buf.byteLength;
      if (expectedSize !== undefined && bytes > expectedSize) {
        callback(
          new StorageError(
            'IntegrityError',
            `The body is longer than the declared size of ${expectedSize} bytes; nothing was stored.`,
          ),
        );
        return;
      }
      if (onProgress !== undefined && buf.byteLength > 0) onProgress({ loaded: bytes, total });
      callback(null, buf);
    },
    flush(callback: TransformCallback) {
      if (expectedSize !== undefined && bytes !== expectedSize) {
        callback(
          new StorageError(
            'IntegrityError',
            `The body ended after ${bytes} bytes but ${expectedSize} were declared; nothing was stored.`,
          ),
        );
        return;
      }
      callback();
    },
  });
  Object.defineProperty(transform, 'bytes', { get: () => bytes });
  return transform as Transform & { readonly bytes: number };
}

/** Whether a stream yields Buffers only: byte mode, no string decoding. */
export function isByteStream(stream: Readable): boolean {
  return !stream.readableObjectMode && stream.readableEncoding === null;
}

/** A streamed write body as the core hands it to a backend, and what the core learns from it. */
export interface MeteredWrite {
  /** What the backend consumes. */
  readonly body: PreparedBody;
  /** The `StorageError` the meter or the source failed with, if any (more telling than an SDK's "stream errored"). */
  streamError(): unknown;
  /** Reports the final progress event after the backend stored the body. */
  finish(): void;
  /** Stops listening to the signal. */
  dispose(): void;
}

/**
 * Wraps a streamed body for `write`: checks chunk types and the declared
 * size, reports progress, and stops reading the source when `signal`
 * aborts. When none of that is asked for and the source is a byte stream,
 * the backend gets the source itself, without a pass-through in front of it
 * (no extra stream, no extra buffering): its chunks are Buffers already.
 */
export function meterWrite(
  prepared: PreparedBody,
  options: { onProgress?: (p: Progress) => void; signal?: AbortSignal },
): MeteredWrite {
  const { onProgress, signal } = options;
  const needed = prepared.size !== undefined || onProgress !== undefined || signal !== undefined;
  let source: Readable | undefined;
  let counter: (Transform & { readonly bytes: number }) | undefined;
  let lastLoaded = 0;
  let aborted: StorageError | undefined;
  const makeCounter = () => {
    const created = meter({
      expectedSize: prepared.size,
      onProgress:
        onProgress &&
        ((p) => {
          lastLoaded = p.loaded;
          onProgress(p);
        }),
    });
    // The backend sees the meter's errors through its own consumption and
    // the core through `streamError()`; without this listener an error the
    // meter raises after the backend stopped reading (a body shorter than
    // its size hint, found at the end) would crash the process.
    created.on('error', () => {});
    if (aborted !== undefined) created.destroy(aborted);
    return created;
  };
  const onAbort = () => {
    aborted = new StorageError('Aborted', 'write was aborted', { cause: signal?.reason });
    counter?.destroy(aborted);
    source?.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    body: {
      size: prepared.size,
      bytes: undefined,
      stream: () => {
        source = prepared.stream();
        if (!needed && isByteStream(source)) {
          // As with the meter: a backend that pulls with `read()` may not be
          // listening when the source fails; it still sees the failure
          // (`errored`, its own waits), and the process does not crash.
          source.on('error', () => {});
          return source;
        }
        const metered = makeCounter();
        counter = metered;
        source.on('error', (e) => metered.destroy(e));
        return source.pipe(metered);
      },
    },
    streamError: () => counter?.errored ?? source?.errored,
    finish: () => {
      if (onProgress === undefined) return;
      const bytes = counter?.bytes ?? 0;
      if (lastLoaded !== bytes) onProgress({ loaded: bytes, total: bytes });
      else if (bytes === 0) onProgress({ loaded: 0, total: 0 });
    },
    dispose: () => signal?.removeEventListener('abort', onAbort),
  };
}

/**
 * Reads a stream to the end into one Uint8Array. With `maxBytes`, fails with
 * `InvalidArgument` (code overridable) once more than that arrives. A stream
 * of one chunk returns a view of that chunk unless `fresh` is true, which
 * always returns memory of its own (for callers that keep the bytes, such as
 * the memory backend, where a caller's buffer must not alias a stored object).
 */
export async function collect(
  source: AsyncIterable<Uint8Array | string>,
  maxBytes = Number.POSITIVE_INFINITY,
  fresh = false,
): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    length += buf.byteLength;
    if (length > maxBytes) {
      throw new StorageError(
        'InvalidArgument',
        `The body is larger than the ${maxBytes}-byte limit for buffering.`,
      );
    }
    chunks.push(buf);
  }
  if (fresh && chunks.length === 1) return Uint8Array.prototype.slice.call(chunks[0]!);
  const out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Reads any body into memory (strings as UTF-8). */
export async function bodyToBytes(body: Body, maxBytes?: number): Promise<Uint8Array> {
  const prepared = prepareBody(body);
  if (prepared.bytes !== undefined) return prepared.bytes;
  return collect(prepared.stream(), maxBytes);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}
