/**
 * Shared deadlines for calls made without a caller signal.
 *
 * A controller, a timer and an abort link per call cost more than a whole
 * call on a fast backend (an `AbortController` alone is ~3.5 µs in Node 20).
 * Calls that start within one coarse window (a tenth of the deadline, at most
 * 1 s) cannot be told apart by a deadline of that granularity, so they share
 * one: one controller whose signal every inner call of the window receives,
 * one timer that closes the window, a deadline timer started then (only if
 * a call is still pending) and a set of the calls still pending. A call
 * therefore times out between `ms` and `ms` plus one window after it
 * started (plus however late the window's timer runs). When the timer fires, every call of the window
 * still pending rejects with its own `Timeout` and the shared signal aborts;
 * calls that already settled are unaffected (their inner calls are over).
 *
 * A call with its own signal is not batched: aborting it must abort only its
 * inner call, so it needs a controller of its own.
 */
import { setMaxListeners } from 'node:events';
import type { StorageError } from '../../core/errors.js';

/**
 * What a batch needs of a call to expire it. Pending calls form a doubly
 * linked list through `previous`/`next`: a `Set` of them, with an add and a
 * delete per call, kept every call of a window alive through the garbage
 * collector's young generation (measured: scavenges then copied ~30 MB),
 * while unlinking lets each go as soon as it settles.
 */
export interface Expirable {
  readonly operation: string;
  readonly key: string | undefined;
  settled: boolean;
  previous: Expirable | undefined;
  next: Expirable | undefined;
  reject(error: unknown): void;
}

/** The promise of one batched call, rejected by its batch at the deadline. */
export class BatchedCall<T> implements Expirable {
  /** Set once the call resolved, rejected or expired. */
  settled = false;
  previous: Expirable | undefined = undefined;
  next: Expirable | undefined = undefined;
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
  /** When the pending calls expire (performance.now() time); set when the window closes. */
  private dueAt = Number.POSITIVE_INFINITY;
  /** The most recently joined pending call (the head of the list). */
  private pending: Expirable | undefined = undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  /**
   * Opens a window of `window` ms, closed by a timer (reading the clock on
   * every call would cost more than joining). `onClose` runs when it
   * closes; from then on nothing joins, and the deadline is counted from
   * that moment, so every call of the window gets at least `ms`, even when
   * the timer runs late.
   */
  constructor(
    window: number,
    private readonly ms: number,
    private readonly expire: (call: Expirable) => StorageError,
    private readonly reason: () => StorageError,
    onClose: (batch: DeadlineBatch) => void,
  ) {
    // Every pending inner call may listen to the one signal: not a leak.
    setMaxListeners(0, this.signal);
    const closing = setTimeout(() => {
      this.close();
      onClose(this);
    }, window);
    closing.unref();
  }

  /** Adds a call; the batch rejects it at the deadline unless it settles first. */
  join(call: Expirable): void {
    call.next = this.pending;
    if (this.pending !== undefined) this.pending.previous = call;
    this.pending = call;
  }

  /** Forgets a call that settled. */
  leave(call: Expirable): void {
    if (call.previous !== undefined) call.previous.next = call.next;
    else if (this.pending === call) this.pending = call.next;
    if (call.next !== undefined) call.next.previous = call.previous;
    call.previous = undefined;
    call.next = undefined;
    if (this.closed && this.pending === undefined) this.stopTimer();
  }

  private close(): void {
    this.closed = true;
    // Calls that all settled within the window never needed a timer.
    if (this.pending === undefined) return;
    this.dueAt = performance.now() + this.ms;
    this.schedule(this.ms);
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
    const expired: Expirable[] = [];
    for (let call = this.pending; call !== undefined; call = call.next) expired.push(call);
    this.pending = undefined;
    if (expired.length === 0) return;
    for (const call of expired) {
      call.settled = true;
      call.previous = undefined;
      call.next = undefined;
    }
    // Aborted first, as a timeout of a single call does: the inner calls stop before the callers hear.
    this.controller.abort(this.reason());
    for (const call of expired) call.reject(this.expire(call));
  }
}
