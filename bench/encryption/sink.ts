/**
 * A benchmark backend that keeps each written body in 16 MiB slabs (the
 * arriving pieces are copied in, so a 1 GiB object is held once, as 64
 * buffers), or discards it when the key starts with `discard/`. Reads are
 * served as slices of `readPiece` bytes (1 MiB by default), whatever pieces
 * the body was written in, like a real backend serves its own read size. It
 * counts the bytes it serves.
 *
 * Why slabs and not the pieces as they arrived: a 1 GiB object kept as the
 * 32,768 pieces the encryption middleware writes (64 KiB of ciphertext and a
 * 16-byte tag per chunk) leaves tens of thousands of live buffers in the
 * heap, and that alone made every per-chunk allocation in the process about
 * twice as expensive (more and slower mark-compacts), while the raw
 * baseline's 1,024 pieces did not: the benchmark measured the sink's heap,
 * not the cipher. `STOWAGE_BENCH_SINK=pieces` restores that behaviour.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DeleteOptions, Entry, ObjectInfo, ReadOptions } from '../../src/core/backend.js';
import { BaseBackend, type ResolvedListOptions, type ResolvedWriteOptions } from '../../src/core/base.js';
import type { PreparedBody } from '../../src/core/body.js';
import { defineCapabilities } from '../../src/core/capabilities.js';
import { StorageError } from '../../src/core/errors.js';
import { resolveRange } from '../../src/core/range.js';

const SLAB = 16 * 1024 * 1024;
const keepPieces = process.env.STOWAGE_BENCH_SINK === 'pieces';

interface Stored {
  /** Slabs (all full but the last), or the pieces as they arrived with `STOWAGE_BENCH_SINK=pieces`. */
  chunks: Buffer[];
  info: ObjectInfo;
}

/** Appends pieces to a list of slabs, copying. */
class SlabWriter {
  readonly slabs: Buffer[] = [];
  private fill = SLAB;

  append(piece: Buffer): void {
    let offset = 0;
    while (offset < piece.length) {
      if (this.fill === SLAB) {
        this.slabs.push(Buffer.allocUnsafeSlow(SLAB));
        this.fill = 0;
      }
      const n = piece.copy(this.slabs[this.slabs.length - 1]!, this.fill, offset);
      this.fill += n;
      offset += n;
    }
  }

  finish(): Buffer[] {
    const last = this.slabs.length - 1;
    if (last >= 0) this.slabs[last] = this.slabs[last]!.subarray(0, this.fill);
    return this.slabs;
  }
}

export class ChunkSink extends BaseBackend {
  readonly kind = 'bench-sink';
  readonly capabilities = defineCapabilities({ rangeRead: true, streamingWrite: true, metadata: true });
  private readonly objects = new Map<string, Stored>();

  /** @param readPiece bytes per piece served by reads */
  constructor(private readonly readPiece = 1024 * 1024) {
    super();
  }

  /** Bytes handed out by `stream`/`read` since the last reset. */
  bytesServed = 0;

  /** The stored bytes of an object as the pieces a read would serve (not counted in `bytesServed`). */
  piecesOf(key: string): Buffer[] {
    const object = this.get(key);
    return [...this.slices(object, 0, object.info.size)];
  }

  protected async doWrite(
    key: string,
    body: PreparedBody,
    options: ResolvedWriteOptions,
  ): Promise<ObjectInfo> {
    const keep = !key.startsWith('discard/');
    const slabs = new SlabWriter();
    const pieces: Buffer[] = [];
    let size = 0;
    if (body.bytes !== undefined) {
      size = body.bytes.byteLength;
      if (keep) slabs.append(Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength));
    } else {
      // A Writable, not `for await`: the async iterator concatenates whatever is buffered.
      await pipeline(
        body.stream(),
        new Writable({
          highWaterMark: 1024 * 1024,
          write(chunk: Buffer, _encoding, callback) {
            size += chunk.length;
            if (keep && keepPieces) pieces.push(chunk);
            else if (keep) slabs.append(chunk);
            callback();
          },
        }),
      );
    }
    const info: ObjectInfo = {
      key,
      size,
      lastModified: new Date(),
      etag: `"${size}-${Date.now()}"`,
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: options.metadata ?? {},
    };
    if (keep) this.objects.set(key, { chunks: keepPieces ? pieces : slabs.finish(), info });
    return info;
  }

  protected async doStream(key: string, options: ReadOptions): Promise<Readable> {
    const object = this.get(key);
    const { start, end } = resolveRange(options.range, object.info.size);
    const self = this;
    return Readable.from(
      (function* () {
        for (const piece of self.slices(object, start, end)) {
          self.bytesServed += piece.length;
          yield piece;
        }
      })(),
      { objectMode: false },
    );
  }

  /** Slices of `[start, end)`, at most `readPiece` bytes each (or the stored pieces, in pieces mode). */
  private *slices(object: Stored, start: number, end: number): Generator<Buffer> {
    const step = keepPieces ? Number.POSITIVE_INFINITY : this.readPiece;
    let offset = 0;
    for (const chunk of object.chunks) {
      for (let from = Math.max(start - offset, 0); from < chunk.length && offset + from < end; ) {
        const to = Math.min(from + step, chunk.length, end - offset);
        yield chunk.subarray(from, to);
        from = to;
      }
      offset += chunk.length;
      if (offset >= end) return;
    }
  }

  protected async doStat(key: string): Promise<ObjectInfo> {
    return { ...this.get(key).info };
  }

  protected async *doList(prefix: string, _options: ResolvedListOptions): AsyncIterable<Entry> {
    for (const [key, object] of [...this.objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (key.startsWith(prefix)) yield { type: 'object', ...object.info };
    }
  }

  protected async doDelete(key: string, _options: DeleteOptions): Promise<void> {
    this.objects.delete(key);
  }

  private get(key: string): Stored {
    const object = this.objects.get(key);
    if (object === undefined) throw new StorageError('NotFound', `No object at ${key}`);
    return object;
  }
}
