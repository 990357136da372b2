/**
 * The streaming layer: encrypting and decrypting transforms with bounded
 * memory (about one input chunk plus a few cipher chunks in each direction).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Progress } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';
import { ByteQueue, ChunkCipher } from './cipher.js';
import { decodeHeader, type Header, headerLengthOf, integrity, TAG_BYTES } from './format.js';

/** Options of {@link EncryptStream}. */
export interface EncryptStreamOptions {
  header: Header;
  dataKey: Buffer;
  /** Exact plaintext length promised by the caller; any other length fails with `IntegrityError`. */
  expectedSize?: number;
  /** Plaintext progress. */
  onProgress?: (p: Progress) => void;
}

/** Plaintext in, header and sealed chunks out. Holds at most one chunk plus one input chunk. */
export class EncryptStream extends Transform {
  private readonly queue = new ByteQueue();
  private readonly cipher: ChunkCipher;
  private index = 0;
  private loaded = 0;

  constructor(private readonly options: EncryptStreamOptions) {
    super({ highWaterMark: options.header.chunkSize * 2 });
    this.cipher = new ChunkCipher(options.dataKey, options.header);
    this.push(options.header.bytes);
  }

  /** Plaintext bytes consumed so far. */
  get plaintextBytes(): number {
    return this.loaded;
  }

  override _transform(
    chunk: Buffer | Uint8Array | string,
    _enc: BufferEncoding,
    callback: TransformCallback,
  ): void {
    let buf: Buffer;
    if (Buffer.isBuffer(chunk)) buf = chunk;
    else if (chunk instanceof Uint8Array) buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else if (typeof chunk === 'string') buf = Buffer.from(chunk);
    else {
      callback(
        new StorageError(
          'InvalidArgument',
          'A body stream yielded something other than bytes; streams must yield Uint8Array chunks.',
        ),
      );
      return;
    }
    this.loaded += buf.length;
    const { expectedSize, onProgress, header } = this.options;
    if (expectedSize !== undefined && this.loaded > expectedSize) {
      callback(
        new StorageError(
          'IntegrityError',
          `The body is longer than the declared size of ${expectedSize} bytes; nothing was stored.`,
        ),
      );
      return;
    }
    this.queue.push(buf);
    try {
      // A full chunk is sealed only once a byte after it arrived: until then it may be the last one.
      const sealed: Buffer[] = [];
      while (this.queue.length > header.chunkSize) {
        sealed.push(...this.cipher.seal(this.index++, false, this.queue.takeParts(header.chunkSize)));
      }
      this.pushAll(sealed);
    } catch (e) {
      callback(e as Error);
      return;
    }
    if (onProgress !== undefined && buf.length > 0) onProgress({ loaded: this.loaded, total: expectedSize });
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const { expectedSize } = this.options;
    if (expectedSize !== undefined && this.loaded !== expectedSize) {
      callback(
        new StorageError(
          'IntegrityError',
          `The body ended after ${this.loaded} bytes but ${expectedSize} were declared; nothing was stored.`,
        ),
      );
      return;
    }
    try {
      this.pushAll(this.cipher.seal(this.index++, true, this.queue.takeParts(this.queue.length)));
    } catch (e) {
      callback(e as Error);
      return;
    }
    callback();
  }

  /** Pushes the sealed pieces as they are: concatenating them (to spare the 16-byte tags a trip each) measured slower. */
  private pushAll(pieces: Buffer[]): void {
    for (const piece of pieces) this.push(piece);
  }
}

/** How a {@link DecryptStream} learns the header and data key. */
export type HeaderSource = { header: Header; dataKey: Buffer } | { resolve(header: Header): Promise<Buffer> };

/** Options of {@link DecryptStream}. */
export interface DecryptStreamOptions {
  /** A known header (range reads) or a resolver for the header at the start of the stream (full reads). */
  source: HeaderSource;
  /** Index of the first chunk in the stream. @default 0 */
  firstChunk?: number;
  /** Index of the object's final chunk when known (range reads); else the stream's last chunk is the final one. */
  finalChunk?: number;
  /** Plaintext bytes to drop from the start of the output. @default 0 */
  skip?: number;
  /** Most plaintext bytes to emit. @default all */
  limit?: number;
  /** The object key, for error messages. */
  key?: string;
}

/** Sealed chunks in (with or without the header), plaintext out. Holds about two chunks. */
export class DecryptStream extends Transform {
  private readonly queue = new ByteQueue();
  private header: Header | undefined;
  private cipher: ChunkCipher | undefined;
  private index: number;
  private skip: number;
  private remaining: number;
  private opened = false;

  constructor(private readonly options: DecryptStreamOptions) {
    super();
    this.index = options.firstChunk ?? 0;
    this.skip = options.skip ?? 0;
    this.remaining = options.limit ?? Number.POSITIVE_INFINITY;
    if ('header' in options.source) {
      this.header = options.source.header;
      this.cipher = new ChunkCipher(options.source.dataKey, options.source.header, options.key);
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.queue.push(chunk);
    this.step(false, callback);
  }

  override _flush(callback: TransformCallback): void {
    this.step(true, callback);
  }

  /** Opens what the queue holds; asynchronous only while the header's data key is being unwrapped. */
  private step(ending: boolean, callback: TransformCallback): void {
    if (this.cipher !== undefined) {
      try {
        this.drain(ending);
      } catch (e) {
        callback(e as Error);
        return;
      }
      callback();
      return;
    }
    this.readHeader(ending).then(
      (ready) => (ready ? this.step(ending, callback) : callback()),
      (e: unknown) => callback(e as Error),
    );
  }

  private async readHeader(ending: boolean): Promise<boolean> {
    const length = this.queue.length >= 8 ? headerLengthOf(this.queue.peek(8)) : undefined;
    if (length === undefined || this.queue.length < length) {
      if (ending) throw integrity('it is truncated inside its header', this.options.key);
      return false;
    }
    const header = decodeHeader(this.queue.take(length));
    if (!('resolve' in this.options.source)) throw new Error('unreachable: a known header is set up front');
    const dataKey = await this.options.source.resolve(header);
    this.header = header;
    this.cipher = new ChunkCipher(dataKey, header, this.options.key);
    return true;
  }

  private drain(ending: boolean): void {
    const sealedSize = this.header!.chunkSize + TAG_BYTES;
    const final = this.options.finalChunk;
    const key = this.options.key;
    if (final === undefined) {
      // Full read: the stream's last chunk is the object's final chunk.
      while (this.queue.length > sealedSize) this.open(false, this.queue.takeParts(sealedSize));
      if (!ending) return;
      if (this.queue.length === 0 && this.opened)
        throw integrity('it is truncated (its final chunk is missing)', key);
      this.open(true, this.queue.takeParts(this.queue.length));
      return;
    }
    // Range read: the chunks first..n of an object whose final chunk is `final`.
    while (this.queue.length >= sealedSize && this.index < final) {
      this.open(false, this.queue.takeParts(sealedSize));
    }
    if (!ending) return;
    if (this.queue.length === 0) {
      if (!this.opened) throw integrity('it is shorter than its size says', key);
      return;
    }
    if (this.index > final) throw integrity('it is longer than its size says', key);
    this.open(this.index === final, this.queue.takeParts(this.queue.length));
  }

  private open(last: boolean, sealed: Buffer[]): void {
    this.opened = true;
    for (const plain of this.cipher!.open(this.index++, last, sealed)) this.deliver(plain);
  }

  private deliver(plaintext: Buffer): void {
    let out = plaintext;
    if (this.skip > 0) {
      const dropped = Math.min(this.skip, out.length);
      out = out.subarray(dropped);
      this.skip -= dropped;
    }
    if (out.length > this.remaining) out = out.subarray(0, this.remaining);
    this.remaining -= out.length;
    if (out.length > 0) this.push(out);
  }
}
