/**
 * The binary format of an encrypted object (version 1), documented byte by
 * byte in docs/encryption-format.md:
 *
 *   header = magic "STWE" | version u8 | flags u8 | headerLength u16
 *            | chunkSize u32 | noncePrefix[7] | keyIdLength u8 | keyId
 *            | wrappedKeyLength u16 | wrappedKey
 *   body   = chunk 0 | chunk 1 | ... | chunk n-1     (n >= 1)
 *   chunk  = AES-256-GCM(dataKey, nonce, aad = SHA-256(header)) ciphertext | tag[16]
 *   nonce  = noncePrefix[7] | chunkIndex u32 | lastChunk u8 (1 on the final chunk, else 0)
 *
 * Every chunk but the last holds exactly `chunkSize` plaintext bytes; the last
 * holds 0..chunkSize (0 only when the whole object is empty). So the plaintext
 * size follows from the ciphertext size, the header length and the chunk size
 * alone, without reading the object.
 */
import { createHash } from 'node:crypto';
import { StorageError } from '../../core/errors.js';

/** The four bytes every encrypted object starts with. */
export const MAGIC = Buffer.from('STWE', 'ascii');
/** The format version written by this code. */
export const FORMAT_VERSION = 1;
/** Bytes of the GCM authentication tag at the end of each chunk. */
export const TAG_BYTES = 16;
/** Bytes of the random per-object nonce prefix. */
export const NONCE_PREFIX_BYTES = 7;
/** Bytes before the key id: magic, version, flags, header length, chunk size, nonce prefix, key id length. */
export const FIXED_HEADER_BYTES = 4 + 1 + 1 + 2 + 4 + NONCE_PREFIX_BYTES + 1;
/** Smallest and largest chunk sizes accepted (1 KiB .. 16 MiB). */
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
/** Metadata key that marks an encrypted object and carries `h=<headerLength>;c=<chunkSize>`. */
export const MARKER_METADATA_KEY = 'stowage-encryption';

/** The parsed header of one encrypted object. */
export interface Header {
  /** Plaintext bytes per chunk. */
  chunkSize: number;
  /** Random per-object prefix of every chunk nonce. */
  noncePrefix: Buffer;
  /** Id of the keyring key that wrapped the data key ('' for a KMS). */
  keyId: string;
  /** The data key, wrapped. */
  wrappedKey: Buffer;
  /** The header bytes as stored (their SHA-256 is every chunk's AAD). */
  bytes: Buffer;
  /** SHA-256 of `bytes`. */
  aad: Buffer;
}

/** Serialises a header. */
export function encodeHeader(fields: {
  chunkSize: number;
  noncePrefix: Buffer;
  keyId: string;
  wrappedKey: Uint8Array;
}): Header {
  const keyId = Buffer.from(fields.keyId, 'utf8');
  if (keyId.length > 255)
    throw new StorageError('InvalidConfig', 'Key ids must be at most 255 bytes of UTF-8.');
  if (fields.wrappedKey.byteLength > 0xffff) {
    throw new StorageError('InvalidConfig', 'The KMS returned a wrapped key over 65535 bytes.');
  }
  const length = FIXED_HEADER_BYTES + keyId.length + 2 + fields.wrappedKey.byteLength;
  const bytes = Buffer.alloc(length);
  MAGIC.copy(bytes, 0);
  bytes.writeUInt8(FORMAT_VERSION, 4);
  bytes.writeUInt8(0, 5);
  bytes.writeUInt16BE(length, 6);
  bytes.writeUInt32BE(fields.chunkSize, 8);
  fields.noncePrefix.copy(bytes, 12);
  bytes.writeUInt8(keyId.length, 19);
  keyId.copy(bytes, 20);
  bytes.writeUInt16BE(fields.wrappedKey.byteLength, 20 + keyId.length);
  Buffer.from(fields.wrappedKey).copy(bytes, 22 + keyId.length);
  return {
    chunkSize: fields.chunkSize,
    noncePrefix: fields.noncePrefix,
    keyId: fields.keyId,
    wrappedKey: Buffer.from(fields.wrappedKey),
    bytes,
    aad: sha256(bytes),
  };
}

/**
 * The header length announced by the first 8 bytes, or `undefined` when
 * fewer than 8 bytes are given. Throws `IntegrityError` on a wrong magic or
 * version.
 */
export function headerLengthOf(prefix: Uint8Array): number | undefined {
  if (prefix.byteLength < 8) return undefined;
  const buf = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (!buf.subarray(0, 4).equals(MAGIC)) {
    throw integrity(
      'it does not start with the stowage encryption header (was it written without the encryption middleware?)',
    );
  }
  if (buf[4] !== FORMAT_VERSION) {
    throw integrity(`its format version ${buf[4]} is not supported by this version of stowage`);
  }
  const length = buf.readUInt16BE(6);
  if (length < FIXED_HEADER_BYTES + 2) throw integrity('its header is malformed');
  return length;
}

/** Parses a complete header (exactly `headerLengthOf` bytes). */
export function decodeHeader(input: Uint8Array): Header {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const length = headerLengthOf(bytes);
  if (length === undefined || bytes.length < length) throw integrity('its header is truncated');
  if (bytes[5] !== 0) throw integrity('its header has unknown flags');
  const chunkSize = bytes.readUInt32BE(8);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw integrity('its chunk size is invalid');
  const keyIdLength = bytes.readUInt8(19);
  if (20 + keyIdLength + 2 > length) throw integrity('its header is malformed');
  const wrappedLength = bytes.readUInt16BE(20 + keyIdLength);
  if (22 + keyIdLength + wrappedLength !== length) throw integrity('its header is malformed');
  const header = Buffer.from(bytes.subarray(0, length));
  return {
    chunkSize,
    noncePrefix: header.subarray(12, 19),
    keyId: header.subarray(20, 20 + keyIdLength).toString('utf8'),
    wrappedKey: header.subarray(22 + keyIdLength, length),
    bytes: header,
    aad: sha256(header),
  };
}

/** The 12-byte GCM nonce of chunk `index`. */
export function chunkNonce(prefix: Buffer, index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, 7);
  nonce.writeUInt8(last ? 1 : 0, 11);
  return nonce;
}

/** Number of chunks for a plaintext of `size` bytes (at least one, even when empty). */
export function chunkCount(plaintextSize: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(plaintextSize / chunkSize));
}

/** Stored size of an object whose plaintext is `size` bytes. */
export function ciphertextSize(plaintextSize: number, headerLength: number, chunkSize: number): number {
  return headerLength + plaintextSize + TAG_BYTES * chunkCount(plaintextSize, chunkSize);
}

/**
 * Plaintext size of an object stored in `size` bytes, or `undefined` when no
 * plaintext size gives that ciphertext size (the object was truncated or extended).
 */
export function plaintextSize(
  storedSize: number,
  headerLength: number,
  chunkSize: number,
): number | undefined {
  const body = storedSize - headerLength;
  if (body < TAG_BYTES) return undefined;
  const chunks = Math.ceil(body / (chunkSize + TAG_BYTES));
  const size = body - TAG_BYTES * chunks;
  // The last chunk must carry at least one byte, unless the object is empty.
  const lastChunkBytes = size - (chunks - 1) * chunkSize;
  if (lastChunkBytes < 0 || (lastChunkBytes === 0 && chunks > 1)) return undefined;
  return size;
}

/** Reads `h=<headerLength>;c=<chunkSize>` from an object's metadata. */
export function parseMarker(
  value: string | undefined,
): { headerLength: number; chunkSize: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^v1;h=(\d+);c=(\d+)$/.exec(value);
  if (!match) return undefined;
  return { headerLength: Number(match[1]), chunkSize: Number(match[2]) };
}

/** The metadata value that marks an encrypted object. */
export function formatMarker(headerLength: number, chunkSize: number): string {
  return `v1;h=${headerLength};c=${chunkSize}`;
}

/** An `IntegrityError` that says what is wrong with the stored object. */
export function integrity(why: string, key?: string): StorageError {
  const where = key === undefined ? 'The encrypted object' : `The encrypted object at ${JSON.stringify(key)}`;
  return new StorageError(
    'IntegrityError',
    `${where} cannot be decrypted: ${why}. Restore it from a good copy; its content is not trustworthy.`,
    { key },
  );
}

function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}
