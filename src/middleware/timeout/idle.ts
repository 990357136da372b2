/** The idle timeout of read streams: no bytes for `idleMs` while the consumer wants some. */
import { Readable, Transform } from 'node:stream';
import { StorageError } from '../../core/errors.js';
import type { Timer, TimerWheel } from './timers.js';

/**
 * Wraps a read stream so that it fails with `makeError()` when the consumer
 * asks for bytes and none arrive within the wheel's duration (`idleMs`). Time the consumer spends not
 * reading does not count: a paused reader is not a stalled service.
 */
export function idleGuardedStream(
  source: Readable,
  wheel: TimerWheel,
  makeError: () => StorageError,
): Readable {
  let ended = false;
  const out: Readable = new Readable({
    highWaterMark: source.readableHighWaterMark,
    read() {
      if (!idle.running) idle.start();
      source.resume();
    },
    destroy(error, callback) {
      idle.stop();
      if (!source.destroyed) source.destroy();
      callback(error);
    },
  });
  const idle = wheel.timer(() => out.destroy(makeError()));
  source.on('data', (chunk: Buffer) => {
    idle.stop();
    if (!out.push(chunk)) source.pause();
  });
  source.on('end', () => {
    ended = true;
    idle.stop();
    out.push(null);
  });
  source.on('error', (error) => out.destroy(error));
  source.on('close', () => {
    if (!ended && !out.destroyed) {
      out.destroy(source.errored ?? new StorageError('Unavailable', 'The stream closed before its end.'));
    }
  });
  source.pause();
  return out;
}

/**
 * A pass-through for a streamed write body that watches its progress: the
 * first chunk stops the call's `deadline` (a large upload is bounded by
 * `idle`, not by the deadline), every chunk restarts `idle`, and the body's
 * end stops `idle` and starts the deadline again for the backend's answer.
 */
export function progressWatch(idle: Timer, deadline: Timer): Transform {
  let flowing = false;
  return new Transform({
    transform(chunk, _encoding, callback) {
      if (!flowing) {
        flowing = true;
        deadline.stop();
      }
      idle.start();
      callback(null, chunk);
    },
    flush(callback) {
      idle.stop();
      deadline.start();
      callback();
    },
    destroy(error, callback) {
      idle.stop();
      callback(error);
    },
  });
}
