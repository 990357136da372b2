/**
 * The base class of every backend. It keeps the parts of the contract that do
 * not depend on the service, identically everywhere: key and option
 * validation before any I/O, `Unsupported` for options outside the declared
 * capabilities, abort checks, size checks and progress on bodies, and error
 * normalisation (every rejection is a `StorageError` that names the backend,
 * the operation and the key). A backend implements the `do*` methods.
 */
import type { Readable } from 'node:stream';
import type {
  Body,
  CopyOptions,
  DeleteManyResult,
  DeleteOptions,
  Entry,
  ListOptions,
  ObjectInfo,
  PresignedRequest,
  PresignOptions,
  ReadOptions,
  Signal,
  StatOptions,
  StorageBackend,
  WriteOptions,
} from './backend.js';
import { collect, meter, meterWrite, type PreparedBody, prepareBody } from './body.js';
import type { Capabilities } from './capabilities.js';
import { isStorageError, StorageError, throwIfAborted, toStorageError } from './errors.js';
import { assertKey, assertPrefix, compareKeys } from './keys.js';
import { groupByDelimiter } from './list.js';
import { checkKnownOptions, normalizeCopyOptions, OPTION_NAMES, presignSeconds } from './options.js';
import { checkCopy, checkRead, requireCapability, resolveWriteOptions, unsupportedError } from './checks.js';

/** List options after validation: every field settled. */
export interface ResolvedListOptions {
  recursive: boolean;
  startAfter: string | undefined;
  pageSize: number | undefined;
  signal: AbortSignal | undefined;
}

/** Write options after validation (`partSize` in bytes, metadata lower-cased). */
export interface ResolvedWriteOptions extends Omit<WriteOptions, 'partSize' | 'metadata'> {
  partSize?: number;
  metadata?: Record<string, string>;
}

/** Presign options after validation (`expiresIn` in seconds). */
export interface ResolvedPresignOptions {
  method: 'GET' | 'PUT';
  expiresIn: number;
  contentType?: string;
}

/**
 * Extend this to write a backend. Public methods validate and normalise, then
 * call the protected `do*` methods, which may assume valid input.
 */
export abstract class BaseBackend implements StorageBackend {
  abstract readonly kind: string;
  abstract readonly capabilities: Capabilities;

  // ---- what a backend implements -----------------------------------------

  /** Opens a stream. Must reject with `NotFound` before any byte flows. */
  protected abstract doStream(key: string, options: ReadOptions): Promise<Readable>;
  /** Stores a body. `options.size` is the exact length when known. */
  protected abstract doWrite(
    key: string,
    body: PreparedBody,
    options: ResolvedWriteOptions,
  ): Promise<ObjectInfo>;
  /** Describes an object, `NotFound` when absent. */
  protected abstract doStat(key: string, options: StatOptions): Promise<ObjectInfo>;
  /**
   * Lists keys starting with `prefix` in UTF-8 byte order. When
   * `capabilities.listDelimiter` is false it is only called with
   * `recursive: true` and the base groups folders itself. `startAfter` may be
   * ignored (the base filters), `limit` is applied by the base.
   */
  protected abstract doList(prefix: string, options: ResolvedListOptions): AsyncIterable<Entry>;
  /** Deletes an object; an absent key is not an error. */
  protected abstract doDelete(key: string, options: DeleteOptions): Promise<void>;

  /** Reads a whole object. Default: collects `doStream`. */
  protected async doRead(key: string, options: ReadOptions): Promise<Uint8Array> {
    return collect(await this.doStream(key, options));
  }

  /** Whether an object exists. Default: `doStat`, `NotFound` → false. */
  protected async doExists(key: string, options: Signal): Promise<boolean> {
    try {
      await this.doStat(key, options);
      return true;
    } catch (e) {
      if (isStorageError(e, 'NotFound')) return false;
      throw e;
    }
  }

  /** Deletes many keys. Default: `doDelete` eight at a time. */
  protected async doDeleteMany(keys: AsyncIterable<string>, options: Signal): Promise<DeleteManyResult> {
    const errors: DeleteManyResult['errors'] = [];
    let deleted = 0;
    const running = new Set<Promise<void>>();
    for await (const key of keys) {
      throwIfAborted(options.signal, 'deleteMany');
      const p: Promise<void> = this.delete(key, { signal: options.signal })
        .then(() => {
          deleted++;
        })
        .catch((e: unknown) => {
          const error = toStorageError(e, { backend: this.kind, operation: 'delete', key });
          if (error.code === 'Aborted') throw error;
          errors.push({ key, error });
        })
        .finally(() => running.delete(p));
      running.add(p);
      if (running.size >= 8) await Promise.race(running);
    }
    await Promise.all(running);
    return { deleted, errors };
  }

  /** Copies an object. Default: streams it through this process. */
  protected async doCopy(from: string, to: string, options: CopyOptions): Promise<ObjectInfo> {
    const info = await this.doStat(from, { signal: options.signal });
    const source = await this.doStream(from, { signal: options.signal });
    return this.doWrite(to, preparedStream(source, info.size), {
      contentType: options.contentType ?? info.contentType,
      metadata: options.metadata ?? info.metadata,
      cacheControl: info.cacheControl,
      contentDisposition: info.contentDisposition,
      contentEncoding: info.contentEncoding,
      storageClass: options.storageClass,
      ifNotExists: options.ifNotExists,
      size: info.size,
      signal: options.signal,
    });
  }

  /** Moves an object. Default: copy, then delete the source. */
  protected async doMove(from: string, to: string, options: CopyOptions): Promise<ObjectInfo> {
    const info = await this.doCopy(from, to, options);
    if (from !== to) await this.doDelete(from, { signal: options.signal });
    return info;
  }

  /** Presigns a URL. Only called when `capabilities.presign`. */
  protected async doPresign(key: string, _options: ResolvedPresignOptions): Promise<PresignedRequest> {
    throw this.unsupported('presign', 'presigned URLs', key);
  }

  /** Releases resources. Default: nothing. */
  protected async doClose(): Promise<void> {}

  // ---- the public contract ------------------------------------------------

  async read(key: string, options: ReadOptions = {}): Promise<Uint8Array> {
    return this.run('read', key, options.signal, async () => {
      checkRead(this, key, options, OPTION_NAMES.read, 'read');
      if (options.onProgress === undefined) return this.doRead(key, options);
      // With progress, read through a metered stream so events arrive as bytes do.
      const stream = await this.stream(key, options);
      return collect(stream);
    });
  }

  async stream(key: string, options: ReadOptions = {}): Promise<Readable> {
    return this.run('stream', key, options.signal, async () => {
      checkRead(this, key, options, OPTION_NAMES.read, 'stream');
      const source = await this.doStream(key, options);
      if (options.onProgress === undefined) return source;
      const counter = meter({ onProgress: options.onProgress });
      source.on('error', (e) => counter.destroy(e));
      counter.on('close', () => {
        if (!source.destroyed) source.destroy();
      });
      return source.pipe(counter);
    });
  }

  async write(key: string, body: Body, options: WriteOptions = {}): Promise<ObjectInfo> {
    return this.run('write', key, options.signal, async () => {
      assertKey(key, 'write');
      checkKnownOptions(options, OPTION_NAMES.write, 'write');
      const resolved = resolveWriteOptions(this, key, options);
      const prepared = prepareBody(body, resolved.size);
      if (prepared.size !== undefined && prepared.size > this.capabilities.maxObjectSize) {
        throw new StorageError(
          'InvalidArgument',
          `The body is ${prepared.size} bytes, over this backend's limit of ${this.capabilities.maxObjectSize} bytes.`,
        );
      }
      resolved.size = prepared.size;
      const onProgress = options.onProgress;
      if (prepared.bytes !== undefined) {
        const info = await this.doWrite(key, prepared, resolved);
        onProgress?.({ loaded: prepared.bytes.byteLength, total: prepared.bytes.byteLength });
        return info;
      }
      // Streams: check chunk types and the declared size, report progress,
      // and stop reading the source when the call is aborted.
      const metered = meterWrite(prepared, { onProgress, signal: options.signal });
      try {
        const info = await this.doWrite(key, metered.body, resolved);
        metered.finish();
        return info;
      } catch (e) {
        const streamError = metered.streamError();
        if (isStorageError(streamError) && !isStorageError(e)) throw streamError;
        throw e;
      } finally {
        metered.dispose();
      }
    });
  }

  async stat(key: string, options: StatOptions = {}): Promise<ObjectInfo> {
    return this.run('stat', key, options.signal, async () => {
      checkRead(this, key, options, OPTION_NAMES.stat, 'stat');
      return this.doStat(key, options);
    });
  }

  async exists(key: string, options: Signal = {}): Promise<boolean> {
    return this.run('exists', key, options.signal, async () => {
      assertKey(key, 'exists');
      checkKnownOptions(options, OPTION_NAMES.signal, 'exists');
      return this.doExists(key, options);
    });
  }

  list(prefix = '', options: ListOptions = {}): AsyncIterable<Entry> {
    return {
      [Symbol.asyncIterator]: () => this.listEntries(prefix, options)[Symbol.asyncIterator](),
    };
  }

  private async *listEntries(prefix: string, options: ListOptions): AsyncGenerator<Entry> {
    const context = { backend: this.kind, operation: 'list', key: prefix };
    try {
      assertPrefix(prefix, 'list');
      checkKnownOptions(options, OPTION_NAMES.list, 'list');
      const { limit, startAfter, pageSize } = options;
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
        throw new StorageError('InvalidArgument', '`limit` must be a non-negative integer.');
      }
      if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1)) {
        throw new StorageError('InvalidArgument', '`pageSize` must be a positive integer.');
      }
      if (startAfter !== undefined && typeof startAfter !== 'string') {
        throw new StorageError('InvalidArgument', '`startAfter` must be a string.');
      }
      throwIfAborted(options.signal, 'list');
      if (limit === 0) return;
      const recursive = options.recursive ?? true;
      const native = recursive || this.capabilities.listDelimiter;
      const resolved: ResolvedListOptions = {
        recursive: native ? recursive : true,
        startAfter,
        pageSize,
        signal: options.signal,
      };
      let source = this.doList(prefix, resolved);
      if (!native) source = groupByDelimiter(source, prefix);
      let count = 0;
      for await (const entry of source) {
        throwIfAborted(options.signal, 'list');
        if (startAfter !== undefined && compareKeys(entry.key, startAfter) <= 0) continue;
        yield entry;
        if (limit !== undefined && ++count >= limit) return;
      }
    } catch (e) {
      throw this.normalizeError(e, context, options.signal);
    }
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    return this.run('delete', key, options.signal, async () => {
      assertKey(key, 'delete');
      checkKnownOptions(options, OPTION_NAMES.delete, 'delete');
      if (options.version !== undefined) requireCapability(this, 'versioning', 'delete', 'versions', key);
      return this.doDelete(key, options);
    });
  }

  async deleteMany(
    keys: Iterable<string> | AsyncIterable<string>,
    options: Signal = {},
  ): Promise<DeleteManyResult> {
    return this.run('deleteMany', undefined, options.signal, async () => {
      checkKnownOptions(options, OPTION_NAMES.signal, 'deleteMany');
      if (
        keys === null ||
        typeof keys !== 'object' ||
        (!(Symbol.iterator in keys) && !(Symbol.asyncIterator in keys))
      ) {
        throw new StorageError('InvalidArgument', '`keys` must be an iterable or async iterable of keys.');
      }
      // An array is validated whole before anything is deleted; other
      // iterables as keys arrive, so an invalid key fails the call before its batch is sent.
      if (Array.isArray(keys)) for (const key of keys) assertKey(key, 'deleteMany');
      const validated = (async function* () {
        for await (const key of keys as AsyncIterable<string>) {
          assertKey(key, 'deleteMany');
          yield key;
        }
      })();
      return this.doDeleteMany(validated, options);
    });
  }

  async copy(from: string, to: string, options: CopyOptions = {}): Promise<ObjectInfo> {
    return this.run('copy', from, options.signal, async () => {
      checkCopy(this, from, to, options, 'copy');
      return this.doCopy(from, to, normalizeCopyOptions(options));
    });
  }

  async move(from: string, to: string, options: CopyOptions = {}): Promise<ObjectInfo> {
    return this.run('move', from, options.signal, async () => {
      checkCopy(this, from, to, options, 'move');
      return this.doMove(from, to, normalizeCopyOptions(options));
    });
  }

  async presign(key: string, options: PresignOptions): Promise<PresignedRequest> {
    return this.run('presign', key, undefined, async () => {
      assertKey(key, 'presign');
      if (options === null || typeof options !== 'object') {
        throw new StorageError(
          'InvalidArgument',
          'presign needs options: { method: "GET" | "PUT", expiresIn }.',
        );
      }
      checkKnownOptions(options, OPTION_NAMES.presign, 'presign');
      if (options.method !== 'GET' && options.method !== 'PUT') {
        throw new StorageError('InvalidArgument', '`method` must be "GET" or "PUT".');
      }
      const seconds = presignSeconds(options.expiresIn);
      requireCapability(this, 'presign', 'presign', 'presigned URLs', key);
      return this.doPresign(key, {
        method: options.method,
        expiresIn: seconds,
        contentType: options.contentType,
      });
    });
  }

  async close(): Promise<void> {
    return this.run('close', undefined, undefined, () => this.doClose());
  }

  // ---- shared checks -------------------------------------------------------

  /** A `StorageError('Unsupported')` that names the missing capability. */
  protected unsupported(operation: string, what: string, key?: string): StorageError {
    return unsupportedError(this.kind, operation, what, key);
  }

  /** Runs one operation: abort check first, every rejection normalised. */
  private async run<T>(
    operation: string,
    key: string | undefined,
    signal: AbortSignal | undefined,
    body: () => Promise<T>,
  ): Promise<T> {
    const context = { backend: this.kind, operation, key };
    try {
      throwIfAborted(signal, operation, key);
      return await body();
    } catch (e) {
      throw this.normalizeError(e, context, signal);
    }
  }

  private normalizeError(
    e: unknown,
    context: { backend: string; operation: string; key?: string },
    signal: AbortSignal | undefined,
  ): StorageError {
    if (signal?.aborted && !(isStorageError(e) && e.code === 'Aborted')) {
      return new StorageError('Aborted', `${context.operation} was aborted`, {
        ...context,
        cause: signal.reason,
      });
    }
    return toStorageError(e, context);
  }
}

export { checkKnownOptions, normalizeMetadata } from './options.js';

/** A PreparedBody over an already open stream (used by the default copy). */
export function preparedStream(stream: Readable, size: number | undefined): PreparedBody {
  return { size, bytes: undefined, stream: () => stream };
}
