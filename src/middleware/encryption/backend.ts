/** The backend the `encryption` middleware returns: encrypts on the way in, decrypts on the way out. */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type {
  Body,
  CopyOptions,
  Entry,
  ListOptions,
  ObjectInfo,
  PresignedRequest,
  PresignOptions,
  ReadOptions,
  StatOptions,
  StorageBackend,
  WriteOptions,
} from '../../core/backend.js';
import { collect, meter, prepareBody } from '../../core/body.js';
import { type Capabilities, defineCapabilities } from '../../core/capabilities.js';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import { assertKey } from '../../core/keys.js';
import { ForwardingBackend } from '../../core/layer.js';
import { EncryptStream } from './chunks.js';
import { encryptBytes } from './cipher.js';
import {
  ciphertextSize,
  encodeHeader,
  formatMarker,
  type Header,
  headerLengthOf,
  integrity,
  MARKER_METADATA_KEY,
  NONCE_PREFIX_BYTES,
  parseMarker,
  plaintextSize,
} from './format.js';
import type { KeyWrapper } from './keyring.js';
import { decryptWhole, openDecryptedStream, type Layout } from './read.js';

/** Client-side envelope encryption over any backend. Made by `encryption()`. */
export class EncryptedBackend extends ForwardingBackend {
  private cachedCapabilities: [Capabilities, Capabilities] | undefined;

  constructor(
    next: StorageBackend,
    private readonly wrapper: KeyWrapper,
    private readonly chunkSize: number,
  ) {
    super(next);
  }

  /**
   * The inner capabilities, except: `presign` is false (a presigned URL would
   * hand out ciphertext) and `rangeRead` is true (emulated by a full read when
   * the inner backend lacks it). Etags are those of the ciphertext, so
   * `ifMatch`/`ifNoneMatch` work unchanged.
   */
  override get capabilities(): Capabilities {
    const inner = this.next.capabilities;
    if (this.cachedCapabilities?.[0] !== inner) {
      this.cachedCapabilities = [inner, defineCapabilities({ ...inner, presign: false, rangeRead: true })];
    }
    return this.cachedCapabilities[1];
  }

  override async write(key: string, body: Body, options: WriteOptions = {}): Promise<ObjectInfo> {
    assertKey(key, 'write');
    checkOptionsObject(options, 'write');
    throwIfAborted(options.signal, 'write', key);
    const { onProgress, size, metadata, ...rest } = options;
    checkOnProgress(onProgress);
    checkUserMetadata(metadata);
    const prepared = prepareBody(body, size);
    const { header, dataKey } = await this.newHeader(key);
    const withMarker = this.markedMetadata(metadata, header);
    if (prepared.bytes !== undefined) {
      const sealed = encryptBytes(dataKey, header, prepared.bytes);
      const info = await this.next.write(key, sealed, { ...rest, metadata: withMarker });
      onProgress?.({ loaded: prepared.bytes.byteLength, total: prepared.bytes.byteLength });
      return this.plainInfo(info);
    }
    const source = prepared.stream();
    const sealing = new EncryptStream({ header, dataKey, expectedSize: prepared.size, onProgress });
    source.on('error', (e) => sealing.destroy(e));
    source.pipe(sealing);
    try {
      const info = await this.next.write(key, sealing, {
        ...rest,
        metadata: withMarker,
        size:
          prepared.size === undefined
            ? undefined
            : ciphertextSize(prepared.size, header.bytes.length, header.chunkSize),
      });
      if (onProgress !== undefined && sealing.plaintextBytes === 0) onProgress({ loaded: 0, total: 0 });
      return this.plainInfo(info);
    } catch (e) {
      // The error of our own transform (a size mismatch) says more than the inner backend's.
      const own = sealing.errored;
      if (own instanceof StorageError && !(e instanceof StorageError && e.code === 'Aborted')) throw own;
      throw e;
    } finally {
      if (!source.destroyed && !source.readableEnded) source.destroy();
      if (!sealing.destroyed) sealing.destroy();
    }
  }

  override async read(key: string, options: ReadOptions = {}): Promise<Uint8Array> {
    checkOptionsObject(options, 'read');
    const { range, onProgress, ...rest } = options;
    checkOnProgress(onProgress);
    let plain: Uint8Array;
    if (range === undefined) {
      const sealed = await this.next.read(key, rest);
      plain = await decryptWhole(sealed, (h) => this.unwrap(h, key), key);
    } else {
      plain = await collect(await this.stream(key, { ...rest, range }));
    }
    onProgress?.({ loaded: plain.byteLength, total: plain.byteLength });
    return plain;
  }

  override async stream(key: string, options: ReadOptions = {}): Promise<Readable> {
    checkOptionsObject(options, 'stream');
    const { onProgress, ...rest } = options;
    checkOnProgress(onProgress);
    const plain = await openDecryptedStream(this.next, key, rest, {
      unwrap: (h) => this.unwrap(h, key),
      layout: (info) => this.layoutOf(info),
    });
    if (onProgress === undefined) return plain;
    const counter = meter({ onProgress });
    plain.on('error', (e) => counter.destroy(e));
    counter.on('close', () => {
      if (!plain.destroyed) plain.destroy();
    });
    return plain.pipe(counter);
  }

  override async stat(key: string, options?: StatOptions): Promise<ObjectInfo> {
    return this.plainInfo(await this.next.stat(key, options), true);
  }

  override list(prefix?: string, options?: ListOptions): AsyncIterable<Entry> {
    const inner = this.next.list(prefix, options);
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const entry of inner) {
          if (entry.type === 'prefix') yield entry;
          else yield { type: 'object', ...(await self.plainInfo(entry)) };
        }
      },
    };
  }

  override async copy(from: string, to: string, options: CopyOptions = {}): Promise<ObjectInfo> {
    return this.plainInfo(await this.next.copy(from, to, await this.copyOptions(from, options)));
  }

  override async move(from: string, to: string, options: CopyOptions = {}): Promise<ObjectInfo> {
    return this.plainInfo(await this.next.move(from, to, await this.copyOptions(from, options)));
  }

  override async presign(key: string, _options: PresignOptions): Promise<PresignedRequest> {
    assertKey(key, 'presign');
    throw new StorageError(
      'Unsupported',
      'Presigned URLs are not available through the encryption middleware: the URL would serve or accept ciphertext. Read and write through stowage instead.',
      { backend: this.kind, operation: 'presign', key },
    );
  }

  // ---- helpers -------------------------------------------------------------

  private async newHeader(key: string): Promise<{ header: Header; dataKey: Buffer }> {
    const dataKey = randomBytes(32);
    const wrappedKey = await this.wrapper.wrap(dataKey, key);
    const header = encodeHeader({
      chunkSize: this.chunkSize,
      noncePrefix: randomBytes(NONCE_PREFIX_BYTES),
      keyId: this.wrapper.currentKeyId,
      wrappedKey,
    });
    return { header, dataKey };
  }

  private unwrap(header: Header, key: string): Promise<Buffer> {
    return this.wrapper.unwrap(header.wrappedKey, header.keyId, key);
  }

  /** User metadata plus the marker (when the inner backend keeps metadata). */
  private markedMetadata(
    metadata: Record<string, string> | undefined,
    header: Header,
  ): Record<string, string> | undefined {
    if (!this.next.capabilities.metadata) return metadata;
    return { ...metadata, [MARKER_METADATA_KEY]: formatMarker(header.bytes.length, header.chunkSize) };
  }

  private async copyOptions(from: string, options: CopyOptions): Promise<CopyOptions> {
    checkOptionsObject(options, 'copy');
    if (options.metadata === undefined || !this.next.capabilities.metadata) return options;
    checkUserMetadata(options.metadata);
    // Replacing metadata must keep the marker, which only the source knows.
    const source = await this.next.stat(from, { signal: options.signal });
    const marker = source.metadata[MARKER_METADATA_KEY];
    return marker === undefined
      ? options
      : { ...options, metadata: { ...options.metadata, [MARKER_METADATA_KEY]: marker } };
  }

  /** Header length and chunk size, from the marker or (without metadata) from the header itself. */
  private async layoutOf(info: ObjectInfo): Promise<Layout | undefined> {
    const marker = parseMarker(info.metadata?.[MARKER_METADATA_KEY]);
    if (marker !== undefined) return marker;
    if (this.next.capabilities.metadata || info.size < 12) return undefined;
    const prefix = await this.next.read(info.key, { range: { offset: 0, length: 12 } });
    const headerLength = headerLengthOf(prefix);
    if (headerLength === undefined) return undefined;
    return { headerLength, chunkSize: Buffer.from(prefix).readUInt32BE(8) };
  }

  /** The info a caller sees: plaintext size, no marker, no ciphertext checksums. */
  private async plainInfo(info: ObjectInfo, strict = false): Promise<ObjectInfo> {
    const layout = await this.layoutOf(info);
    if (layout === undefined) return info; // not written by this middleware: shown as stored
    const size = plaintextSize(info.size, layout.headerLength, layout.chunkSize);
    if (size === undefined && strict)
      throw integrity('its stored size does not match its format (it was truncated or extended)', info.key);
    const { checksums: _ciphertextChecksums, ...rest } = info;
    const metadata = { ...info.metadata };
    delete metadata[MARKER_METADATA_KEY];
    return { ...rest, size: size ?? Math.max(0, info.size - layout.headerLength), metadata };
  }
}

function checkOptionsObject(options: unknown, operation: string): void {
  if (options === null || typeof options !== 'object') {
    throw new StorageError('InvalidArgument', `Options of ${operation} must be an object.`);
  }
}

function checkOnProgress(onProgress: unknown): void {
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new StorageError('InvalidArgument', '`onProgress` must be a function.');
  }
}

function checkUserMetadata(metadata: Record<string, string> | undefined): void {
  if (metadata === undefined) return;
  if (metadata === null || typeof metadata !== 'object') {
    throw new StorageError('InvalidArgument', '`metadata` must be an object of strings.');
  }
  for (const name of Object.keys(metadata)) {
    if (name.toLowerCase() === MARKER_METADATA_KEY) {
      throw new StorageError(
        'InvalidArgument',
        `The metadata key \`${MARKER_METADATA_KEY}\` is reserved by the encryption middleware; use another name.`,
      );
    }
  }
}
