/** The memory backend: a Map of byte arrays, with every capability it can honestly have. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  CopyOptions,
  DeleteOptions,
  Entry,
  ObjectInfo,
  ReadOptions,
  Signal,
  StatOptions,
} from '../../core/backend.js';
import { BaseBackend, type ResolvedListOptions, type ResolvedWriteOptions } from '../../core/base.js';
import { collect, type PreparedBody } from '../../core/body.js';
import { type Capabilities, defineCapabilities } from '../../core/capabilities.js';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import { compareKeys } from '../../core/keys.js';
import { resolveRange } from '../../core/range.js';
import { cloneInfo } from '../../core/info.js';
import { cloneTable, copyBytes, type ObjectTable, type StoredObject } from './store.js';

/** What the memory backend can do. */
export const MEMORY_CAPABILITIES: Capabilities = defineCapabilities({
  rangeRead: true,
  streamingWrite: true,
  multipartWrite: false,
  conditionalWrite: true,
  conditionalRead: true,
  serverSideCopy: true,
  atomicMove: true,
  presign: false,
  metadata: true,
  versioning: false,
  storageClass: false,
  listDelimiter: true,
});

/** A frozen copy of a memory backend's content, from `snapshot()`. */
export interface MemorySnapshot {
  /** @internal */
  readonly table: ObjectTable;
}

/** Limits of a memory backend. */
export interface MemoryLimits {
  /** Largest object in bytes. @default Infinity */
  maxObjectSize?: number;
  /** Total bytes the backend may hold; writes past it fail with `QuotaExceeded`. @default Infinity */
  maxTotalBytes?: number;
}

/** The in-memory backend. Use `memory()` to make one. */
export class MemoryBackend extends BaseBackend {
  readonly kind = 'memory';
  readonly capabilities: Capabilities;
  private table: ObjectTable;
  private readonly maxTotalBytes: number;

  constructor(table: ObjectTable, limits: MemoryLimits = {}) {
    super();
    this.table = table;
    this.maxTotalBytes = limits.maxTotalBytes ?? Number.POSITIVE_INFINITY;
    this.capabilities =
      limits.maxObjectSize === undefined
        ? MEMORY_CAPABILITIES
        : defineCapabilities({ ...MEMORY_CAPABILITIES, maxObjectSize: limits.maxObjectSize });
  }

  /** Removes every object. */
  reset(): void {
    this.table.clear();
  }

  /** A copy of the current content, to `restore()` later. */
  snapshot(): MemorySnapshot {
    return { table: cloneTable(this.table) };
  }

  /** Replaces the content with a snapshot's (the snapshot stays reusable). */
  restore(snapshot: MemorySnapshot): void {
    this.table.clear();
    for (const [key, object] of cloneTable(snapshot.table)) this.table.set(key, object);
  }

  /** Number of objects held. */
  get size(): number {
    return this.table.size;
  }

  protected override async doRead(key: string, options: ReadOptions): Promise<Uint8Array> {
    const object = this.get(key, options);
    const { start, end } = resolveRange(options.range, object.data.byteLength);
    // A copy, so callers cannot change the stored bytes.
    return copyBytes(object.data, start, end);
  }

  protected async doStream(key: string, options: ReadOptions): Promise<Readable> {
    const data = await this.doRead(key, options);
    const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return Readable.from(data.byteLength === 0 ? [] : [chunk], { objectMode: false });
  }

  protected async doStat(key: string, options: StatOptions): Promise<ObjectInfo> {
    return cloneInfo(this.get(key, options).info);
  }

  protected override async doExists(key: string): Promise<boolean> {
    return this.table.has(key);
  }

  protected async doWrite(
    key: string,
    body: PreparedBody,
    options: ResolvedWriteOptions,
  ): Promise<ObjectInfo> {
    this.checkPreconditions(key, options);
    const data =
      body.bytes !== undefined
        ? copyBytes(body.bytes)
        : await collect(body.stream(), Number.POSITIVE_INFINITY, true);
    throwIfAborted(options.signal, 'write', key);
    // Conditions are checked again after the body arrived: another write may have won meanwhile.
    this.checkPreconditions(key, options);
    if (data.byteLength > this.capabilities.maxObjectSize) {
      throw new StorageError(
        'InvalidArgument',
        `The body is over the ${this.capabilities.maxObjectSize}-byte object limit.`,
      );
    }
    return this.put(key, data, {
      contentType: options.contentType,
      metadata: options.metadata ?? {},
      cacheControl: options.cacheControl,
      contentDisposition: options.contentDisposition,
      contentEncoding: options.contentEncoding,
    });
  }

  protected async *doList(prefix: string, options: ResolvedListOptions): AsyncIterable<Entry> {
    const keys = this.table.sorted();
    let i = lowerBound(
      keys,
      options.startAfter !== undefined && compareKeys(options.startAfter, prefix) > 0
        ? options.startAfter
        : prefix,
    );
    let lastFolder: string | undefined;
    for (; i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      const object = this.table.get(key);
      if (object === undefined) continue; // deleted while listing
      if (!options.recursive) {
        const slash = key.indexOf('/', prefix.length);
        if (slash !== -1) {
          const folder = key.slice(0, slash + 1);
          if (folder !== lastFolder) {
            lastFolder = folder;
            yield { type: 'prefix', key: folder };
          }
          continue;
        }
      }
      yield { type: 'object', ...cloneInfo(object.info) };
      // Let other work run, as a network listing would between pages.
      if (i % 1000 === 999) await Promise.resolve();
    }
  }

  protected async doDelete(key: string, _options: DeleteOptions): Promise<void> {
    const object = this.table.get(key);
    if (object === undefined) return;
    this.table.delete(key);
  }

  protected override async doCopy(from: string, to: string, options: CopyOptions): Promise<ObjectInfo> {
    const source = this.get(from, options);
    if (options.ifNotExists && this.table.has(to)) {
      throw new StorageError('AlreadyExists', `An object already exists at ${JSON.stringify(to)}.`);
    }
    return this.put(to, copyBytes(source.data), {
      contentType: options.contentType ?? source.info.contentType,
      metadata: { ...(options.metadata ?? source.info.metadata) },
      cacheControl: source.info.cacheControl,
      contentDisposition: source.info.contentDisposition,
      contentEncoding: source.info.contentEncoding,
    });
  }

  protected override async doMove(from: string, to: string, options: CopyOptions): Promise<ObjectInfo> {
    const info = await this.doCopy(from, to, options);
    if (from !== to) await this.doDelete(from, {});
    return info;
  }

  protected override async doClose(): Promise<void> {}

  private get(key: string, options: Signal & { ifMatch?: string; ifNoneMatch?: string }): StoredObject {
    const object = this.table.get(key);
    if (object === undefined) {
      throw new StorageError('NotFound', `No object at ${JSON.stringify(key)}.`);
    }
    if (options.ifMatch !== undefined && options.ifMatch !== object.info.etag) {
      throw new StorageError(
        'PreconditionFailed',
        `The object at ${JSON.stringify(key)} does not have etag ${options.ifMatch}.`,
      );
    }
    if (
      options.ifNoneMatch !== undefined &&
      (options.ifNoneMatch === object.info.etag || options.ifNoneMatch === '*')
    ) {
      throw new StorageError(
        'PreconditionFailed',
        `The object at ${JSON.stringify(key)} still has etag ${object.info.etag}.`,
        { status: 304 },
      );
    }
    return object;
  }

  private checkPreconditions(key: string, options: ResolvedWriteOptions): void {
    const current = this.table.get(key);
    if (options.ifNotExists && current !== undefined) {
      throw new StorageError('AlreadyExists', `An object already exists at ${JSON.stringify(key)}.`);
    }
    if (options.ifMatch !== undefined && current?.info.etag !== options.ifMatch) {
      throw new StorageError(
        'PreconditionFailed',
        current === undefined
          ? `No object at ${JSON.stringify(key)} to match etag ${options.ifMatch}.`
          : `The object at ${JSON.stringify(key)} has changed (etag is not ${options.ifMatch}).`,
      );
    }
  }

  private put(
    key: string,
    data: Uint8Array,
    fields: Pick<
      ObjectInfo,
      'contentType' | 'metadata' | 'cacheControl' | 'contentDisposition' | 'contentEncoding'
    >,
  ): ObjectInfo {
    const previous = this.table.get(key);
    const growth = data.byteLength - (previous?.data.byteLength ?? 0);
    if (this.table.totalBytes + growth > this.maxTotalBytes) {
      throw new StorageError(
        'QuotaExceeded',
        `The memory backend is limited to ${this.maxTotalBytes} bytes.`,
      );
    }
    const md5 = createHash('md5').update(data).digest();
    const info: ObjectInfo = {
      key,
      size: data.byteLength,
      lastModified: new Date(),
      etag: `"${md5.toString('hex')}"`,
      contentType: fields.contentType ?? 'application/octet-stream',
      metadata: fields.metadata ?? {},
      checksums: { md5: md5.toString('base64') },
    };
    if (fields.cacheControl !== undefined) info.cacheControl = fields.cacheControl;
    if (fields.contentDisposition !== undefined) info.contentDisposition = fields.contentDisposition;
    if (fields.contentEncoding !== undefined) info.contentEncoding = fields.contentEncoding;
    this.table.set(key, { data, info });
    return cloneInfo(info);
  }
}

/** Index of the first key >= `target` (binary search over sorted keys). */
function lowerBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
