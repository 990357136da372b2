/**
 * Opening object downloads: resolves once GCS answered (so a missing key
 * rejects before any byte flows), checks `ifMatch` / `ifNoneMatch` against
 * the generation GCS says it is sending, validates checksums on whole reads,
 * and optionally fails a stalled stream after an idle timeout.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Readable, Transform } from 'node:stream';
import type { File } from '@google-cloud/storage';
import type { ReadOptions } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';
import { etagMatches } from './info.js';

/** How a download is opened. */
export interface OpenReadOptions {
  /** Checksum verified on whole-object reads. */
  validation: 'crc32c' | 'md5' | false;
  /** Fail the stream when no byte arrives for this many ms. */
  idleTimeoutMs?: number;
  /** Requester Pays project. */
  userProject?: string;
}

/** An empty stream (zero-length ranges, empty objects). */
export function emptyStream(): Readable {
  return Readable.from([], { objectMode: false });
}

/**
 * Starts a download and resolves with the stream once the response headers
 * arrived and passed the conditions. Errors before that reject; errors after
 * it (including checksum mismatches) destroy the stream.
 */
export async function openRead(file: File, options: ReadOptions, how: OpenReadOptions): Promise<Readable> {
  const range = options.range;
  const ranged = range !== undefined && !(range.offset === 0 && range.length === undefined);
  const stream = file.createReadStream({
    // Bytes are returned as stored; a `contentEncoding: gzip` object stays gzip.
    decompress: false,
    validation: ranged ? false : how.validation === false ? false : how.validation,
    ...(ranged ? { start: range.offset } : {}),
    ...(ranged && range.length !== undefined ? { end: range.offset + range.length - 1 } : {}),
    ...(how.userProject !== undefined ? { userProject: how.userProject } : {}),
  });

  const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
    const signal = options.signal;
    const cleanup = () => {
      stream.off('response', onResponse);
      stream.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onResponse = (response: { statusCode?: number; status?: number; headers: IncomingHttpHeaders }) => {
      const status = response.statusCode ?? response.status ?? 0;
      // Error statuses arrive as an 'error' event carrying the body's message.
      if (status >= 200 && status < 300) {
        cleanup();
        resolve(response.headers);
      }
    };
    const onError = (e: unknown) => {
      cleanup();
      reject(e);
    };
    const onAbort = () => {
      cleanup();
      stream.destroy();
      reject(new StorageError('Aborted', 'read was aborted', { cause: signal?.reason }));
    };
    stream.on('response', onResponse);
    stream.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    // The SDK sends the request on the first read; ask for nothing yet.
    stream.read(0);
  });

  const generation = headerValue(headers['x-goog-generation']);
  const failure = conditionFailure(options, generation);
  if (failure !== undefined) {
    stream.destroy();
    throw failure;
  }
  if (how.idleTimeoutMs === undefined) return stream;
  return withIdleTimeout(stream, how.idleTimeoutMs);
}

/** The `PreconditionFailed` a read's conditions raise against this generation, if any. */
export function conditionFailure(
  options: { ifMatch?: string; ifNoneMatch?: string },
  generation: string | undefined,
): StorageError | undefined {
  if (options.ifMatch !== undefined && !etagMatches(options.ifMatch, generation)) {
    return new StorageError(
      'PreconditionFailed',
      `The object has changed: its etag is not ${options.ifMatch}.`,
      {
        status: 412,
      },
    );
  }
  if (options.ifNoneMatch !== undefined && etagMatches(options.ifNoneMatch, generation)) {
    return new StorageError('PreconditionFailed', `The object still has etag ${generation}.`, {
      status: 304,
    });
  }
  return undefined;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Passes bytes through, failing with `Timeout` when the source stalls for `ms`. */
function withIdleTimeout(source: Readable, ms: number): Readable {
  let timer: NodeJS.Timeout | undefined;
  const out = new Transform({
    highWaterMark: 1024 * 1024,
    transform(chunk, _encoding, callback) {
      arm();
      callback(null, chunk);
    },
    flush(callback) {
      clearTimeout(timer);
      callback();
    },
  });
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const error = new StorageError(
        'Timeout',
        `No bytes arrived from GCS for ${ms} ms; the read was stopped.`,
      );
      out.destroy(error);
      source.destroy();
    }, ms);
    timer.unref?.();
  };
  source.on('error', (e) => out.destroy(e));
  out.on('close', () => {
    clearTimeout(timer);
    if (!source.destroyed) source.destroy();
  });
  arm();
  return source.pipe(out);
}
