/**
 * The chunk cipher: AES-256-GCM per chunk with counter nonces, a byte queue
 * that hands out exact chunk lengths without copying, and whole-buffer
 * encryption for bodies already in memory.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { StorageError } from '../../core/errors.js';
import { chunkCount, chunkNonce, type Header, integrity, TAG_BYTES } from './format.js';

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
