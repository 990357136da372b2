/** The idle timeout of read streams: no bytes for `idleMs` while the consumer wants some. */
import { Readable } from 'node:stream';
import { StorageError } from '../../core/errors.js';
import type { TimerWheel } from './timers.js';

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
