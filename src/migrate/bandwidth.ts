/**
 * A bandwidth limit shared by every transfer of one migration or sync: a
 * token bucket in its "virtual time" form (GCRA). Each body chunk books its
 * transmission time on a shared schedule and waits until the schedule, less a
 * small burst allowance, catches up with the clock. Concurrent transfers
 * therefore share the rate fairly, and over any interval at most
 * `rate * (interval + burst)` bytes pass.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { StorageError } from '../core/errors.js';
import { parseSize } from '../core/units.js';
import { abortableSleep } from '../core/sleep.js';

/** How far ahead of the schedule a transfer may run, in ms. */
const BURST_MS = 100;

/** A shared byte-rate limit. */
export class BandwidthLimit {
  /** Bytes per second. */
  readonly rate: number;
  private scheduled = 0;

  constructor(
    rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) {
      throw new StorageError(
        'InvalidArgument',
        `\`bandwidth\` must be a positive size per second; got ${rate}.`,
      );
    }
    this.rate = rate;
  }

  /** How long (ms) to wait before sending `bytes` more; books them on the schedule. */
  reserve(bytes: number): number {
    const now = this.now();
    const start = Math.max(this.scheduled, now);
    this.scheduled = start + (bytes / this.rate) * 1000;
    return Math.max(0, this.scheduled - now - BURST_MS);
  }

  /** Waits until `bytes` more may be sent (for bodies sent whole). */
  wait(bytes: number, signal?: AbortSignal): Promise<void> {
    return sleep(this.reserve(bytes), signal);
  }

  /** A pass-through stream that holds each chunk (in slices of 64 KiB) until the limit allows it. */
  throttle(signal?: AbortSignal): Transform {
    const limit = this;
    return new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        (async () => {
          for (let offset = 0; offset < chunk.byteLength; offset += SLICE) {
            const slice = chunk.subarray(offset, Math.min(chunk.byteLength, offset + SLICE));
            await sleep(limit.reserve(slice.byteLength), signal);
            this.push(slice);
          }
        })().then(() => callback(), callback);
      },
    });
  }
}

/** Slices of a chunk are paced one by one, so one large chunk does not burst. */
const SLICE = 64 * 1024;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return abortableSleep(ms, signal, 'The transfer was aborted.');
}

/** A limit from the `bandwidth` option (bytes per second or '10MiB'), or undefined without one. */
export function bandwidthLimit(option: number | string | undefined): BandwidthLimit | undefined {
  if (option === undefined) return undefined;
  const rate = parseSize(option, 'bandwidth', 'InvalidArgument');
  return new BandwidthLimit(rate);
}
