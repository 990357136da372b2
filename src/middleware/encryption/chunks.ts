/**
 * The chunked AES-256-GCM layer: encrypting and decrypting transforms with
 * bounded memory (about two chunks), and whole-buffer helpers for bodies that
 * are already in memory.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { Progress } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';
import {
  chunkCount,
  chunkNonce,
  decodeHeader,
  type Header,
  headerLengthOf,
  integrity,
  TAG_BYTES,
} from './format.js';

/** A FIFO of byte chunks that hands out exact lengths, copying only across chunk boundaries. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Removes and returns the first `n` bytes (`n <= length`). */
  take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.length -= n;
    const first = this.chunks[this.head]!;
    if (first.length >= n) {
      if (first.length === n) this.shift();
      else this.chunks[this.head] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.head]!;
      const want = Math.min(n - filled, chunk.length);
      chunk.copy(out, filled, 0, want);
      filled += want;
      if (want === chunk.length) this.shift();
      else this.chunks[this.head] = chunk.subarray(want);
    }
    return out;
  }

  /** The first `n` bytes without removing them. */
  peek(n: number): Buffer {
    const first = this.chunks[this.head]!;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks.slice(this.head), this.length).subarray(0, n);
  }

  private shift(): void {
    this.chunks[this.head++] = undefined as never;
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

/** Encrypts one chunk; returns its ciphertext and tag. */
export function sealChunk(
  dataKey: Buffer,
  header: Header,
  index: number,
  last: boolean,
  plaintext: Buffer,
): [Buffer, Buffer] {
  if (index > 0xffffffff) {
    throw new StorageError(
      'InvalidArgument',
      'The object has more than 2^32 chunks; use a larger `chunkSize`.',
    );
  }
  const cipher = createCipheriv('aes-256-gcm', dataKey, chunkNonce(header.noncePrefix, index, last));
  cipher.setAAD(header.aad);
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

/** Decrypts and authenticates one chunk (ciphertext followed by its tag). */
export function openChunk(
  dataKey: Buffer,
  header: Header,
  index: number,
  last: boolean,
  sealed: Buffer,
  key?: string,
): Buffer {
  if (sealed.length < TAG_BYTES) throw integrity('it is truncated', key);
  const decipher = createDecipheriv('aes-256-gcm', dataKey, chunkNonce(header.noncePrefix, index, last));
  decipher.setAAD(header.aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const body = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    throw integrity(
      last
        ? `chunk ${index} fails authentication (the object was modified, truncated, reordered, or its chunks come from another object)`
        : `chunk ${index} fails authentication (the object was modified, reordered, truncated, or its chunks come from another object)`,
      key,
    );
  }
  return body;
}

/** Encrypts a whole in-memory plaintext: header, then every chunk. */
export function encryptBytes(dataKey: Buffer, header: Header, plaintext: Uint8Array): Buffer {
  const source = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  const { chunkSize } = header;
  const chunks = chunkCount(source.length, chunkSize);
  const out = Buffer.allocUnsafe(header.bytes.length + source.length + chunks * TAG_BYTES);
  header.bytes.copy(out, 0);
  let offset = header.bytes.length;
  for (let i = 0; i < chunks; i++) {
    const piece = source.subarray(i * chunkSize, Math.min(source.length, (i + 1) * chunkSize));
    const [body, tag] = sealChunk(dataKey, header, i, i === chunks - 1, piece);
    offset += body.copy(out, offset);
    offset += tag.copy(out, offset);
  }
  return out;
}

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
  private index = 0;
  private loaded = 0;

  constructor(private readonly options: EncryptStreamOptions) {
    super({ highWaterMark: options.header.chunkSize * 2 });
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
    const { expectedSize, onProgress, header, dataKey } = this.options;
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
      while (this.queue.length > header.chunkSize) {
        const [body, tag] = sealChunk(
          dataKey,
          header,
          this.index++,
          false,
          this.queue.take(header.chunkSize),
        );
        this.push(body);
        this.push(tag);
      }
    } catch (e) {
      callback(e as Error);
      return;
    }
    if (onProgress !== undefined && buf.length > 0) onProgress({ loaded: this.loaded, total: expectedSize });
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const { expectedSize, header, dataKey } = this.options;
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
      const [body, tag] = sealChunk(dataKey, header, this.index++, true, this.queue.take(this.queue.length));
      this.push(body);
      this.push(tag);
    } catch (e) {
      callback(e as Error);
      return;
    }
    callback();
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
  private dataKey: Buffer | undefined;
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
      this.dataKey = options.source.dataKey;
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.queue.push(chunk);
    this.drain(false).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.drain(true).then(() => callback(), callback);
  }

  private async drain(ending: boolean): Promise<void> {
    if (this.header === undefined) {
      const length = this.queue.length >= 8 ? headerLengthOf(this.queue.peek(8)) : undefined;
      if (length === undefined || this.queue.length < length) {
        if (ending) throw integrity('it is truncated inside its header', this.options.key);
        return;
      }
      const header = decodeHeader(this.queue.take(length));
      if (!('resolve' in this.options.source)) throw new Error('unreachable');
      this.dataKey = await this.options.source.resolve(header);
      this.header = header;
    }
    const header = this.header;
    const dataKey = this.dataKey!;
    const sealedSize = header.chunkSize + TAG_BYTES;
    const final = this.options.finalChunk;
    const key = this.options.key;
    if (final === undefined) {
      // Full read: the stream's last chunk is the object's final chunk.
      while (this.queue.length > sealedSize) this.open(dataKey, header, false, this.queue.take(sealedSize));
      if (!ending) return;
      if (this.queue.length === 0 && this.opened)
        throw integrity('it is truncated (its final chunk is missing)', key);
      this.open(dataKey, header, true, this.queue.take(this.queue.length));
      return;
    }
    // Range read: the chunks first..n of an object whose final chunk is `final`.
    while (this.queue.length >= sealedSize && this.index < final) {
      this.open(dataKey, header, false, this.queue.take(sealedSize));
    }
    if (!ending) return;
    if (this.queue.length === 0) {
      if (!this.opened) throw integrity('it is shorter than its size says', key);
      return;
    }
    if (this.index > final) throw integrity('it is longer than its size says', key);
    this.open(dataKey, header, this.index === final, this.queue.take(this.queue.length));
  }

  private open(dataKey: Buffer, header: Header, last: boolean, sealed: Buffer): void {
    this.opened = true;
    this.deliver(openChunk(dataKey, header, this.index++, last, sealed, this.options.key));
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
