/**
 * Replaying a streamed write body across retries. A stream can be read only
 * once, so the chunks are kept as the first attempt consumes them (a tee into
 * memory); a later attempt replays the kept chunks, then goes on reading the
 * source where the earlier attempt stopped. Past `maxBytes` the kept chunks
 * are dropped (memory stays bounded) and the body is no longer replayable:
 * the attempt in flight continues, but a failure of it cannot be retried.
 * This is how `retry` never sends a truncated body.
 */
import { Readable } from 'node:stream';
import type { Body, Progress } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';

/** A streamed body that each retry attempt can read again from its start. */
export class ReplayableBody {
  /** Kept chunks; `chunks[0]` is chunk number `base` of the body. */
  private chunks: Buffer[] = [];
  private base = 0;
  private kept = 0;
  private ended = false;
  private overflowed = false;
  private sourceError: unknown;
  private pending: Promise<void> | undefined;
  private current = 0;
  private readonly source: AsyncIterator<Uint8Array | string>;

  constructor(
    source: Readable,
    private readonly maxBytes: number,
  ) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** Whether a failed attempt may be retried: everything read so far is still kept. */
  get replayable(): boolean {
    return !this.overflowed && this.sourceError === undefined;
  }

  /** Why the body cannot be replayed, for error messages. */
  get reason(): string {
    if (this.sourceError !== undefined) return 'the body stream itself failed';
    return `the body is a stream longer than maxBufferedBody (${this.maxBytes} bytes), so it could not be sent again; pass it as bytes or a Blob, or raise maxBufferedBody`;
  }

  /** Waits until no read from the source is in flight (call before deciding to retry). */
  async settle(): Promise<void> {
    await this.pending;
  }

  /** A fresh stream of the whole body for the next attempt; earlier attempts stop reading. */
  attempt(): Readable {
    const id = ++this.current;
    return Readable.from(this.chunksOf(id), { objectMode: false });
  }

  /** Stops reading the source (after the last attempt failed). */
  dispose(): void {
    void this.source.return?.().catch(() => {});
    this.chunks = [];
  }

  private async *chunksOf(id: number): AsyncGenerator<Buffer> {
    let index = 0;
    for (;;) {
      if (id !== this.current) return;
      if (index < this.base) {
        // Cannot happen while attempts run one after another; never send a hole.
        throw new StorageError('Unknown', 'The body could not be replayed (it was dropped from memory).');
      }
      if (index - this.base < this.chunks.length) {
        const chunk = this.chunks[index - this.base]!;
        index++;
        if (this.overflowed) {
          // Past the bound nothing is kept: hand the chunk over and forget it.
          this.chunks.shift();
          this.base++;
        }
        yield chunk;
        continue;
      }
      if (this.sourceError !== undefined) throw this.sourceError;
      if (this.ended) return;
      await this.fill();
    }
  }

  /** Reads one chunk of the source into `chunks`; one read at a time. */
  private fill(): Promise<void> {
    this.pending ??= (async () => {
      try {
        const { done, value } = await this.source.next();
        if (done) {
          this.ended = true;
          return;
        }
        const chunk =
          typeof value === 'string'
            ? Buffer.from(value)
            : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        this.kept += chunk.byteLength;
        if (!this.overflowed && this.kept > this.maxBytes) {
          this.overflowed = true;
          this.base += this.chunks.length;
          this.chunks = [];
        }
        this.chunks.push(chunk);
      } catch (e) {
        this.sourceError = e;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}

/** Forwards progress events only while they do not go backwards (a retry starts again from 0). */
export function monotonic(
  onProgress: ((p: Progress) => void) | undefined,
): ((p: Progress) => void) | undefined {
  // Anything but a function is passed on as is, for the backend to reject.
  if (typeof onProgress !== 'function') return onProgress;
  let highest = -1;
  return (p) => {
    if (p.loaded < highest) return;
    highest = p.loaded;
    onProgress(p);
  };
}

/** Whether a body can be sent again as it is (bytes, strings and Blobs; not streams). */
export function isReplayable(body: Body): boolean {
  return (
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    (typeof Blob !== 'undefined' && body instanceof Blob)
  );
}
