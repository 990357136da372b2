/** The throttle's limits: a pacer for rates and a FIFO semaphore for concurrency. */
import { StorageError } from '../../core/errors.js';
import type { ThrottleClock } from '../throttle.js';

/** The error of a call aborted while it waited for the throttle. */
export function abortedError(signal: AbortSignal | undefined): StorageError {
  return new StorageError('Aborted', 'The operation was aborted while throttled.', { cause: signal?.reason });
}

/**
 * Paces units (operations or bytes) to `rate` per second. `next` is when the
 * budget is free again; a reservation moves it forward, so concurrent callers
 * queue fairly and the average rate holds.
 */
export class Pacer {
  private next = Number.NEGATIVE_INFINITY;
  constructor(
    private readonly rate: number,
    private readonly clock: ThrottleClock,
    /** true: wait until the units are paid for (bytes); false: until the slot starts (operations). */
    private readonly payFirst: boolean,
  ) {}

  async take(units: number, signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const start = Math.max(this.next, now);
    this.next = start + (units * 1000) / this.rate;
    const wait = (this.payFirst ? this.next : start) - now;
    if (wait > 0) await this.clock.sleep(wait, signal);
  }
}

/**
 * A counting semaphore with a FIFO queue. Written here rather than taken from
 * p-limit because a free slot must be taken synchronously: p-limit allocates
 * several promises per call, which cost more than a whole call on a fast
 * backend (measured in bench/middleware).
 */
export class Slots {
  private active = 0;
  private readonly waiting: {
    grant: (release: () => void) => void;
    signal?: AbortSignal;
    onAbort?: () => void;
  }[] = [];
  constructor(private readonly size: number) {}

  /** A release function when a slot is free now, else undefined. */
  tryTake(): (() => void) | undefined {
    return this.tryTakeNow() ? this.releaser() : undefined;
  }

  /** Takes a slot if one is free now; the caller must then `release()` it exactly once. */
  tryTakeNow(): boolean {
    if (this.active >= this.size || this.waiting.length > 0) return false;
    this.active++;
    return true;
  }

  /** Waits for a slot (FIFO); rejects with `Aborted` when `signal` aborts first. */
  take(signal?: AbortSignal): Promise<() => void> {
    const now = this.tryTake();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((grant, reject) => {
      const waiter: (typeof this.waiting)[number] = { grant, signal };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = this.waiting.indexOf(waiter);
          if (index !== -1) this.waiting.splice(index, 1);
          reject(abortedError(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiting.push(waiter);
    });
  }

  /** A release function that works once (for holders that could call it twice, like a stream's close). */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  /** Gives a slot back: straight to the next waiter, if any. */
  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) {
      this.active--;
      return;
    }
    if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
    next.grant(this.releaser());
  }
}
