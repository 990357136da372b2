/**
 * The chunked AES-256-GCM layer: encrypting and decrypting transforms with
 * bounded memory (about two chunks), and whole-buffer helpers for bodies that
 * are already in memory.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
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

  /** Removes the first `n` bytes (`n <= length`) as slices of the queued chunks, without copying. */
  takeParts(n: number): Buffer[] {
    const parts: Buffer[] = [];
    this.length -= n;
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[this.head]!;
      if (chunk.length <= left) {
        parts.push(chunk);
        left -= chunk.length;
        this.shift();
      } else {
        parts.push(chunk.subarray(0, left));
        this.chunks[this.head] = chunk.subarray(left);
        left = 0;
      }
    }
    return parts;
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

/**
 * Seals and opens the chunks of one object. Holds the data key as a
 * KeyObject and one nonce buffer, so each chunk costs one cipher set-up and
 * no copies: chunks come and go as lists of buffer slices.
 */
export class ChunkCipher {
  private readonly key: KeyObject;
  private readonly nonce: Buffer;

  constructor(
    dataKey: Buffer,
    private readonly header: Header,
    private readonly objectKey?: string,
  ) {
    this.key = createSecretKey(dataKey);
    this.nonce = chunkNonce(header.noncePrefix, 0, false);
  }

  /** Encrypts the plaintext `parts` of chunk `index`; returns ciphertext pieces, tag last. */
  seal(index: number, last: boolean, parts: readonly Buffer[]): Buffer[] {
    const cipher = createCipheriv('aes-256-gcm', this.key, this.nonceFor(index, last));
    cipher.setAAD(this.header.aad);
    const out: Buffer[] = [];
    for (const part of parts) {
      const body = cipher.update(part);
      if (body.length > 0) out.push(body);
    }
    const rest = cipher.final();
    if (rest.length > 0) out.push(rest);
    out.push(cipher.getAuthTag());
    return out;
  }

  /** Decrypts and authenticates chunk `index` given as `parts` (ciphertext then tag); returns plaintext pieces. */
  open(index: number, last: boolean, parts: readonly Buffer[]): Buffer[] {
    let length = 0;
    for (const part of parts) length += part.length;
    if (length < TAG_BYTES) throw integrity('it is truncated', this.objectKey);
    const decipher = createDecipheriv('aes-256-gcm', this.key, this.nonceFor(index, last));
    decipher.setAAD(this.header.aad);
    const out: Buffer[] = [];
    const tagPieces: Buffer[] = [];
    let bodyLeft = length - TAG_BYTES;
    for (const part of parts) {
      const bodyBytes = Math.min(bodyLeft, part.length);
      if (bodyBytes > 0) {
        const plain = decipher.update(bodyBytes === part.length ? part : part.subarray(0, bodyBytes));
        if (plain.length > 0) out.push(plain);
        bodyLeft -= bodyBytes;
      }
      if (bodyBytes < part.length) tagPieces.push(part.subarray(bodyBytes));
    }
    decipher.setAuthTag(tagPieces.length === 1 ? tagPieces[0]! : Buffer.concat(tagPieces));
    try {
      const rest = decipher.final();
      if (rest.length > 0) out.push(rest);
    } catch {
      throw integrity(
        `chunk ${index} fails authentication (the object was modified, truncated or reordered, or the chunk comes from another object)`,
        this.objectKey,
      );
    }
    return out;
  }

  private nonceFor(index: number, last: boolean): Buffer {
    if (index > 0xffffffff) {
      throw new StorageError(
        'InvalidArgument',
        'The object has more than 2^32 chunks; use a larger `chunkSize`.',
      );
    }
    this.nonce.writeUInt32BE(index, 7);
    this.nonce.writeUInt8(last ? 1 : 0, 11);
    return this.nonce;
  }
}

/** Encrypts a whole in-memory plaintext: header, then every chunk. */
export function encryptBytes(dataKey: Buffer, header: Header, plaintext: Uint8Array): Buffer {
  const source = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  const { chunkSize } = header;
  const chunks = chunkCount(source.length, chunkSize);
  const out = Buffer.allocUnsafe(header.bytes.length + source.length + chunks * TAG_BYTES);
  const cipher = new ChunkCipher(dataKey, header);
  let offset = header.bytes.copy(out, 0);
  for (let i = 0; i < chunks; i++) {
    const piece = source.subarray(i * chunkSize, Math.min(source.length, (i + 1) * chunkSize));
    for (const sealed of cipher.seal(i, i === chunks - 1, [piece])) offset += sealed.copy(out, offset);
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
