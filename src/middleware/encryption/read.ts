/** Decryption paths: a whole object in memory, a full stream, and a range that touches only its chunks. */
import { Readable } from 'node:stream';
import type { ByteRange, ObjectInfo, ReadOptions, StorageBackend } from '../../core/backend.js';
import { isStorageError } from '../../core/errors.js';
import { assertKey } from '../../core/keys.js';
import { assertRange, resolveRange } from '../../core/range.js';
import { DecryptStream } from './chunks.js';
import { ChunkCipher } from './cipher.js';
import {
  chunkCount,
  decodeHeader,
  type Header,
  headerLengthOf,
  integrity,
  plaintextSize,
  TAG_BYTES,
} from './format.js';

/** Where the chunks of an object start, and how big they are. */
export interface Layout {
  headerLength: number;
  chunkSize: number;
}

/** What the read paths need from the backend: unwrapping a header's data key, and an object's layout. */
export interface ReadContext {
  unwrap(header: Header): Promise<Buffer>;
  layout(info: ObjectInfo): Promise<Layout | undefined>;
}

/** Decrypts a whole stored object held in memory. */
export async function decryptWhole(
  stored: Uint8Array,
  unwrap: (header: Header) => Promise<Buffer>,
  key: string,
): Promise<Uint8Array> {
  const sealed = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const headerLength = headerLengthOf(sealed);
  if (headerLength === undefined || sealed.length < headerLength)
    throw integrity('it is truncated inside its header', key);
  const header = decodeHeader(sealed.subarray(0, headerLength));
  const { chunkSize } = header;
  const size = plaintextSize(sealed.length, headerLength, chunkSize);
  if (size === undefined)
    throw integrity('its length does not match its format (it was truncated or extended)', key);
  const dataKey = await unwrap(header);
  const chunks = chunkCount(size, chunkSize);
  const out = Buffer.allocUnsafe(size);
  const sealedSize = chunkSize + TAG_BYTES;
  const cipher = new ChunkCipher(dataKey, header, key);
  for (let i = 0; i < chunks; i++) {
    const start = headerLength + i * sealedSize;
    const piece = sealed.subarray(start, Math.min(sealed.length, start + sealedSize));
    cipher.open(i, i === chunks - 1, piece).copy(out, i * chunkSize);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Opens a decrypting stream. Without a range: one inner stream of the whole
 * object. With a range: a `stat`, a read of the header, and one inner range
 * read of exactly the chunks the range touches, all pinned to the etag seen by
 * `stat` (with `ifMatch`, where the inner backend has `conditionalRead`) so an
 * overwrite in between cannot mix two objects.
 */
export async function openDecryptedStream(
  next: StorageBackend,
  key: string,
  options: Omit<ReadOptions, 'onProgress'>,
  context: ReadContext,
): Promise<Readable> {
  assertKey(key, 'stream');
  const { range, ...conditions } = options;
  if (range === undefined) {
    const inner = await next.stream(key, conditions);
    return pipeThrough(inner, new DecryptStream({ source: { resolve: context.unwrap }, key }));
  }
  assertRange(range);
  if (!next.capabilities.rangeRead) {
    const plain = await decryptWhole(await next.read(key, conditions), context.unwrap, key);
    const { start, end } = resolveRange(range, plain.byteLength);
    return bytesStream(plain.subarray(start, end));
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await openRange(next, key, range, conditions, context);
    } catch (e) {
      // The object was replaced between our requests: start again on the new one.
      const pinnedByUs = conditions.ifMatch === undefined && next.capabilities.conditionalRead;
      if (pinnedByUs && attempt < 2 && isStorageError(e, 'PreconditionFailed')) continue;
      throw e;
    }
  }
}

async function openRange(
  next: StorageBackend,
  key: string,
  range: ByteRange,
  conditions: Omit<ReadOptions, 'onProgress' | 'range'>,
  context: ReadContext,
): Promise<Readable> {
  const { signal, version, ifMatch, ifNoneMatch } = conditions;
  const info = await next.stat(key, { signal, version, ifMatch, ifNoneMatch });
  const layout = await context.layout(info);
  if (layout === undefined)
    throw integrity('it was not written by the encryption middleware (no encryption marker)', key);
  const pinned = ifMatch ?? (next.capabilities.conditionalRead ? info.etag : undefined);
  const headerBytes = await next.read(key, {
    range: { offset: 0, length: layout.headerLength },
    signal,
    version,
    ifMatch: pinned,
  });
  const header = decodeHeader(headerBytes);
  if (header.bytes.length !== layout.headerLength || header.chunkSize !== layout.chunkSize) {
    throw integrity('its header does not match its metadata', key);
  }
  const size = plaintextSize(info.size, layout.headerLength, layout.chunkSize);
  if (size === undefined)
    throw integrity('its length does not match its format (it was truncated or extended)', key);
  const { start, end } = resolveRange(range, size);
  if (start === end) return bytesStream(new Uint8Array(0));
  const dataKey = await context.unwrap(header);
  const { chunkSize } = header;
  const sealedSize = chunkSize + TAG_BYTES;
  const firstChunk = Math.floor(start / chunkSize);
  const lastChunk = Math.floor((end - 1) / chunkSize);
  const innerStart = layout.headerLength + firstChunk * sealedSize;
  const innerEnd = Math.min(info.size, layout.headerLength + (lastChunk + 1) * sealedSize);
  const inner = await next.stream(key, {
    range: { offset: innerStart, length: innerEnd - innerStart },
    signal,
    version,
    ifMatch: pinned,
  });
  return pipeThrough(
    inner,
    new DecryptStream({
      source: { header, dataKey },
      firstChunk,
      finalChunk: chunkCount(size, chunkSize) - 1,
      skip: start - firstChunk * chunkSize,
      limit: end - start,
      key,
    }),
  );
}

function pipeThrough(inner: Readable, decrypting: DecryptStream): Readable {
  inner.on('error', (e) => decrypting.destroy(e));
  decrypting.on('close', () => {
    if (!inner.destroyed) inner.destroy();
  });
  return inner.pipe(decrypting);
}

function bytesStream(bytes: Uint8Array): Readable {
  return Readable.from(
    bytes.byteLength === 0 ? [] : [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)],
    {
      objectMode: false,
    },
  );
}
