/** The Google Cloud Storage backend, on `@google-cloud/storage` v7. */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import type { Bucket, File, FileMetadata, Storage } from '@google-cloud/storage';
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
import { isStorageError, StorageError, throwIfAborted, toStorageError } from '../../core/errors.js';
import { assertKey } from '../../core/keys.js';
import { resolveRange } from '../../core/range.js';
import { createStorageClient, isGoogleEndpoint } from './client.js';
import type { DownloadTarget } from './download.js';
import { isBucketMissing, mapGcsError } from './errors.js';
import { generationOf, toObjectInfo } from './info.js';
import { listObjects } from './list.js';
import { DEFAULT_MAX_RETRIES, type ResolvedGcsOptions } from './options.js';
import { cannotSign, signingProblem, signUrl } from './presign.js';
import { conditionFailure, emptyStream, openRead } from './read.js';
import { sameConnection } from './server-side.js';
import { upload } from './upload.js';

/** What GCS can do through this adapter (`versioning` follows the option). */
export const GCS_CAPABILITIES: Capabilities = defineCapabilities({
  rangeRead: true,
  streamingWrite: true,
  multipartWrite: true,
  conditionalWrite: true,
  conditionalRead: true,
  serverSideCopy: true,
  atomicMove: false,
  presign: true,
  metadata: true,
  versioning: false,
  storageClass: true,
  listDelimiter: true,
  // 5 TiB, the GCS object limit.
  maxObjectSize: 5 * 2 ** 40,
  maxKeyBytes: 1024,
});

/** Deletes in flight at once in `deleteMany`. */
const DELETE_CONCURRENCY = 16;

/** The gcs backend. Use `gcs()` to make one. */
export class GcsBackend extends BaseBackend {
  readonly kind = 'gcs';
  readonly capabilities: Capabilities;
  /** The bucket name. */
  readonly bucketName: string;
  private readonly options: ResolvedGcsOptions;
  private client: Promise<Storage> | undefined;
  private bucketHandle: Bucket | undefined;
  // Keep-alive sockets for downloads and chunked uploads, owned by this backend and closed by close().
  private agent: HttpAgent | HttpsAgent | undefined;

  constructor(options: ResolvedGcsOptions) {
    super();
    this.options = options;
    this.bucketName = options.bucket;
    this.capabilities = options.versioning
      ? defineCapabilities({ ...GCS_CAPABILITIES, versioning: true })
      : GCS_CAPABILITIES;
  }

  /** The `Storage` client (created on first use; the SDK is loaded then). */
  async storage(): Promise<Storage> {
    this.client ??= this.options.storage
      ? Promise.resolve(this.options.storage)
      : createStorageClient(this.options).catch((e: unknown) => {
          this.client = undefined;
          throw e;
        });
    return this.client;
  }

  private async bucket(): Promise<Bucket> {
    if (this.bucketHandle === undefined) {
      const storage = await this.storage();
      this.bucketHandle = storage.bucket(
        this.options.bucket,
        this.options.userProject !== undefined ? { userProject: this.options.userProject } : undefined,
      );
    }
    return this.bucketHandle;
  }

  private async file(key: string, version?: string): Promise<File> {
    const bucket = await this.bucket();
    const generation = version === undefined ? undefined : generationOf(version, 'version');
    return bucket.file(this.options.prefix + key, {
      ...(generation !== undefined ? { generation } : {}),
      ...(this.options.kmsKeyName !== undefined ? { kmsKeyName: this.options.kmsKeyName } : {}),
    });
  }

  /** Runs one SDK call, mapping what it throws. */
  private async call<T>(
    operation: string,
    key: string | undefined,
    fn: () => Promise<T>,
    ifNotExists = false,
  ): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw mapGcsError(e, { operation, key, bucket: this.options.bucket, ifNotExists });
    }
  }

  private info(metadata: FileMetadata): ObjectInfo {
    return toObjectInfo(metadata, this.options.prefix, this.options.versioning);
  }

  protected async doStream(key: string, options: ReadOptions): Promise<Readable> {
    const range = options.range;
    if (range !== undefined && range.length === 0) {
      // Nothing to download, but a missing key, a failed condition or an offset past the end still fail.
      const info = await this.doStat(key, options);
      resolveRange(range, info.size);
      return emptyStream();
    }
    const storage = await this.storage();
    const target: DownloadTarget = {
      storage,
      agent: this.agentFor(storage.apiEndpoint),
      bucket: this.options.bucket,
      name: this.options.prefix + key,
      generation: options.version === undefined ? undefined : generationOf(options.version, 'version'),
      userProject: this.options.userProject,
      validation: this.options.validation,
      maxRetries: this.options.maxRetries ?? DEFAULT_MAX_RETRIES,
    };
    try {
      return await this.call('read', key, () => openRead(target, options, this.options.readIdleTimeout));
    } catch (e) {
      // GCS answers 416 to any range on an empty object; offset 0 is valid there and yields nothing.
      if (isStorageError(e) && e.status === 416 && range?.offset === 0) {
        await this.doStat(key, options);
        return emptyStream();
      }
      throw e;
    }
  }

  protected async doStat(key: string, options: StatOptions): Promise<ObjectInfo> {
    const file = await this.file(key, options.version);
    const [metadata] = await this.call('stat', key, () => file.getMetadata());
    const failure = conditionFailure(
      options,
      metadata.generation === undefined ? undefined : String(metadata.generation),
    );
    if (failure !== undefined) throw failure;
    return this.info(metadata);
  }

  protected override async doExists(key: string, options: Signal): Promise<boolean> {
    try {
      await this.doStat(key, options);
      return true;
    } catch (e) {
      if (isStorageError(e, 'NotFound') && !isBucketMissing(e)) return false;
      throw e;
    }
  }

  protected async doWrite(
    key: string,
    body: PreparedBody,
    options: ResolvedWriteOptions,
  ): Promise<ObjectInfo> {
    const file = await this.file(key);
    const metadata = await this.call(
      'write',
      key,
      () =>
        upload(file, body, options, {
          simpleUploadThreshold: this.options.simpleUploadThreshold,
          partSize: this.options.partSize,
          validation: this.options.validation,
          storageClass: this.options.storageClass,
          userProject: this.options.userProject,
          agent: this.agentFor(file.storage.apiEndpoint),
          maxRetries: this.options.maxRetries ?? DEFAULT_MAX_RETRIES,
        }),
      options.ifNotExists === true,
    );
    throwIfAborted(options.signal, 'write', key);
    return this.info(metadata);
  }

  protected async *doList(prefix: string, options: ResolvedListOptions): AsyncIterable<Entry> {
    const bucket = await this.bucket();
    try {
      yield* listObjects(bucket, this.options.prefix, prefix, options, {
        withVersion: this.options.versioning,
        userProject: this.options.userProject,
      });
    } catch (e) {
      throw mapGcsError(e, { operation: 'list', key: prefix, bucket: this.options.bucket });
    }
  }

  protected async doDelete(
    key: string,
    options: DeleteOptions & { ifGenerationMatch?: number },
  ): Promise<void> {
    const file = await this.file(key, options.version);
    await this.call('delete', key, () =>
      file.delete({
        ignoreNotFound: true,
        ...(options.ifGenerationMatch !== undefined ? { ifGenerationMatch: options.ifGenerationMatch } : {}),
      }),
    );
  }

  protected override async doDeleteMany(
    keys: AsyncIterable<string>,
    options: Signal,
  ): Promise<DeleteManyResult> {
    const errors: DeleteManyResult['errors'] = [];
    let deleted = 0;
    const running = new Set<Promise<void>>();
    for await (const key of keys) {
      throwIfAborted(options.signal, 'deleteMany');
      const task: Promise<void> = this.doDelete(key, {})
        .then(() => {
          deleted++;
        })
        .catch((e: unknown) => {
          errors.push({ key, error: toStorageError(e, { backend: this.kind, operation: 'delete', key }) });
        })
        .finally(() => running.delete(task));
      running.add(task);
      if (running.size >= DELETE_CONCURRENCY) await Promise.race(running);
    }
    await Promise.all(running);
    return { deleted, errors };
  }

  protected override async doCopy(from: string, to: string, options: CopyOptions): Promise<ObjectInfo> {
    return (await this.rewrite(from, to, options)).info;
  }

  protected override async doMove(from: string, to: string, options: CopyOptions): Promise<ObjectInfo> {
    const { info, sourceGeneration } = await this.rewrite(from, to, options);
    if (from !== to) {
      // Only the generation that was copied is deleted: a newer write to `from` survives.
      await this.doDelete(from, { signal: options.signal, ifGenerationMatch: sourceGeneration }).catch(
        (e: unknown) => {
          if (!isStorageError(e, 'PreconditionFailed')) throw e;
        },
      );
    }
    return info;
  }

  /**
   * The server-side copy hook of `copy` and `migrate` (`stowage/migrate`):
   * when `target` is another gcs backend reached the same way (the same
   * injected `Storage`, or the same endpoint, project and credentials),
   * copies across buckets and prefixes with one rewrite (the SDK follows
   * rewrite tokens for large objects), keeping content type, metadata and
   * the other stored headers. Otherwise resolves `undefined`, and the caller
   * streams the bytes.
   *
   * @example
   * ```ts
   * import { copy } from 'stowage/migrate';
   * await copy(gcs({ bucket: 'a' }), 'k', gcs({ bucket: 'b' }), 'k'); // one rewrite, no bytes through Node
   * ```
   */
  async serverSideCopyTo(
    target: StorageBackend,
    fromKey: string,
    toKey: string,
    options: ServerSideCopyOptions = {},
  ): Promise<ObjectInfo | undefined> {
    if (!(target instanceof GcsBackend) || !sameConnection(this.options, target.options)) return undefined;
    assertKey(fromKey, 'copy');
    assertKey(toKey, 'copy');
    const copyOptions: CopyOptions = { signal: options.signal, ifNotExists: options.ifNotExists === true };
    if (target === this) return this.copy(fromKey, toKey, copyOptions);
    try {
      throwIfAborted(options.signal, 'copy', fromKey);
      return (await this.rewrite(fromKey, toKey, copyOptions, target)).info;
    } catch (e) {
      throw toStorageError(e, { backend: this.kind, operation: 'copy', key: fromKey });
    }
  }

  /**
   * Server-side copy (GCS rewrite; the SDK follows rewrite tokens for large
   * objects) to `to` on `target`: this backend, or another bucket reached with
   * the same connection (see `serverSideCopyTo`).
   */
  private async rewrite(
    from: string,
    to: string,
    options: CopyOptions,
    target: GcsBackend = this,
  ): Promise<{ info: ObjectInfo; sourceGeneration: number | undefined }> {
    const source = await this.file(from);
    const [sourceMetadata] = await this.call('copy', from, () => source.getMetadata());
    throwIfAborted(options.signal, 'copy', from);
    const destination = await target.file(to);
    if (options.ifNotExists === true && (target !== this || from !== to)) {
      // GCS enforces ifGenerationMatch=0 on the rewrite itself; this check
      // makes emulators that ignore it (fake-gcs-server) behave the same.
      if (await target.doExists(to, {})) {
        throw new StorageError('AlreadyExists', `An object already exists at ${JSON.stringify(to)}.`);
      }
    }
    const sourceGeneration =
      sourceMetadata.generation === undefined ? undefined : Number(sourceMetadata.generation);
    // Copy exactly the generation that was looked at.
    const pinned =
      sourceGeneration === undefined
        ? source
        : (await this.bucket()).file(source.name, { generation: sourceGeneration });
    // Another backend's default storage class applies, as it would to a streamed copy.
    const storageClass = options.storageClass ?? (target === this ? undefined : target.options.storageClass);
    const replace =
      options.metadata !== undefined || options.contentType !== undefined || storageClass !== undefined;
    const copyOptions: Record<string, unknown> = {};
    if (replace) {
      // A rewrite body replaces the destination's resource, so send all of it.
      copyOptions.contentType = options.contentType ?? sourceMetadata.contentType;
      copyOptions.metadata = options.metadata ?? sourceMetadata.metadata ?? {};
      for (const field of [
        'cacheControl',
        'contentDisposition',
        'contentEncoding',
        'contentLanguage',
      ] as const) {
        if (sourceMetadata[field] !== undefined) copyOptions[field] = sourceMetadata[field];
      }
      if (storageClass !== undefined) copyOptions.storageClass = storageClass;
    }
    if (options.ifNotExists === true) copyOptions.preconditionOpts = { ifGenerationMatch: 0 };
    if (target.options.kmsKeyName !== undefined)
      copyOptions.destinationKmsKeyName = target.options.kmsKeyName;
    const userProject = this.options.userProject ?? target.options.userProject;
    if (userProject !== undefined) copyOptions.userProject = userProject;
    const [copied] = await target.call(
      'copy',
      to,
      () => pinned.copy(destination, copyOptions),
      options.ifNotExists === true,
    );
    const metadata = copied.metadata?.name !== undefined ? copied.metadata : (await copied.getMetadata())[0];
    return { info: target.info(metadata), sourceGeneration };
  }

  protected override async doPresign(
    key: string,
    options: ResolvedPresignOptions,
  ): Promise<PresignedRequest> {
    const problem = signingProblem({
      credentials: this.options.credentials,
      keyFilename: this.options.keyFilename,
      injected: this.options.storage !== undefined,
      googleEndpoint: isGoogleEndpoint(this.options.apiEndpoint),
    });
    if (problem !== undefined) throw cannotSign(problem);
    const file = await this.file(key);
    return this.call('presign', key, () => signUrl(file, options));
  }

  protected override async doClose(): Promise<void> {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private agentFor(apiEndpoint: string): HttpAgent | HttpsAgent {
    this.agent ??= apiEndpoint.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true, maxSockets: 64 })
      : new HttpAgent({ keepAlive: true, maxSockets: 64 });
    return this.agent;
  }
}
