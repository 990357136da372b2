/** The Azure Blob Storage backend (block blobs in one container, optionally under a prefix). */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobClient, ContainerClient, CpkInfo } from '@azure/storage-blob';
import type {
  CopyOptions,
  DeleteManyResult,
  StorageBackend,
  DeleteOptions,
  Entry,
  ObjectInfo,
  PresignedRequest,
  ReadOptions,
  Signal,
  StatOptions,
  ServerSideCopyOptions,
} from '../../core/backend.js';
import {
  BaseBackend,
  type ResolvedListOptions,
  type ResolvedPresignOptions,
  type ResolvedWriteOptions,
} from '../../core/base.js';
import type { PreparedBody } from '../../core/body.js';
import { type Capabilities, defineCapabilities } from '../../core/capabilities.js';
import { StorageError, throwIfAborted, toStorageError } from '../../core/errors.js';
import { assertKey } from '../../core/keys.js';
import { type AzureConnection, type AzureSdk, connect, loadSdk } from './client.js';
import { copyBlob, settleCopyTier } from './copy.js';
import { deleteBlobs } from './delete.js';
import { collectDownload, emptyStream, openBlobDownload, wrapDownload } from './download.js';
import { azureErrorCode, isBlobAbsent, toAzureError } from './errors.js';
import { encodeMetadata, normalizeTier, toObjectInfo } from './info.js';
import { listBlobs } from './list.js';
import type { AzureAccountOptions } from './options.js';
import { SasSigner } from './presign.js';
import { sameAccount } from './server-side.js';
import { MAX_BLOB_SIZE, type UploadParams, uploadBytes, uploadStream } from './upload.js';

/** Settings of an {@link AzureBackend}, after validation and unit parsing. */
export interface AzureSettings {
  account: AzureAccountOptions;
  container: string;
  /** '' or ending in '/'. */
  prefix: string;
  blockSize: number;
  concurrency: number;
  singleUploadThreshold: number;
  downloadRetries: number;
  idleTimeoutMs: number;
  syncCopyThreshold: number;
  copyPollIntervalMs: number;
  versioning: boolean;
  presign: boolean;
  encryptionScope?: string;
  customerProvidedKey?: string;
}

interface Ready {
  sdk: AzureSdk;
  connection: AzureConnection;
  container: ContainerClient;
  signer: SasSigner;
}

/** The Azure backend. Use `azure()` to make one. */
export class AzureBackend extends BaseBackend {
  readonly kind = 'azure';
  readonly capabilities: Capabilities;
  private readyPromise: Promise<Ready> | undefined;
  /** What `ready()` resolved to, once it has: reads and stats skip a promise hop per call. */
  private readyValue: Ready | undefined;
  private readonly cpk: CpkInfo | undefined;

  constructor(private readonly settings: AzureSettings) {
    super();
    this.capabilities = defineCapabilities({
      rangeRead: true,
      streamingWrite: true,
      multipartWrite: true,
      conditionalWrite: true,
      conditionalRead: true,
      serverSideCopy: true,
      atomicMove: false,
      presign: settings.presign,
      metadata: true,
      versioning: settings.versioning,
      storageClass: true,
      listDelimiter: true,
      maxObjectSize: MAX_BLOB_SIZE,
      maxKeyBytes: 1024 - Buffer.byteLength(settings.prefix),
    });
    const key = settings.customerProvidedKey;
    this.cpk =
      key === undefined
        ? undefined
        : {
            encryptionKey: key,
            encryptionKeySha256: createHash('sha256').update(Buffer.from(key, 'base64')).digest('base64'),
            encryptionAlgorithm: 'AES256',
          };
  }

  /** The container client (loads the SDK and connects on first use). */
  async containerClient(): Promise<ContainerClient> {
    return (await this.ready()).container;
  }

  protected async doStream(key: string, options: ReadOptions): Promise<Readable> {
    const opened = await this.openDownload(this.readyValue ?? (await this.ready()), key, options, 'stream');
    return opened === undefined ? emptyStream() : wrapDownload(opened.body, opened.options);
  }

  /** Reads straight from the SDK body into one buffer (no second stream), resuming drops like `stream`. */
  protected override async doRead(key: string, options: ReadOptions): Promise<Uint8Array> {
    const opened = await this.openDownload(this.readyValue ?? (await this.ready()), key, options, 'read');
    return opened === undefined ? new Uint8Array(0) : collectDownload(opened.body, opened.options);
  }

  /** Sends the GET (see download.ts); `undefined` when the answer is empty. Not async: no extra promise hop. */
  private openDownload(ready: Ready, key: string, options: ReadOptions, operation: 'read' | 'stream') {
    const backend = this;
    return openBlobDownload(this.blob(ready.container, key, options.version), options, {
      context: this.context(operation, key),
      idleTimeoutMs: this.settings.idleTimeoutMs,
      retries: this.settings.downloadRetries,
      customerProvidedKey: this.cpk,
      // Method syntax, not an arrow: under tsx (keepNames) an arrow property is renamed on every call.
      stat() {
        return backend.doStat(key, options);
      },
    });
  }

  protected async doStat(key: string, options: StatOptions): Promise<ObjectInfo> {
    const { container } = this.readyValue ?? (await this.ready());
    try {
      const props = await this.blob(container, key, options.version).getProperties({
        abortSignal: options.signal,
        conditions: { ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch },
        customerProvidedKey: this.cpk,
      });
      return toObjectInfo(key, props);
    } catch (e) {
      throw toAzureError(e, this.context('stat', key));
    }
  }

  protected override async doExists(key: string, options: Signal): Promise<boolean> {
    const { container } = await this.ready();
    try {
      await this.blob(container, key).getProperties({
        abortSignal: options.signal,
        customerProvidedKey: this.cpk,
      });
      return true;
    } catch (e) {
      if (isBlobAbsent(e)) return false;
      throw toAzureError(e, this.context('exists', key));
    }
  }

  protected async doWrite(
    key: string,
    body: PreparedBody,
    options: ResolvedWriteOptions,
  ): Promise<ObjectInfo> {
    const tier = normalizeTier(options.storageClass);
    const { container } = await this.ready();
    const contentType = options.contentType ?? 'application/octet-stream';
    const params: UploadParams = {
      client: container.getBlockBlobClient(this.settings.prefix + key),
      blockSize: options.partSize ?? this.settings.blockSize,
      concurrency: options.concurrency ?? this.settings.concurrency,
      singleUploadThreshold: this.settings.singleUploadThreshold,
      size: options.size,
      signal: options.signal,
      headers: {
        blobContentType: contentType,
        blobCacheControl: options.cacheControl,
        blobContentDisposition: options.contentDisposition,
        blobContentEncoding: options.contentEncoding,
      },
      metadata: encodeMetadata(options.metadata),
      tier,
      conditions: options.ifNotExists
        ? { ifNoneMatch: '*' }
        : options.ifMatch !== undefined
          ? { ifMatch: options.ifMatch }
          : undefined,
      encryptionScope: this.settings.encryptionScope,
      customerProvidedKey: this.cpk,
    };
    try {
      const result =
        body.bytes !== undefined
          ? await uploadBytes(params, body.bytes)
          : await uploadStream(params, body.stream());
      const info = toObjectInfo(key, {
        contentLength: result.size,
        lastModified: result.lastModified,
        etag: result.etag,
        versionId: this.settings.versioning ? result.versionId : undefined,
        contentType,
        contentMD5: result.contentMD5,
        cacheControl: options.cacheControl,
        contentDisposition: options.contentDisposition,
        contentEncoding: options.contentEncoding,
        accessTier: tier,
      });
      info.metadata = { ...(options.metadata ?? {}) };
      return info;
    } catch (e) {
      throw toAzureError(e, this.context('write', key));
    }
  }

  protected async *doList(prefix: string, options: ResolvedListOptions): AsyncIterable<Entry> {
    const { container } = await this.ready();
    try {
      yield* listBlobs(container, {
        namePrefix: this.settings.prefix + prefix,
        rootLength: this.settings.prefix.length,
        recursive: options.recursive,
        pageSize: options.pageSize,
        signal: options.signal,
      });
    } catch (e) {
      throw toAzureError(e, this.context('list', prefix));
    }
  }

  protected async doDelete(key: string, options: DeleteOptions): Promise<void> {
    const { container } = await this.ready();
    try {
      await this.blob(container, key, options.version).delete({
        abortSignal: options.signal,
        deleteSnapshots: options.version === undefined ? 'include' : undefined,
      });
    } catch (e) {
      if (isBlobAbsent(e)) return;
      throw toAzureError(e, this.context('delete', key));
    }
  }

  protected override async doDeleteMany(
    keys: AsyncIterable<string>,
    options: Signal,
  ): Promise<DeleteManyResult> {
    const { container } = await this.ready();
    return deleteBlobs(container, keys, {
      prefix: this.settings.prefix,
      signal: options.signal,
      deleteOne: (key) => this.doDelete(key, { signal: options.signal }),
      context: (key) => this.context('deleteMany', key),
    });
  }

  protected override async doCopy(from: string, to: string, options: CopyOptions): Promise<ObjectInfo> {
    return (await this.copyAndSourceEtag(from, to, options)).info;
  }

  protected override async doMove(from: string, to: string, options: CopyOptions): Promise<ObjectInfo> {
    const { info, sourceEtag } = await this.copyAndSourceEtag(from, to, options);
    if (from === to) return info;
    const { container } = await this.ready();
    try {
      // Only the version that was copied: a source rewritten meanwhile is kept.
      await this.blob(container, from).delete({
        abortSignal: options.signal,
        deleteSnapshots: 'include',
        conditions: { ifMatch: sourceEtag },
      });
    } catch (e) {
      if (!isBlobAbsent(e) && azureErrorCode(e) !== 'ConditionNotMet')
        throw toAzureError(e, this.context('move', from));
    }
    return info;
  }

  protected override async doPresign(
    key: string,
    options: ResolvedPresignOptions,
  ): Promise<PresignedRequest> {
    const { container, signer } = await this.ready();
    try {
      return await signer.presign(container.getBlobClient(this.settings.prefix + key), options);
    } catch (e) {
      throw toAzureError(e, this.context('presign', key));
    }
  }

  /**
   * The server-side copy hook of `copy` and `migrate` (`stowage/migrate`):
   * when `target` is another azure backend on the same account and endpoint
   * that the service can read the source for (this backend signs a read SAS
   * with its account key or holds a SAS; with Entra ID, only when both use the
   * same credential object), the target copies from the source blob's URL
   * (Copy Blob From URL up to `syncCopyThreshold`, else Copy Blob, polled),
   * keeping content type, headers and metadata. Otherwise resolves
   * `undefined` and the caller streams the bytes. Customer-provided keys on
   * either side decline too.
   *
   * @example
   * ```ts
   * import { copy } from 'stowage/migrate';
   * await copy(azure({ container: 'a', connectionString }), 'k', azure({ container: 'b', connectionString }), 'k');
   * ```
   */
  async serverSideCopyTo(
    target: StorageBackend,
    fromKey: string,
    toKey: string,
    options: ServerSideCopyOptions = {},
  ): Promise<ObjectInfo | undefined> {
    if (!(target instanceof AzureBackend) || this.cpk !== undefined || target.cpk !== undefined)
      return undefined;
    assertKey(fromKey, 'copy');
    assertKey(toKey, 'copy');
    const copyOptions: CopyOptions = { signal: options.signal, ifNotExists: options.ifNotExists === true };
    if (target === this) return this.copy(fromKey, toKey, copyOptions);
    try {
      const [mine, theirs] = await Promise.all([this.ready(), target.ready()]);
      const accounts = [this.settings.account, target.settings.account] as const;
      if (!sameAccount(mine.connection, theirs.connection, ...accounts)) return undefined;
      throwIfAborted(options.signal, 'copy', fromKey);
      return (await this.copyAndSourceEtag(fromKey, toKey, copyOptions, target)).info;
    } catch (e) {
      throw toStorageError(e, { backend: this.kind, operation: 'copy', key: fromKey });
    }
  }

  /** Copies `from` here to `to` on `target` (this backend, or one `serverSideCopyTo` accepted). */
  private async copyAndSourceEtag(
    from: string,
    to: string,
    options: CopyOptions,
    target: AzureBackend = this,
  ): Promise<{ info: ObjectInfo; sourceEtag?: string }> {
    const ready = await this.ready();
    const source = this.blob(ready.container, from);
    const destination = target.blob((await target.ready()).container, to);
    let sourceEtag: string | undefined;
    try {
      // The source side signs the source URL; the target's request writes with the target's settings.
      const props = await copyBlob(source, destination, options, {
        connection: ready.connection,
        signer: ready.signer,
        syncCopyThreshold: this.settings.syncCopyThreshold,
        pollIntervalMs: this.settings.copyPollIntervalMs,
        encryptionScope: target.settings.encryptionScope,
        tier: normalizeTier(options.storageClass),
      });
      sourceEtag = props.etag;
    } catch (e) {
      const error = toAzureError(e, this.context('copy', from));
      // A missing target-side condition is about `to`, everything else about `from`.
      if (error.code === 'AlreadyExists') error.key = to;
      throw error;
    }
    const info = await target.doStat(to, { signal: options.signal });
    try {
      await settleCopyTier(destination, info, normalizeTier(options.storageClass), options.signal);
    } catch (e) {
      throw toAzureError(e, target.context('copy', to));
    }
    return { info, sourceEtag };
  }

  private blob(container: ContainerClient, key: string, version?: string): BlobClient {
    const client = container.getBlobClient(this.settings.prefix + key);
    return version === undefined ? client : client.withVersion(version);
  }

  private context(operation: string, key?: string) {
    return { operation, key, container: this.settings.container };
  }

  private ready(): Promise<Ready> {
    this.readyPromise ??= (async () => {
      const sdk = await loadSdk();
      const connection = await connect(this.settings.account);
      if (this.cpk !== undefined && !connection.service.url.startsWith('https:')) {
        throw new StorageError(
          'InvalidConfig',
          '[stowage] [azure] Invalid options: customerProvidedKey: needs an https endpoint (Azure refuses keys sent in clear).',
          { backend: 'azure' },
        );
      }
      const container = connection.service.getContainerClient(this.settings.container);
      this.readyValue = { sdk, connection, container, signer: new SasSigner(sdk, connection) };
      return this.readyValue;
    })().catch((e: unknown) => {
      this.readyPromise = undefined;
      throw e;
    });
    return this.readyPromise;
  }
}
