/**
 * The chunk cipher: AES-256-GCM per chunk with counter nonces, a byte queue
 * for the header at the start of a stream, and whole-buffer encryption for
 * bodies already in memory.
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
 * KeyObject, the header hash (the AAD) and one nonce buffer rewritten in
 * place, so a chunk costs one cipher set-up and one `update` over the whole
 * chunk: Node has no way to reuse a GCM context under a new nonce, nor to
 * encrypt into a caller's buffer, so that set-up (a few microseconds) and the
 * output buffer are the floor per chunk.
 */
export class ChunkCipher {
  private readonly key: KeyObject;
  private readonly nonce: Buffer;
  private readonly aad: Buffer;

  constructor(
    dataKey: Buffer,
    header: Header,
    private readonly objectKey?: string,
  ) {
    this.key = createSecretKey(dataKey);
    this.nonce = chunkNonce(header.noncePrefix, 0, false);
    this.aad = header.aad;
  }

  /** Encrypts chunk `index` (`plaintext` is read before this returns); returns its ciphertext and its tag. */
  seal(index: number, last: boolean, plaintext: Buffer): [ciphertext: Buffer, tag: Buffer] {
    const cipher = createCipheriv('aes-256-gcm', this.key, this.nonceFor(index, last));
    cipher.setAAD(this.aad);
    const body = cipher.update(plaintext);
    // GCM is a stream mode: `final` only computes the tag and returns no bytes.
    cipher.final();
    return [body, cipher.getAuthTag()];
  }

  /** Decrypts and authenticates chunk `index` given as ciphertext then tag (`sealed` is read before this returns). */
  open(index: number, last: boolean, sealed: Buffer): Buffer {
    const bodyLength = sealed.length - TAG_BYTES;
    if (bodyLength < 0) throw integrity('it is truncated', this.objectKey);
    const decipher = createDecipheriv('aes-256-gcm', this.key, this.nonceFor(index, last));
    decipher.setAAD(this.aad);
    const plaintext = decipher.update(sealed.subarray(0, bodyLength));
    decipher.setAuthTag(sealed.subarray(bodyLength));
    try {
      decipher.final();
    } catch {
      throw integrity(
        `chunk ${index} fails authentication (the object was modified, truncated or reordered, or the chunk comes from another object)`,
        this.objectKey,
      );
    }
    return plaintext;
  }

  private nonceFor(index: number, last: boolean): Buffer {
    if (index > 0xffffffff) {
      throw new StorageError(
        'InvalidArgument',
        'The object has more than 2^32 chunks; use a larger `chunkSize`.',
      );
    }
    this.nonce.writeUInt32BE(index, 7);
    this.nonce[11] = last ? 1 : 0;
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
    const [body, tag] = cipher.seal(i, i === chunks - 1, piece);
    offset += body.copy(out, offset);
    offset += tag.copy(out, offset);
  }
  return out;
}
