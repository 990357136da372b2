/**
 * The download stream handed to callers. It wraps the SDK's body to add what
 * the SDK lacks: resume of a dropped body from the byte reached (Range +
 * If-Match) that also covers connection resets, an idle timeout that only
 * runs while the caller is waiting for data, abort after the headers
 * arrived, errors as `StorageError`, and release of the socket when the
 * caller destroys the stream early.
 */
import { Readable } from 'node:stream';
import { StorageError } from '../../core/errors.js';
import { type AzureErrorContext, toAzureError } from './errors.js';

/** Options of {@link wrapDownload}. */
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

/**
 * Wraps the SDK body. A body that drops (connection reset, premature end) is
 * reopened from the byte reached, up to `retries` times; the SDK's own resume
 * does not cover resets on Node 20, where the response's `aborted` event makes
 * it fail with AbortError instead of retrying. Destroying the result destroys
 * the body (and frees its socket).
 */
export function wrapDownload(body: NodeJS.ReadableStream, options: DownloadStreamOptions): Readable {
  let source: Readable | undefined = body as Readable;
  let delivered = 0;
  let retriesLeft = options.retries;
  let wanted = false;
  let timer: NodeJS.Timeout | undefined;
  const disarm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const fail = (code: 'Timeout' | 'Aborted' | 'Unavailable', message: string, cause?: unknown) =>
    new StorageError(code, message, {
      backend: 'azure',
      operation: options.context.operation,
      key: options.context.key,
      cause,
    });
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
  const out: Readable = new Readable({
    highWaterMark: 1024 * 1024,
    read() {
      wanted = true;
      source?.resume();
      if (options.idleTimeoutMs > 0 && timer === undefined) {
        timer = setTimeout(() => {
          out.destroy(
            fail(
              'Timeout',
              `No data arrived for ${options.idleTimeoutMs} ms while downloading; the connection looks stalled.`,
            ),
          );
        }, options.idleTimeoutMs);
        timer.unref?.();
      }
    },
    destroy(error, callback) {
      disarm();
      options.signal?.removeEventListener('abort', onAbort);
      detach();
      callback(error);
    },
  });
  const onData = (chunk: Buffer) => {
    disarm();
    delivered += chunk.byteLength;
    if (!out.push(chunk)) {
      wanted = false;
      source?.pause();
    }
  };
  const onEnd = () => {
    if (delivered < options.length) {
      resume(new Error(`the body ended after ${delivered} of ${options.length} bytes`));
      return;
    }
    disarm();
    detach();
    out.push(null);
  };
  const onError = (e: unknown) => {
    // An HTTP answer (412 when the object changed, 404, ...) is final; anything else is a dropped body.
    const http = typeof (e as { statusCode?: unknown })?.statusCode === 'number';
    if (!http && delivered < options.length) resume(e);
    else out.destroy(toAzureError(e, options.context));
  };
  const resume = (cause: unknown) => {
    detach();
    if (retriesLeft <= 0) {
      out.destroy(fail('Unavailable', 'The download kept dropping before the end; retry later.', cause));
      return;
    }
    retriesLeft--;
    options.reopen(delivered).then(
      (next) => {
        if (out.destroyed) {
          (next as Readable | undefined)?.destroy();
          return;
        }
        if (next === undefined) {
          out.destroy(fail('Unavailable', 'The resumed download had no body.', cause));
          return;
        }
        attach(next as Readable);
      },
      (e: unknown) => out.destroy(toAzureError(e, options.context)),
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
    out.destroy(fail('Aborted', `${options.context.operation} was aborted`, options.signal?.reason));
  };
  attach(body as Readable);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return out;
}

/** An empty stream (zero-length ranges, empty blobs). */
export function emptyStream(): Readable {
  return Readable.from([], { objectMode: false });
}
