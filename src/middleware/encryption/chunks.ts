/**
 * The streaming layer: encrypting and decrypting transforms with bounded
 * memory (about one input piece plus a few chunks in each direction). Both cut
 * their input with a {@link UnitSplitter}, so a chunk that lies inside one
 * input piece is sealed or opened in place, without a copy.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Progress } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';
import { ByteQueue, ChunkCipher } from './cipher.js';
import { decodeHeader, type Header, headerLengthOf, integrity, TAG_BYTES } from './format.js';
import { UnitSplitter } from './splitter.js';

/** Options of {@link EncryptStream}. */
export interface EncryptStreamOptions {
  header: Header;
  dataKey: Buffer;
  /** Exact plaintext length promised by the caller; any other length fails with `IntegrityError`. */
  expectedSize?: number;
  /** Plaintext progress. */
  onProgress?: (p: Progress) => void;
}

/** Plaintext in, header and sealed chunks out. Holds at most one chunk plus one input piece. */
export class EncryptStream extends Transform {
  private readonly splitter: UnitSplitter;
  private readonly cipher: ChunkCipher;
  private index = 0;
  private loaded = 0;
  /** Seals a chunk known not to be the last; bound once, not per piece. */
  private readonly sealMiddle = (plaintext: Buffer): void => this.seal(false, plaintext);

  constructor(private readonly options: EncryptStreamOptions) {
    super({ highWaterMark: options.header.chunkSize * 2 });
    this.splitter = new UnitSplitter(options.header.chunkSize);
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
    const { expectedSize, onProgress } = this.options;
    if (expectedSize !== undefined && this.loaded > expectedSize) {
      callback(
        new StorageError(
          'IntegrityError',
          `The body is longer than the declared size of ${expectedSize} bytes; nothing was stored.`,
        ),
      );
      return;
    }
    try {
      // A full chunk is sealed only once a byte after it arrived: until then it may be the last one.
      this.splitter.push(buf, this.sealMiddle);
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
      this.seal(true, this.splitter.end());
    } catch (e) {
      callback(e as Error);
      return;
    }
    callback();
  }

  /**
   * Seals one chunk and pushes its ciphertext and tag as they are. Copying
   * them into larger buffers (one per chunk, or one per MiB like a single raw
   * cipher) costs a copy of every byte and doubles the bytes of new
   * ArrayBuffers, which is what paces V8's scavenges and, once the heap is
   * past 8 MiB, its mark-compacts: it measured far slower (see
   * bench/encryption/RESULTS.md, session 4).
   */
  private seal(last: boolean, plaintext: Buffer): void {
    const [body, tag] = this.cipher.seal(this.index++, last, plaintext);
    if (body.length > 0) this.push(body);
    this.push(tag);
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

/** Sealed chunks in (with or without the header), plaintext out. Holds about two chunks plus one input piece. */
export class DecryptStream extends Transform {
  /** Bytes before the header is complete (full reads only). */
  private readonly headerQueue = new ByteQueue();
  private splitter: UnitSplitter | undefined;
  private cipher: ChunkCipher | undefined;
  private index: number;
  private skip: number;
  private remaining: number;
  /** Opens a sealed chunk known not to be the stream's last; bound once, not per piece. */
  private readonly openMiddle = (sealed: Buffer): void => {
    const final = this.options.finalChunk;
    if (final !== undefined && this.index >= final) {
      throw integrity('it is longer than its size says', this.options.key);
    }
    this.open(false, sealed);
  };

  constructor(private readonly options: DecryptStreamOptions) {
    const known = 'header' in options.source ? options.source : undefined;
    // Two sealed chunks on each side when the chunk size is known; else 128 KiB until the header says.
    super({ highWaterMark: known === undefined ? 128 * 1024 : 2 * (known.header.chunkSize + TAG_BYTES) });
    this.index = options.firstChunk ?? 0;
    this.skip = options.skip ?? 0;
    this.remaining = options.limit ?? Number.POSITIVE_INFINITY;
    if (known !== undefined) this.start(known.header, known.dataKey);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    if (this.splitter !== undefined) {
      try {
        this.splitter.push(chunk, this.openMiddle);
      } catch (e) {
        callback(e as Error);
        return;
      }
      callback();
      return;
    }
    this.headerQueue.push(chunk);
    this.readHeader(false).then(
      () => callback(),
      (e: unknown) => callback(e as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    if (this.splitter !== undefined) {
      this.finish(callback);
      return;
    }
    this.readHeader(true).then(
      () => this.finish(callback),
      (e: unknown) => callback(e as Error),
    );
  }

  private start(header: Header, dataKey: Buffer): void {
    this.cipher = new ChunkCipher(dataKey, header, this.options.key);
    this.splitter = new UnitSplitter(header.chunkSize + TAG_BYTES);
  }

  /** Parses the header once it is complete, unwraps its data key, then opens what followed it. */
  private async readHeader(ending: boolean): Promise<void> {
    const queue = this.headerQueue;
    const length = queue.length >= 8 ? headerLengthOf(queue.peek(8)) : undefined;
    if (length === undefined || queue.length < length) {
      if (ending) throw integrity('it is truncated inside its header', this.options.key);
      return;
    }
    const header = decodeHeader(queue.take(length));
    if (!('resolve' in this.options.source)) throw new Error('unreachable: a known header is set up front');
    this.start(header, await this.options.source.resolve(header));
    for (const rest of queue.takeParts(queue.length)) this.splitter!.push(rest, this.openMiddle);
  }

  /** Opens the stream's last chunk: the object's final one on a full read, or the range's last on a range read. */
  private finish(callback: TransformCallback): void {
    try {
      const rest = this.splitter!.end();
      const final = this.options.finalChunk;
      if (rest.length === 0) {
        // With the last chunk held back, nothing is left only when no chunk arrived at all.
        throw integrity(
          final === undefined
            ? 'it is truncated (its final chunk is missing)'
            : 'it is shorter than its size says',
          this.options.key,
        );
      }
      if (final !== undefined && this.index > final)
        throw integrity('it is longer than its size says', this.options.key);
      this.open(final === undefined || this.index === final, rest);
    } catch (e) {
      callback(e as Error);
      return;
    }
    callback();
  }

  /**
   * Opens one chunk and pushes its plaintext as Node returns it (copying
   * plaintexts into one buffer per input piece measured slower, for the
   * reason given at {@link EncryptStream}'s `seal`).
   */
  private open(last: boolean, sealed: Buffer): void {
    let out = this.cipher!.open(this.index++, last, sealed);
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
