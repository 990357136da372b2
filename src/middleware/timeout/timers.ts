/**
 * Cheap timers for per-call deadlines. A `setTimeout` plus `clearTimeout`
 * per call costs more than a whole call on a fast backend, and an idle timer
 * restarted on every chunk would cost one per chunk. Instead, all timers of
 * one duration share a single coarse interval that sweeps expired entries:
 * starting or restarting a timer only writes a number. A timer fires between
 * its duration and its duration plus a tenth of it.
 */

/** All timers of one duration, swept by one unref'd interval while any is pending. */
export class TimerWheel {
  private readonly pending = new Set<Timer>();
  private interval: ReturnType<typeof setInterval> | undefined;
  private readonly tick: number;

  constructor(readonly ms: number) {
    this.tick = Math.max(1, Math.min(1000, Math.ceil(ms / 10)));
  }

  /** A stopped timer that calls `onFire` once its duration passes after `start()`. */
  timer(onFire: () => void): Timer {
    return new Timer(this, onFire);
  }

  /** @internal */
  arm(timer: Timer): void {
    this.pending.add(timer);
    if (this.interval === undefined) {
      this.interval = setInterval(() => this.sweep(), this.tick);
      this.interval.unref();
    }
  }

  /** @internal */
  disarm(timer: Timer): void {
    this.pending.delete(timer);
  }

  private sweep(): void {
    const now = performance.now();
    for (const timer of this.pending) {
      if (timer.due <= now) {
        this.pending.delete(timer);
        timer.fire();
      }
    }
    // Stopped only when a sweep finds nothing, so back-to-back calls reuse one interval.
    if (this.pending.size === 0 && this.interval !== undefined) {
      clearInterval(this.interval);
      this.interval = undefined;
    }
  }
}

/** A restartable one-shot timer on a {@link TimerWheel}. */
export class Timer {
  /** When it fires (performance.now() time); meaningful while armed. */
  due = 0;
  private armed = false;

  constructor(
    private readonly wheel: TimerWheel,
    private readonly onFire: () => void,
  ) {}

  /** Starts, or restarts from now. */
  start(): void {
    this.due = performance.now() + this.wheel.ms;
    if (!this.armed) {
      this.armed = true;
      this.wheel.arm(this);
    }
  }

  /** Stops; `start()` may be called again. */
  stop(): void {
    if (!this.armed) return;
    this.armed = false;
    this.wheel.disarm(this);
  }

  /** Whether it is running. */
  get running(): boolean {
    return this.armed;
  }

  /** @internal called by the wheel */
  fire(): void {
    this.armed = false;
    this.onFire();
  }
}
