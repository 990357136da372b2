/**
 * Shared deadlines for calls made without a caller signal.
 *
 * A controller, a timer and an abort link per call cost more than a whole
 * call on a fast backend (an `AbortController` alone is ~3.5 µs in Node 20).
 * Calls that start within one coarse window (a tenth of the deadline, at most
 * 1 s) cannot be told apart by a deadline of that granularity, so they share
 * one: one controller whose signal every inner call of the window receives,
 * one timer at the window's end plus the deadline, and a set of the calls
 * still pending. A call therefore times out between `ms` and `ms` plus one
 * window after it started. When the timer fires, every call of the window
 * still pending rejects with its own `Timeout` and the shared signal aborts;
 * calls that already settled are unaffected (their inner calls are over).
 *
 * A call with its own signal is not batched: aborting it must abort only its
 * inner call, so it needs a controller of its own.
 */
import { setMaxListeners } from 'node:events';
import type { StorageError } from '../../core/errors.js';

/** What a batch needs of a call to expire it. */
export interface Expirable {
  readonly operation: string;
  readonly key: string | undefined;
  settled: boolean;
  reject(error: unknown): void;
}

/** The promise of one batched call, rejected by its batch at the deadline. */
export class BatchedCall<T> implements Expirable {
  /** Set once the call resolved, rejected or expired. */
  settled = false;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  readonly promise: Promise<T>;

  constructor(
    readonly operation: string,
    readonly key: string | undefined,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** Calls that started in one window and share a signal and a deadline. */
export class DeadlineBatch {
  private readonly controller = new AbortController();
  /** The signal every inner call of this batch receives. */
  readonly signal = this.controller.signal;
  /** Calls starting before this time (performance.now()) may join. */
  readonly joinUntil: number;
  private readonly dueAt: number;
  private readonly pending = new Set<Expirable>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Set when a newer batch took over: nothing joins any more. */
  private closed = false;

  constructor(
    now: number,
    window: number,
    ms: number,
    private readonly expire: (call: Expirable) => StorageError,
    private readonly reason: () => StorageError,
  ) {
    this.joinUntil = now + window;
    this.dueAt = this.joinUntil + ms;
    // Every pending inner call may listen to the one signal: not a leak.
    setMaxListeners(0, this.signal);
  }

  /** Adds a call; the batch rejects it at the deadline unless it settles first. */
  join(call: Expirable): void {
    this.pending.add(call);
    if (this.timer === undefined) this.schedule(this.dueAt - performance.now());
  }

  /** Forgets a call that settled. */
  leave(call: Expirable): void {
    this.pending.delete(call);
    if (this.closed && this.pending.size === 0) this.stopTimer();
  }

  /** No call joins any more; the timer stops once the pending ones settle. */
  close(): void {
    this.closed = true;
    if (this.pending.size === 0) this.stopTimer();
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.ceil(delay)));
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    // Timers run on the event loop's cached clock and may fire a little early.
    const early = this.dueAt - performance.now();
    if (early > 0) {
      this.schedule(early);
      return;
    }
    if (this.pending.size === 0) return;
    const expired = [...this.pending];
    this.pending.clear();
    this.closed = true;
    for (const call of expired) call.settled = true;
    // Aborted first, as a timeout of a single call does: the inner calls stop before the callers hear.
    this.controller.abort(this.reason());
    for (const call of expired) call.reject(this.expire(call));
  }
}
