/**
 * The pump under every download the azure backend hands out: it follows the
 * HTTP body and adds what the SDK lacks: resume of a dropped body from the
 * byte reached (Range + If-Match, through `reopen`) that also covers
 * connection resets, an idle timeout that only runs while the caller is
 * waiting for data, abort after the headers arrived, errors as
 * `StorageError`, and release of the socket when the caller stops early.
 * `wrapDownload` hands the bytes out as a stream; `collectDownload` gathers
 * them for `read()` without a second stream.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { StorageError } from '../../core/errors.js';
import { type AzureErrorContext, toAzureError } from './errors.js';

/** Options of {@link wrapDownload} and {@link collectDownload}. */
export interface DownloadStreamOptions {
  /** Fail with `Timeout` when nothing arrives for this long while the caller reads. 0 = never. */
  idleTimeoutMs: number;
  signal?: AbortSignal;
  context: AzureErrorContext;
  /** Bytes the body must deliver (the response's Content-Length). */
  length: number;
  /** How many times a dropped body is reopened. */
  retries: number;
  /** Opens the rest of the body, `delivered` bytes in (Range + If-Match on the first etag). */
  reopen(delivered: number): Promise<NodeJS.ReadableStream | undefined>;
}

/** Where a {@link BodyPump} delivers. `deliver` returns false to ask for a pause. */
interface Sink {
  deliver(chunk: Buffer): boolean;
  complete(): void;
  fail(error: Error): void;
}

/** The idle timer's callback: a module-level function, so arming it allocates no closure. */
function onIdleTimer(pump: BodyPump): void {
  pump.idleTimerFired();
}

/**
 * Follows a download's body into a {@link Sink}. A body that drops (connection
 * reset, premature end) is reopened from the byte reached, up to `retries`
 * times; the SDK's own resume does not cover resets on Node 20, where the
 * response's `aborted` event makes it fail with AbortError instead of retrying.
 *
 * The idle clock is one timer per stall, not one per chunk: a chunk only
 * notes the time, and the timer, when it fires early, re-arms for the rest.
 * A class rather than a closure per handler: a small `read()` creates one
 * object and three bound listeners instead of about fifteen closures.
 */
class BodyPump {
  private source: Readable | undefined;
  private delivered = 0;
  private retriesLeft: number;
  private wanted = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** When data last arrived, or when the caller started waiting, whichever is later. */
  private lastActivity = 0;
  private readonly idleMs: number;
  // Listeners are assigned in the constructor: arrow fields would each be renamed per instance under tsx (keepNames).
  private readonly onData: (chunk: Buffer) => void;
  private readonly onEnd: () => void;
  private readonly onError: (e: unknown) => void;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    body: NodeJS.ReadableStream,
    private readonly options: DownloadStreamOptions,
    private readonly sink: Sink,
  ) {
    this.retriesLeft = options.retries;
    this.idleMs = options.idleTimeoutMs;
    this.onData = (chunk) => this.data(chunk);
    this.onEnd = () => this.end();
    this.onError = (e) => this.error(e);
    this.attach(body as Readable);
    if (options.signal !== undefined) {
      this.onAbort = () =>
        this.finish(
          this.failure('Aborted', `${options.context.operation} was aborted`, options.signal?.reason),
        );
      options.signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** The caller wants data: resume the body and run the idle clock. */
  want(): void {
    if (this.stopped) return;
    if (!this.wanted && this.idleMs > 0) this.lastActivity = performance.now();
    this.wanted = true;
    this.source?.resume();
    if (this.idleMs > 0 && this.timer === undefined) this.arm(this.idleMs);
  }

  /** Stops everything and releases the body (its socket). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.onAbort !== undefined) this.options.signal?.removeEventListener('abort', this.onAbort);
    this.detach();
  }

  /** Called by the idle timer: fails when nothing arrived for `idleMs`, else re-arms for the rest. */
  idleTimerFired(): void {
    this.timer = undefined;
    if (this.stopped || !this.wanted) return;
    const quiet = performance.now() - this.lastActivity;
    if (quiet >= this.idleMs) {
      this.finish(
        this.failure(
          'Timeout',
          `No data arrived for ${this.idleMs} ms while downloading; the connection looks stalled.`,
        ),
      );
      return;
    }
    this.arm(this.idleMs - quiet);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(onIdleTimer, Math.max(1, Math.ceil(ms)), this);
    this.timer.unref?.();
  }

  private failure(code: 'Timeout' | 'Aborted' | 'Unavailable', message: string, cause?: unknown) {
    return new StorageError(code, message, {
      backend: 'azure',
      operation: this.options.context.operation,
      key: this.options.context.key,
      cause,
    });
  }

  private finish(error?: Error): void {
    if (this.stopped) return;
    this.stop();
    if (error === undefined) this.sink.complete();
    else this.sink.fail(error);
  }

  private attach(next: Readable): void {
    this.source = next;
    next.pause();
    next.on('data', this.onData);
    next.on('end', this.onEnd);
    next.on('error', this.onError);
    if (this.wanted) next.resume();
  }

  private detach(): void {
    const old = this.source;
    this.source = undefined;
    if (old === undefined) return;
    old.off('data', this.onData);
    old.off('end', this.onEnd);
    old.off('error', this.onError);
    // Keep a no-op error listener: the body may still emit once destroyed.
    old.on('error', ignore);
    if (!old.destroyed) old.destroy();
  }

  private data(chunk: Buffer): void {
    this.delivered += chunk.byteLength;
    if (this.idleMs > 0) this.lastActivity = performance.now();
    if (!this.sink.deliver(chunk)) {
      this.wanted = false;
      this.source?.pause();
    }
  }

  private end(): void {
    if (this.delivered < this.options.length) {
      this.resume(new Error(`the body ended after ${this.delivered} of ${this.options.length} bytes`));
      return;
    }
    this.finish();
  }

  private error(e: unknown): void {
    // An HTTP answer (412 when the object changed, 404, ...) is final; anything else is a dropped body.
    const http = typeof (e as { statusCode?: unknown })?.statusCode === 'number';
    if (!http && this.delivered < this.options.length) this.resume(e);
    else this.finish(toAzureError(e, this.options.context));
  }

  private resume(cause: unknown): void {
    this.detach();
    if (this.retriesLeft <= 0) {
      this.finish(
        this.failure('Unavailable', 'The download kept dropping before the end; retry later.', cause),
      );
      return;
    }
    this.retriesLeft--;
    this.options.reopen(this.delivered).then(
      (next) => {
        if (this.stopped) {
          (next as Readable | undefined)?.destroy();
          return;
        }
        if (next === undefined) {
          this.finish(this.failure('Unavailable', 'The resumed download had no body.', cause));
          return;
        }
        this.attach(next as Readable);
      },
      (e: unknown) => this.finish(toAzureError(e, this.options.context)),
    );
  }
}

function ignore(): void {}

/** The stream handed to callers: its reads drive the pump, destroying it releases the body. */
class DownloadStream extends Readable implements Sink {
  private readonly pump: BodyPump;

  constructor(body: NodeJS.ReadableStream, options: DownloadStreamOptions) {
    super({ highWaterMark: 1024 * 1024 });
    this.pump = new BodyPump(body, options, this);
  }

  override _read(): void {
    this.pump.want();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.pump.stop();
    callback(error);
  }

  deliver(chunk: Buffer): boolean {
    return this.push(chunk);
  }

  complete(): void {
    this.push(null);
  }

  fail(error: Error): void {
    this.destroy(error);
  }
}

/**
 * Wraps the SDK body in the stream handed to callers. Destroying the result
 * destroys the body (and frees its socket).
 */
export function wrapDownload(body: NodeJS.ReadableStream, options: DownloadStreamOptions): Readable {
  return new DownloadStream(body, options);
}

/** Gathers a body into one buffer. */
class Collector implements Sink {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly resolve: (bytes: Buffer) => void,
    readonly fail: (error: Error) => void,
  ) {}

  deliver(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    return true;
  }

  complete(): void {
    this.resolve(this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes));
  }
}

/**
 * Reads the whole body into one buffer (for `read()`), with the same resume,
 * idle timeout and abort as {@link wrapDownload} but no second stream.
 */
export function collectDownload(
  body: NodeJS.ReadableStream,
  options: DownloadStreamOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new BodyPump(body, options, new Collector(resolve, reject)).want();
  });
}
