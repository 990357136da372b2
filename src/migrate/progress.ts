/**
 * Progress of a migration or sync: counters per phase, a rate over the last
 * few seconds, an ETA once totals are known, emitted on a timer (every
 * 200 ms, so listeners hear at least every 250 ms) and once at each phase
 * end. Byte counters include bytes of objects still in flight, and never go
 * backwards (a retried object does not make them shrink).
 */
import type { MigratePhase, MigrateProgress } from './types.js';

/** Emission period: below the promised 250 ms so timer jitter stays within it. */
const TICK_MS = 200;
/** The rate is measured over this window. */
const RATE_WINDOW_MS = 5000;

/** Counts a migration's progress and tells listeners. */
export class ProgressTracker {
  phase: MigratePhase = 'inventory';
  objectsDone = 0;
  objectsTotal: number | undefined;
  bytesTotal: number | undefined;
  current: string | undefined;
  paused = false;
  /** Bytes of finished objects in this phase. */
  private bytesFinished = 0;
  /** Bytes loaded so far by each object in flight. */
  private inFlight = new Map<object, number>();
  private lastBytes = 0;
  private samples: [number, number][] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly listeners = new Set<(p: MigrateProgress) => void>();

  /** Adds a listener; returns a function that removes it. */
  on(listener: (p: MigrateProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the periodic emission. */
  start(): void {
    this.timer ??= setInterval(() => this.emit(), TICK_MS);
    this.timer.unref?.();
  }

  /** Stops the periodic emission. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Starts a phase: counters back to zero. */
  begin(phase: MigratePhase, totals: { objects?: number; bytes?: number } = {}): void {
    this.phase = phase;
    this.objectsDone = 0;
    this.objectsTotal = totals.objects;
    this.bytesTotal = totals.bytes;
    this.bytesFinished = 0;
    this.lastBytes = 0;
    this.inFlight.clear();
    this.samples = [];
    this.current = undefined;
  }

  /** Ends a phase: one final event with its counters. */
  end(): void {
    this.current = undefined;
    this.emit();
  }

  /** Records bytes loaded so far by one object in flight (`token` identifies it). */
  loaded(token: object, bytes: number): void {
    this.inFlight.set(token, bytes);
  }

  /** Records one object finished (copied, skipped or failed) with the bytes it moved. */
  finished(token: object | undefined, bytes: number): void {
    if (token !== undefined) this.inFlight.delete(token);
    this.bytesFinished += bytes;
    this.objectsDone++;
  }

  /** Records bytes moved without finishing an object (one object may move several bodies). */
  moved(bytes: number): void {
    this.bytesFinished += bytes;
  }

  /** Bytes done: finished objects plus what objects in flight have loaded, never decreasing. */
  get bytesDone(): number {
    let bytes = this.bytesFinished;
    for (const loaded of this.inFlight.values()) bytes += loaded;
    this.lastBytes = Math.max(this.lastBytes, bytes);
    return this.lastBytes;
  }

  /** The current state as an event. */
  snapshot(): MigrateProgress {
    const now = performance.now();
    const bytesDone = this.bytesDone;
    this.samples.push([now, bytesDone]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > RATE_WINDOW_MS) this.samples.shift();
    const [t0, b0] = this.samples[0]!;
    const bytesPerSecond = now - t0 > 0 ? ((bytesDone - b0) * 1000) / (now - t0) : 0;
    const event: MigrateProgress = {
      phase: this.phase,
      objectsDone: this.objectsDone,
      bytesDone,
      bytesPerSecond: Math.round(bytesPerSecond),
    };
    if (this.objectsTotal !== undefined) event.objectsTotal = this.objectsTotal;
    if (this.bytesTotal !== undefined) {
      event.bytesTotal = this.bytesTotal;
      if (bytesPerSecond > 0) {
        event.etaMs = Math.round((Math.max(0, this.bytesTotal - bytesDone) * 1000) / bytesPerSecond);
      }
    }
    if (this.current !== undefined) event.current = this.current;
    if (this.paused) event.paused = true;
    return event;
  }

  /** Tells every listener; a throwing listener does not stop the migration. */
  emit(): void {
    if (this.listeners.size === 0) return;
    const event = this.snapshot();
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not fail the migration it observes.
      }
    }
  }
}

/** Holds new work while paused. */
export class PauseGate {
  private waiting: (() => void)[] = [];
  paused = false;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Resolves at once when running, else when resumed or aborted. */
  async pass(signal: AbortSignal): Promise<void> {
    while (this.paused && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.waiting.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
