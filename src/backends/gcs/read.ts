/**
 * Opening object downloads: resolves once GCS answered (so a missing key
 * rejects before any byte flows), checks `ifMatch` / `ifNoneMatch` against
 * the generation GCS says it is sending, validates checksums on whole reads,
 * and optionally fails a stalled stream after an idle timeout.
 */
import { Readable, Transform } from 'node:stream';
import type { ReadOptions } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';
import { type DownloadTarget, openDownload } from './download.js';
import { etagMatches } from './info.js';

/** An empty stream (zero-length ranges, empty objects). */
export function emptyStream(): Readable {
  return Readable.from([], { objectMode: false });
}

/**
 * Starts a download and resolves with the stream once the response headers
 * arrived and passed the conditions. Errors before that reject; errors after
 * it (including checksum mismatches) destroy the stream.
 */
export async function openRead(
  target: DownloadTarget,
  options: ReadOptions,
  idleTimeoutMs: number | undefined,
): Promise<Readable> {
  const range = options.range;
  const ranged =
    range !== undefined && !(range.offset === 0 && range.length === undefined)
      ? { start: range.offset, end: range.length === undefined ? undefined : range.offset + range.length - 1 }
      : undefined;
  const { stream, headers } = await openDownload(target, options, ranged);
  // GCS checks the generation preconditions itself; emulators may not, so check what was served.
  const generation = headers['x-goog-generation'];
  const failure = conditionFailure(options, Array.isArray(generation) ? generation[0] : generation);
  if (failure !== undefined) {
    stream.destroy();
    throw failure;
  }
  if (idleTimeoutMs === undefined) return stream;
  return withIdleTimeout(stream, idleTimeoutMs);
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
