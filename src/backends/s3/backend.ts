/** The S3 backend: reads, stats, deletes, copies and presigns; writes live in upload.ts, listing in list.ts. */
import type * as S3Module from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type {
  CopyOptions,
  DeleteManyResult,
  DeleteOptions,
  Entry,
  ObjectInfo,
  PresignedRequest,
  ReadOptions,
  Signal,
  StatOptions,
  StorageBackend,
  ServerSideCopyOptions,
} from '../../core/backend.js';
import {
  BaseBackend,
  type ResolvedListOptions,
  type ResolvedPresignOptions,
  type ResolvedWriteOptions,
} from '../../core/base.js';
import { collect, type PreparedBody } from '../../core/body.js';
import type { Capabilities } from '../../core/capabilities.js';
import { StorageError } from '../../core/errors.js';
import { resolveRange } from '../../core/range.js';
import { createClient, loadSdk } from './client.js';
import { copyError, copyObject } from './copy.js';
import { deleteObjects } from './delete.js';
import { mapS3Error } from './errors.js';
import { customerKeyFields, encryptionFields, infoFromHead } from './info.js';
import { listObjects } from './list.js';
import type { ResolvedS3Options } from './options.js';
import { presignRequest } from './presign.js';
import { guardBody } from './response.js';
import { serverSideCopy } from './server-side.js';
import { upload } from './upload.js';

/** The loaded SDK and the client, made on first use. */
export interface S3Session {
  client: S3Client;
  s3: typeof S3Module;
  owned: boolean;
}

/** The S3 (and S3-compatible) backend. Use `s3()` or `r2()` to make one. */
export class S3Backend extends BaseBackend {
  readonly kind: string;
  readonly capabilities: Capabilities;
  // An ES private field: it holds credentials, so it stays out of JSON.stringify and inspection of the backend.
  readonly #options: ResolvedS3Options;
  private session: Promise<S3Session> | undefined;
  private closed = false;

  constructor(options: ResolvedS3Options) {
    super();
    this.#options = options;
    this.kind = options.kind;
    this.capabilities = options.capabilities;
  }

  /** The validated options (credentials included: do not log). */
  get options(): ResolvedS3Options {
    return this.#options;
  }

  /** The bucket this backend works in. */
  get bucket(): string {
    return this.options.bucket;
  }

  /** The SDK and client, loaded and built on first use (a missing SDK → `InvalidConfig`). */
  async connect(): Promise<S3Session> {
    if (this.closed) throw new StorageError('InvalidArgument', 'This s3 backend is closed; make a new one.');
    this.session ??= (async () => {
      const { s3 } = await loadSdk();
      const { client, owned } = await createClient(this.options);
      return { s3, client, owned };
    })().catch((e: unknown) => {
      this.session = undefined;
      throw e;
    });
    return this.session;
  }

  /** The object's full key in the bucket. */
  private path(key: string): string {
    return this.options.prefix + key;
  }

  private fail(e: unknown, operation: string, key?: string): StorageError {
    return mapS3Error(e, { backend: this.kind, operation, key, bucket: this.options.bucket });
  }

  private sseC(): Record<string, string> {
    const { encryption } = this.options;
    return encryption?.type === 'SSE-C' ? customerKeyFields(encryption.customerKey) : {};
  }

  // ---- reads -------------------------------------------------------------

  protected async doStream(key: string, options: ReadOptions): Promise<Readable> {
    const body = await this.getObject(key, options);
    return body === undefined ? Readable.from([]) : this.guard(body, key, options.signal);
  }

  /** Whole-object reads skip the stream wrapper: the body is collected directly. */
  protected override async doRead(key: string, options: ReadOptions): Promise<Uint8Array> {
    const body = await this.getObject(key, options);
    if (body === undefined) return new Uint8Array(0);
    try {
      return await collect(body);
    } catch (e) {
      throw this.fail(e, 'read', key);
    }
  }

  /**
   * GetObject with the contract's range semantics; `undefined` when the
   * answer is known to be empty (zero-length range, empty object).
   */
  private async getObject(key: string, options: ReadOptions): Promise<Readable | undefined> {
    const { client, s3 } = await this.connect();
    const range = options.range;
    if (range !== undefined && range.length === 0) {
      // Nothing to fetch; still honour existence, conditions and the offset check.
      const info = await this.doStat(key, options);
      resolveRange(range, info.size);
      return undefined;
    }
    let rangeHeader: string | undefined;
    if (range !== undefined && !(range.offset === 0 && range.length === undefined)) {
      const last = range.length === undefined ? '' : String(range.offset + range.length - 1);
      rangeHeader = `bytes=${range.offset}-${last}`;
    }
    try {
      const out = await client.send(
        new s3.GetObjectCommand({
          Bucket: this.options.bucket,
          Key: this.path(key),
          Range: rangeHeader,
          IfMatch: options.ifMatch,
          IfNoneMatch: options.ifNoneMatch,
          VersionId: options.version,
          ...this.sseC(),
        }),
        { abortSignal: options.signal },
      );
      return out.Body as Readable | undefined;
    } catch (e) {
      const error = this.fail(e, 'read', key);
      if (error.status === 416 && range !== undefined) {
        // S3 refuses any range on an empty object; offset 0 of an empty object is valid and empty.
        const info = await this.doStat(key, options);
        resolveRange(range, info.size);
        return undefined;
      }
      throw error;
    }
  }

  private guard(body: Readable, key: string, signal: AbortSignal | undefined): Readable {
    return guardBody(
      body,
      signal,
      (e) => this.fail(e, 'read', key),
      () => ({
        backend: this.kind,
        key,
      }),
    );
  }

  protected async doStat(key: string, options: StatOptions): Promise<ObjectInfo> {
    const { client, s3 } = await this.connect();
    try {
      const out = await client.send(
        new s3.HeadObjectCommand({
          Bucket: this.options.bucket,
          Key: this.path(key),
          IfMatch: options.ifMatch,
          IfNoneMatch: options.ifNoneMatch,
          VersionId: options.version,
          ...this.sseC(),
        }),
        { abortSignal: options.signal },
      );
      return infoFromHead(key, out);
    } catch (e) {
      throw this.fail(e, 'stat', key);
    }
  }

  // ---- writes ------------------------------------------------------------

  protected async doWrite(
    key: string,
    body: PreparedBody,
    options: ResolvedWriteOptions,
  ): Promise<ObjectInfo> {
    const { client, s3 } = await this.connect();
    const { options: config } = this;
    const contentType = options.contentType ?? 'application/octet-stream';
    try {
      const result = await upload(
        {
          client,
          s3,
          bucket: config.bucket,
          path: this.path(key),
          fields: {
            ContentType: contentType,
            Metadata: options.metadata,
            CacheControl: options.cacheControl,
            ContentDisposition: options.contentDisposition,
            ContentEncoding: options.contentEncoding,
            StorageClass: (options.storageClass ?? config.storageClass) as never,
            ...encryptionFields(config.encryption),
          },
          partFields: this.sseC(),
          ifNoneMatch: options.ifNotExists ? '*' : undefined,
          ifMatch: options.ifMatch,
          partSize: options.partSize ?? config.partSize,
          concurrency: options.concurrency ?? config.concurrency,
          threshold: config.multipartThreshold,
          checksumAlgorithm:
            config.requestChecksumCalculation === 'WHEN_SUPPORTED' && !config.client ? 'CRC32' : undefined,
          signal: options.signal,
        },
        body,
      );
      const info: ObjectInfo = {
        key,
        size: result.size,
        lastModified: new Date(),
        contentType,
        metadata: { ...options.metadata },
        storageClass: options.storageClass ?? config.storageClass ?? 'STANDARD',
      };
      if (result.etag !== undefined) info.etag = result.etag;
      if (result.versionId !== undefined && result.versionId !== 'null') info.version = result.versionId;
      if (options.cacheControl !== undefined) info.cacheControl = options.cacheControl;
      if (options.contentDisposition !== undefined) info.contentDisposition = options.contentDisposition;
      if (options.contentEncoding !== undefined) info.contentEncoding = options.contentEncoding;
      return info;
    } catch (e) {
      const error = this.fail(e, 'write', key);
      if (options.ifNotExists && error.code === 'PreconditionFailed' && !error.retryable) {
        throw new StorageError(
          'AlreadyExists',
          `An object already exists at ${JSON.stringify(key)} (ifNotExists).`,
          {
            backend: this.kind,
            operation: 'write',
            key,
            status: error.status,
            cause: error,
          },
        );
      }
      if (options.ifMatch !== undefined && error.code === 'NotFound') {
        throw new StorageError(
          'PreconditionFailed',
          `No object at ${JSON.stringify(key)} to match etag ${options.ifMatch}.`,
          {
            backend: this.kind,
            operation: 'write',
            key,
            status: error.status,
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  // ---- listing and deletes ------------------------------------------------

  protected async *doList(prefix: string, options: ResolvedListOptions): AsyncIterable<Entry> {
    const { client, s3 } = await this.connect();
    try {
      yield* listObjects(
        {
          client,
          s3,
          bucket: this.options.bucket,
          root: this.options.prefix,
          verifyFolders: this.capabilities.versioning,
        },
        prefix,
        options,
      );
    } catch (e) {
      throw this.fail(e, 'list', prefix);
    }
  }

  protected async doDelete(key: string, options: DeleteOptions): Promise<void> {
    const { client, s3 } = await this.connect();
    try {
      await client.send(
        new s3.DeleteObjectCommand({
          Bucket: this.options.bucket,
          Key: this.path(key),
          VersionId: options.version,
        }),
        { abortSignal: options.signal },
      );
    } catch (e) {
      const error = this.fail(e, 'delete', key);
      if (error.code === 'NotFound' && !/bucket/i.test(String((e as { name?: string }).name))) return;
      throw error;
    }
  }

  protected override async doDeleteMany(
    keys: AsyncIterable<string>,
    options: Signal,
  ): Promise<DeleteManyResult> {
    const session = await this.connect();
    return deleteObjects(
      session,
      this.options.bucket,
      this.options.prefix,
      keys,
      options.signal,
      (e, operation, key) => this.fail(e, operation, key),
    );
  }

  // ---- copy and presign ---------------------------------------------------

  protected override async doCopy(from: string, to: string, options: CopyOptions): Promise<ObjectInfo> {
    const session = await this.connect();
    try {
      return await copyObject(this, session, from, to, options);
    } catch (e) {
      throw copyError(e, this, from, to, options);
    }
  }

  /**
   * The server-side copy hook of `copy`/`migrate` (`stowage/migrate`): when
   * `target` is another S3 backend on the same connection (the same injected
   * client, or the same provider, endpoint, region and credentials), copies
   * across buckets and prefixes with CopyObject (UploadPartCopy above 5 GiB),
   * keeping content type and metadata. Otherwise returns `undefined` and the
   * caller streams the bytes.
   */
  async serverSideCopyTo(
    target: StorageBackend,
    fromKey: string,
    toKey: string,
    options: ServerSideCopyOptions = {},
  ): Promise<ObjectInfo | undefined> {
    return serverSideCopy(this, target, fromKey, toKey, options);
  }

  /** @internal used by copy.ts */
  fullPath(key: string): string {
    return this.path(key);
  }

  /** @internal used by copy.ts */
  sseCustomerFields(): Record<string, string> {
    return this.sseC();
  }

  protected override async doPresign(
    key: string,
    options: ResolvedPresignOptions,
  ): Promise<PresignedRequest> {
    return presignRequest(await this.connect(), this.options.bucket, this.path(key), options);
  }

  protected override async doClose(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (session === undefined) return;
    try {
      const { client, owned } = await session;
      if (owned) client.destroy();
    } catch {
      // Never connected: nothing to release.
    }
  }
}
