/**
 * A benchmark backend that keeps each written body as the list of chunks it
 * arrived in (no concatenation, so a 1 GiB object is held once), or discards
 * it when the key starts with `discard/`. It counts the bytes it serves.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DeleteOptions, Entry, ObjectInfo, ReadOptions } from '../../src/core/backend.js';
import { BaseBackend, type ResolvedListOptions, type ResolvedWriteOptions } from '../../src/core/base.js';
import type { PreparedBody } from '../../src/core/body.js';
import { defineCapabilities } from '../../src/core/capabilities.js';
import { StorageError } from '../../src/core/errors.js';
import { resolveRange } from '../../src/core/range.js';

interface Stored {
  chunks: Buffer[];
  info: ObjectInfo;
}

export class ChunkSink extends BaseBackend {
  readonly kind = 'bench-sink';
  readonly capabilities = defineCapabilities({ rangeRead: true, streamingWrite: true, metadata: true });
  private readonly objects = new Map<string, Stored>();
  /** The stored pieces of an object, as they arrived. */
  piecesOf(key: string): readonly Buffer[] {
    return this.get(key).chunks;
  }

  /** Bytes handed out by `stream`/`read` since the last reset. */
  bytesServed = 0;

  protected async doWrite(
    key: string,
    body: PreparedBody,
    options: ResolvedWriteOptions,
  ): Promise<ObjectInfo> {
    const keep = !key.startsWith('discard/');
    const chunks: Buffer[] = [];
    let size = 0;
    if (body.bytes !== undefined) {
      size = body.bytes.byteLength;
      if (keep) chunks.push(Buffer.from(body.bytes));
    } else {
      // A Writable, not `for await`: the async iterator concatenates whatever is buffered.
      await pipeline(
        body.stream(),
        new Writable({
          highWaterMark: 1024 * 1024,
          write(chunk: Buffer, _encoding, callback) {
            size += chunk.length;
            if (keep) chunks.push(chunk);
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
    if (keep) this.objects.set(key, { chunks, info });
    return info;
  }

  protected async doStream(key: string, options: ReadOptions): Promise<Readable> {
    const object = this.get(key);
    const { start, end } = resolveRange(options.range, object.info.size);
    const self = this;
    return Readable.from(
      (function* () {
        let offset = 0;
        for (const chunk of object.chunks) {
          const from = Math.max(start - offset, 0);
          const to = Math.min(end - offset, chunk.length);
          if (to > from) {
            self.bytesServed += to - from;
            yield chunk.subarray(from, to);
          }
          offset += chunk.length;
          if (offset >= end) return;
        }
      })(),
      { objectMode: false },
    );
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
