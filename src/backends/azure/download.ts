/**
 * The download stream handed to callers. It wraps the SDK's body (a
 * RetriableReadableStream that resumes a dropped body with Range + If-Match
 * from the byte reached) to add what the SDK lacks: an idle timeout that only
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
}

/** Wraps the SDK body. Destroying the result destroys the body (and frees its socket). */
export function wrapDownload(body: NodeJS.ReadableStream, options: DownloadStreamOptions): Readable {
  const source = body as Readable;
  let timer: NodeJS.Timeout | undefined;
  const disarm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const out: Readable = new Readable({
    highWaterMark: 1024 * 1024,
    read() {
      source.resume();
      if (options.idleTimeoutMs > 0 && timer === undefined) {
        timer = setTimeout(() => {
          out.destroy(
            new StorageError(
              'Timeout',
              `No data arrived for ${options.idleTimeoutMs} ms while downloading; the connection looks stalled.`,
              { backend: 'azure', operation: options.context.operation, key: options.context.key },
            ),
          );
        }, options.idleTimeoutMs);
        timer.unref?.();
      }
    },
    destroy(error, callback) {
      disarm();
      options.signal?.removeEventListener('abort', onAbort);
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      // Keep a no-op error listener: the body may still emit once destroyed.
      source.on('error', () => {});
      if (!source.destroyed) source.destroy();
      callback(error);
    },
  });
  const onData = (chunk: Buffer) => {
    disarm();
    if (!out.push(chunk)) source.pause();
  };
  const onEnd = () => {
    disarm();
    out.push(null);
  };
  const onError = (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    if (/Data corruption failure: received less data/.test(message)) {
      out.destroy(
        new StorageError('Unavailable', 'The download kept dropping before the end; retry later.', {
          backend: 'azure',
          operation: options.context.operation,
          key: options.context.key,
          cause: e,
        }),
      );
      return;
    }
    out.destroy(toAzureError(e, options.context));
  };
  const onAbort = () => {
    out.destroy(
      new StorageError('Aborted', `${options.context.operation} was aborted`, {
        backend: 'azure',
        operation: options.context.operation,
        key: options.context.key,
        cause: options.signal?.reason,
      }),
    );
  };
  source.pause();
  source.on('data', onData);
  source.on('end', onEnd);
  source.on('error', onError);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return out;
}

/** An empty stream (zero-length ranges, empty blobs). */
export function emptyStream(): Readable {
  return Readable.from([], { objectMode: false });
}
