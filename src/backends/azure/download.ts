/**
 * Downloads as callers see them. The SDK's body is followed by a pump that
 * adds what the SDK lacks: resume of a dropped body from the byte reached
 * (Range + If-Match) that also covers connection resets, an idle timeout that
 * only runs while the caller is waiting for data, abort after the headers
 * arrived, errors as `StorageError`, and release of the socket when the
 * caller stops early. `wrapDownload` hands the pump's bytes out as a stream;
 * `collectDownload` gathers them for `read()` without a second stream.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { BlobClient, CpkInfo } from '@azure/storage-blob';
import type { ObjectInfo, ReadOptions } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';
import { resolveRange } from '../../core/range.js';
import { type AzureErrorContext, azureErrorCode, toAzureError } from './errors.js';
import { totalSize } from './info.js';

/** Options of {@link wrapDownload} and {@link collectDownload}. */
export interface DownloadStreamOptions {
  /** Fail with `Timeout` when nothing arrives for this long while the caller reads. 0 = never. */
  idleTimeoutMs: number;
  signal?: AbortSignal;
  context: AzureErrorContext;
  /** Bytes the body must deliver (the response's Content-Length). */
  length: number;
  /** How many times a dropped body is reopened. */
  retries: number;
  /** Opens the rest of the body, `delivered` bytes in (Range + If-Match on the first etag). */
  reopen(delivered: number): Promise<NodeJS.ReadableStream | undefined>;
}

/** Where the pump delivers. `push` returns false to ask for a pause. */
interface Sink {
  push(chunk: Buffer): boolean;
  end(): void;
  fail(error: Error): void;
}

/** The pump's controls. */
interface Pump {
  /** The caller wants data: resume the body and run the idle clock. */
  want(): void;
  /** Stops everything and releases the body (its socket). */
  stop(): void;
}

/**
 * Follows the SDK body into `sink`. A body that drops (connection reset,
 * premature end) is reopened from the byte reached, up to `retries` times;
 * the SDK's own resume does not cover resets on Node 20, where the response's
 * `aborted` event makes it fail with AbortError instead of retrying.
 *
 * The idle clock is one timer per stall, not one per chunk: a chunk only
 * notes the time, and the timer, when it fires early, re-arms for the rest.
 */
function pump(body: NodeJS.ReadableStream, options: DownloadStreamOptions, sink: Sink): Pump {
  let source: Readable | undefined;
  let delivered = 0;
  let retriesLeft = options.retries;
  let wanted = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** When data last arrived, or when the caller started waiting, whichever is later. */
  let lastActivity = 0;
  const idleMs = options.idleTimeoutMs;

  const fail = (code: 'Timeout' | 'Aborted' | 'Unavailable', message: string, cause?: unknown) =>
    new StorageError(code, message, {
      backend: 'azure',
      operation: options.context.operation,
      key: options.context.key,
      cause,
    });
  const finish = (error?: Error) => {
    if (stopped) return;
    stop();
    if (error === undefined) sink.end();
    else sink.fail(error);
  };
  const onIdleTimer = () => {
    timer = undefined;
    if (stopped || !wanted) return;
    const quiet = performance.now() - lastActivity;
    if (quiet >= idleMs) {
      finish(
        fail('Timeout', `No data arrived for ${idleMs} ms while downloading; the connection looks stalled.`),
      );
      return;
    }
    arm(idleMs - quiet);
  };
  const arm = (ms: number) => {
    timer = setTimeout(onIdleTimer, Math.max(1, Math.ceil(ms)));
    timer.unref?.();
  };
  const detach = () => {
    const old = source;
    source = undefined;
    if (old === undefined) return;
    old.off('data', onData);
    old.off('end', onEnd);
    old.off('error', onError);
    // Keep a no-op error listener: the body may still emit once destroyed.
    old.on('error', () => {});
    if (!old.destroyed) old.destroy();
  };
  const onData = (chunk: Buffer) => {
    delivered += chunk.byteLength;
    if (idleMs > 0) lastActivity = performance.now();
    if (!sink.push(chunk)) {
      wanted = false;
      source?.pause();
    }
  };
  const onEnd = () => {
    if (delivered < options.length) {
      resume(new Error(`the body ended after ${delivered} of ${options.length} bytes`));
      return;
    }
    finish();
  };
  const onError = (e: unknown) => {
    // An HTTP answer (412 when the object changed, 404, ...) is final; anything else is a dropped body.
    const http = typeof (e as { statusCode?: unknown })?.statusCode === 'number';
    if (!http && delivered < options.length) resume(e);
    else finish(toAzureError(e, options.context));
  };
  const resume = (cause: unknown) => {
    detach();
    if (retriesLeft <= 0) {
      finish(fail('Unavailable', 'The download kept dropping before the end; retry later.', cause));
      return;
    }
    retriesLeft--;
    options.reopen(delivered).then(
      (next) => {
        if (stopped) {
          (next as Readable | undefined)?.destroy();
          return;
        }
        if (next === undefined) {
          finish(fail('Unavailable', 'The resumed download had no body.', cause));
          return;
        }
        attach(next as Readable);
      },
      (e: unknown) => finish(toAzureError(e, options.context)),
    );
  };
  const attach = (next: Readable) => {
    source = next;
    next.pause();
    next.on('data', onData);
    next.on('end', onEnd);
    next.on('error', onError);
    if (wanted) next.resume();
  };
  const onAbort = () => {
    finish(fail('Aborted', `${options.context.operation} was aborted`, options.signal?.reason));
  };
  function stop() {
    if (stopped) return;
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    options.signal?.removeEventListener('abort', onAbort);
    detach();
  }

  attach(body as Readable);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    want() {
      if (stopped) return;
      if (!wanted && idleMs > 0) lastActivity = performance.now();
      wanted = true;
      source?.resume();
      if (idleMs > 0 && timer === undefined) arm(idleMs);
    },
    stop,
  };
}

/**
 * Wraps the SDK body in the stream handed to callers. Destroying the result
 * destroys the body (and frees its socket).
 */
export function wrapDownload(body: NodeJS.ReadableStream, options: DownloadStreamOptions): Readable {
  const out: Readable = new Readable({
    highWaterMark: 1024 * 1024,
    read() {
      control.want();
    },
    destroy(error, callback) {
      control.stop();
      callback(error);
    },
  });
  const control = pump(body, options, {
    push: (chunk) => out.push(chunk),
    end: () => out.push(null),
    fail: (error) => out.destroy(error),
  });
  return out;
}

/**
 * Reads the whole body into one buffer (for `read()`), with the same resume,
 * idle timeout and abort as {@link wrapDownload} but no second stream.
 */
export function collectDownload(
  body: NodeJS.ReadableStream,
  options: DownloadStreamOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const control = pump(body, options, {
      push(chunk) {
        chunks.push(chunk);
        bytes += chunk.byteLength;
        return true;
      },
      end: () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes)),
      fail: reject,
    });
    control.want();
  });
}

/** An empty stream (zero-length ranges, empty blobs). */
export function emptyStream(): Readable {
  return Readable.from([], { objectMode: false });
}

/** What {@link openBlobDownload} needs from the backend. */
export interface OpenDownloadContext {
  context: AzureErrorContext;
  idleTimeoutMs: number;
  retries: number;
  customerProvidedKey: CpkInfo | undefined;
  /** Stats the object (for zero-length ranges and ranges of empty blobs). */
  stat(): Promise<ObjectInfo>;
}

/**
 * Sends the GET of a read or stream and returns its body with the options
 * {@link wrapDownload} / {@link collectDownload} need, or `undefined` when
 * the answer is empty (empty blob or zero-length range). Range errors are
 * raised as the core's `InvalidArgument`, the same on every backend.
 */
export async function openBlobDownload(
  client: BlobClient,
  options: ReadOptions,
  open: OpenDownloadContext,
): Promise<{ body: NodeJS.ReadableStream; options: DownloadStreamOptions } | undefined> {
  const range = options.range;
  if (range?.length === 0) {
    // A zero-length range has no HTTP form: check the object and the offset, then yield nothing.
    resolveRange(range, (await open.stat()).size);
    return undefined;
  }
  const offset = range?.offset ?? 0;
  const customerProvidedKey = open.customerProvidedKey;
  try {
    // maxRetryRequests 0: the pump resumes dropped bodies itself.
    const response = await client.download(offset, range?.length, {
      abortSignal: options.signal,
      conditions: { ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch },
      maxRetryRequests: 0,
      customerProvidedKey,
    });
    const body = response.readableStreamBody;
    if (range !== undefined && range.offset > 0) {
      // Azurite answers an offset at the end with an empty body where Azure answers 416.
      const total = totalSize(response.contentRange) ?? response.contentLength;
      if (total !== undefined && range.offset >= total) {
        body?.on('error', () => {});
        (body as Readable | undefined)?.destroy();
        resolveRange(range, total);
      }
    }
    if (body === undefined) return undefined;
    const length = response.contentLength ?? 0;
    return {
      body,
      options: {
        idleTimeoutMs: open.idleTimeoutMs,
        signal: options.signal,
        context: open.context,
        length,
        retries: open.retries,
        reopen: async (delivered) => {
          const rest = await client.download(offset + delivered, length - delivered, {
            abortSignal: options.signal,
            conditions: { ifMatch: response.etag },
            maxRetryRequests: 0,
            customerProvidedKey,
          });
          return rest.readableStreamBody;
        },
      },
    };
  } catch (e) {
    if (
      range !== undefined &&
      (azureErrorCode(e) === 'InvalidRange' || (e as { statusCode?: number }).statusCode === 416)
    ) {
      // Azure refuses any range on an empty blob; offset 0 of an empty blob is valid and empty.
      resolveRange(range, (await open.stat()).size);
      return undefined;
    }
    throw toAzureError(e, open.context);
  }
}
