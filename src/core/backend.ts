/**
 * The contract every stowage backend keeps. Each method's "Behaviour" list is
 * asserted, sentence by sentence, by the conformance kit in `stowage/testing`.
 */
import type { Readable } from 'node:stream';
import type { Capabilities } from './capabilities.js';

/**
 * Anything that can be written: bytes, a string (stored as UTF-8), a Node
 * `Readable`, a web `ReadableStream`, an async iterable of byte chunks, or a
 * `Blob`. Streams are never buffered whole by the core.
 */
export type Body =
  | Uint8Array
  | string
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Blob;

/** Byte progress of one transfer. */
export interface Progress {
  /** Bytes transferred so far. Never decreases. */
  loaded: number;
  /** Total bytes, when known. */
  total?: number;
}

/** Options that only carry a cancellation signal. */
export interface Signal {
  /** Cancels the call: it rejects with `Aborted` and sends no further request. */
  signal?: AbortSignal;
}

/** A byte range: `length` bytes from `offset` (to the end when `length` is omitted). */
export interface ByteRange {
  /** First byte, 0-based. Must be a non-negative integer. */
  offset: number;
  /** How many bytes; omitted = to the end. Past the end is clipped. */
  length?: number;
}

/** Options of `read` and `stream`. */
export interface ReadOptions extends Signal {
  /** Read only part of the object. Needs `capabilities.rangeRead`. */
  range?: ByteRange;
  /** Read only if the object's etag equals this (else `PreconditionFailed`). Needs `conditionalRead`. */
  ifMatch?: string;
  /** Read only if the etag differs (else `PreconditionFailed`, used for revalidation). Needs `conditionalRead`. */
  ifNoneMatch?: string;
  /** Read this version. Needs `capabilities.versioning`. */
  version?: string;
  /** Called as bytes arrive; monotonic, the last call has `loaded` = bytes delivered. */
  onProgress?: (p: Progress) => void;
}

/** Options of `stat`. */
export interface StatOptions extends Signal {
  /** Stat this version. Needs `capabilities.versioning`. */
  version?: string;
  /** Succeed only if the etag equals this (else `PreconditionFailed`). Needs `conditionalRead`. */
  ifMatch?: string;
  /** Succeed only if the etag differs (else `PreconditionFailed`). Needs `conditionalRead`. */
  ifNoneMatch?: string;
}

/** Options of `write`. */
export interface WriteOptions extends Signal {
  /** MIME type stored with the object. @default guessed from the key's extension for common types, else 'application/octet-stream' */
  contentType?: string;
  /** Custom metadata. Keys are lower-cased ASCII; values are strings. Needs `capabilities.metadata`. */
  metadata?: Record<string, string>;
  /** `Cache-Control` stored with the object. */
  cacheControl?: string;
  /** `Content-Disposition` stored with the object. */
  contentDisposition?: string;
  /** `Content-Encoding` stored with the object (the body is stored as given). */
  contentEncoding?: string;
  /** Fail with `AlreadyExists` if the key exists. Needs `conditionalWrite`. */
  ifNotExists?: boolean;
  /** Fail with `PreconditionFailed` unless the current etag equals this. Needs `conditionalWrite`. */
  ifMatch?: string;
  /** Known length of a streamed body; a body of another length fails with `IntegrityError` and stores nothing. */
  size?: number;
  /** Provider storage class ('STANDARD_IA', 'COLDLINE', 'Cool', ...). Needs `capabilities.storageClass`. */
  storageClass?: string;
  /** Part size for multipart uploads, bytes or '8MiB'. @default backend-specific */
  partSize?: number | string;
  /** Parts uploaded at once. @default backend-specific */
  concurrency?: number;
  /** Called as bytes are sent; monotonic, the last call has `loaded === size`. */
  onProgress?: (p: Progress) => void;
}

/** Options of `list`. */
export interface ListOptions extends Signal {
  /** `true`: every object under the prefix. `false`: objects directly under it and one `prefix` entry per folder. @default true */
  recursive?: boolean;
  /** Yield only keys that sort after this one (UTF-8 byte order). */
  startAfter?: string;
  /** Stop after this many entries. */
  limit?: number;
  /** Entries fetched per request (a hint; pagination is internal). */
  pageSize?: number;
}

/** Options of `delete`. */
export interface DeleteOptions extends Signal {
  /** Delete this version. Needs `capabilities.versioning`. */
  version?: string;
}

/** Options of `copy` and `move`. */
export interface CopyOptions extends Signal {
  /** Fail with `AlreadyExists` if the destination exists. Needs `conditionalWrite`. */
  ifNotExists?: boolean;
  /** Replace the metadata instead of copying it. */
  metadata?: Record<string, string>;
  /** Replace the content type instead of copying it. */
  contentType?: string;
  /** Storage class of the copy. Needs `capabilities.storageClass`. */
  storageClass?: string;
}

/** Options of `presign`. */
export interface PresignOptions {
  /** The HTTP method the URL is for. */
  method: 'GET' | 'PUT';
  /** Lifetime: seconds as a number, or a duration string ('15m', '1h'). */
  expiresIn: number | string;
  /** For PUT: the content type the uploader must send. */
  contentType?: string;
}

/** A presigned HTTP request anyone can make until `expiresAt`. */
export interface PresignedRequest {
  /** The URL (it carries a signature: treat it as a secret). */
  url: string;
  /** 'GET' or 'PUT'. */
  method: string;
  /** Headers the request must carry for the signature to match. */
  headers: Record<string, string>;
  /** When the URL stops working. */
  expiresAt: Date;
}

/** What a backend knows about one object. */
export interface ObjectInfo {
  /** The key, relative to the backend's root. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** When the object was last written. */
  lastModified: Date;
  /** An opaque version tag that changes when the content changes. */
  etag?: string;
  /** Version id, on backends with `versioning`. */
  version?: string;
  /** MIME type. */
  contentType?: string;
  /** Custom metadata (lower-cased keys). Always present, maybe empty. */
  metadata: Record<string, string>;
  /** Provider storage class. */
  storageClass?: string;
  /** Content checksums the backend knows, base64-encoded. */
  checksums?: { md5?: string; crc32c?: string; sha256?: string };
  /** `Cache-Control`, when stored. */
  cacheControl?: string;
  /** `Content-Disposition`, when stored. */
  contentDisposition?: string;
  /** `Content-Encoding`, when stored. */
  contentEncoding?: string;
}

/** One listing entry: an object, or (with `recursive: false`) a folder. */
export type Entry = ({ type: 'object' } & ObjectInfo) | { type: 'prefix'; key: string };

/** Result of `deleteMany`. */
export interface DeleteManyResult {
  /** How many keys were deleted (absent keys count as deleted). */
  deleted: number;
  /** Keys that could not be deleted, with why. */
  errors: { key: string; error: import('./errors.js').StorageError }[];
}

/**
 * One storage interface over memory, disk and cloud object stores.
 *
 * Every method validates its key before any I/O (`InvalidKey`), accepts an
 * `AbortSignal` (after abort: `Aborted`, and no further request), and rejects
 * only with `StorageError`.
 */
export interface StorageBackend {
  /** Which adapter this is: 'memory', 'local', 's3', 'r2', 'gcs', 'azure', ... */
  readonly kind: string;
  /** What this backend can do; see {@link Capabilities}. */
  readonly capabilities: Capabilities;

  /**
   * Reads a whole object (or a range of it) into memory.
   *
   * Behaviour:
   * - An absent key rejects with `NotFound`.
   * - A range returns exactly the bytes asked for; a `length` past the end is
   *   clipped; an `offset` at or past the end of a non-empty object rejects
   *   with `InvalidArgument`; a negative or fractional offset or length
   *   rejects with `InvalidArgument`.
   * - `ifMatch` not matching rejects with `PreconditionFailed`; `ifNoneMatch`
   *   matching rejects with `PreconditionFailed` (the content is unchanged).
   * - Read-after-write is immediately consistent.
   */
  read(key: string, options?: ReadOptions): Promise<Uint8Array>;

  /**
   * Opens a Node `Readable` over an object (or a range of it).
   *
   * Behaviour:
   * - Rejects with `NotFound` before any byte flows when the key is absent.
   * - Destroying the stream early releases the connection and is not an
   *   integrity error.
   * - Ranges and conditions behave as in `read`.
   */
  stream(key: string, options?: ReadOptions): Promise<Readable>;

  /**
   * Writes an object, replacing any object at the key.
   *
   * Behaviour:
   * - Zero-byte bodies, 1-byte chunks and bodies of unknown length round-trip
   *   byte-exact.
   * - A failed, aborted or erroring write leaves no object (and no orphan
   *   multipart upload) and the previous version, if any, intact.
   * - `ifNotExists` on an existing key rejects with `AlreadyExists`; of N
   *   concurrent `ifNotExists` writers exactly one wins. `ifMatch` not
   *   matching rejects with `PreconditionFailed`. Without
   *   `capabilities.conditionalWrite` both reject with `Unsupported`.
   * - Metadata keys are lower-cased; content type and metadata round-trip
   *   where `capabilities.metadata`.
   * - Progress is monotonic and its last event has `loaded === size`.
   * - Resolves with the new object's info (as `stat` would return it).
   */
  write(key: string, body: Body, options?: WriteOptions): Promise<ObjectInfo>;

  /**
   * Describes an object.
   *
   * Behaviour:
   * - An absent key rejects with `NotFound`; after `delete`, `stat` rejects
   *   with `NotFound` immediately.
   */
  stat(key: string, options?: StatOptions): Promise<ObjectInfo>;

  /**
   * Whether an object exists at the key.
   *
   * Behaviour:
   * - Resolves `false` (never rejects with `NotFound`) for an absent key.
   */
  exists(key: string, options?: Signal): Promise<boolean>;

  /**
   * Lists objects whose key starts with `prefix`.
   *
   * Behaviour:
   * - Yields in ascending UTF-8 byte order of keys.
   * - `prefix` is a plain string prefix (`v1` also matches `v10/x`); a
   *   missing prefix yields nothing.
   * - `recursive: false` yields the objects directly under the prefix and one
   *   `prefix` entry per "folder" (delimiter `/`), in the same order.
   * - Pagination is internal: it never stops at a page boundary nor loops on
   *   a repeated token.
   */
  list(prefix?: string, options?: ListOptions): AsyncIterable<Entry>;

  /**
   * Deletes an object.
   *
   * Behaviour:
   * - Deleting an absent key succeeds.
   */
  delete(key: string, options?: DeleteOptions): Promise<void>;

  /**
   * Deletes many objects, in batches where the service allows.
   *
   * Behaviour:
   * - Absent keys count as deleted; one failing key does not stop the rest:
   *   it is reported in `errors`.
   */
  deleteMany(keys: Iterable<string> | AsyncIterable<string>, options?: Signal): Promise<DeleteManyResult>;

  /**
   * Copies an object, with its content type and metadata.
   *
   * Behaviour:
   * - An absent source rejects with `NotFound`.
   * - Server-side where `capabilities.serverSideCopy`.
   */
  copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo>;

  /**
   * Moves an object: afterwards `to` has the content and `from` is gone.
   *
   * Behaviour:
   * - An absent source rejects with `NotFound`.
   * - Atomic where `capabilities.atomicMove`; otherwise copy then delete.
   */
  move(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo>;

  /**
   * Presigns a GET or PUT URL.
   *
   * Behaviour:
   * - Without `capabilities.presign` rejects with `Unsupported`.
   */
  presign(key: string, options: PresignOptions): Promise<PresignedRequest>;

  /** Releases clients, sockets and file handles. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link ServerSideCopySource.serverSideCopyTo}. */
export interface ServerSideCopyOptions extends Signal {
  /** Fail with `AlreadyExists` when the target key exists. @default false */
  ifNotExists?: boolean;
}

/**
 * An optional hook an adapter may implement so that `copy` and `migrate`
 * (in `stowage/migrate`) copy to another backend inside the service, with no
 * bytes through this process: e.g. two S3 buckets of one account, reached
 * with the same endpoint and credentials. It lives in the core so adapters
 * can implement it without importing `stowage/migrate`.
 *
 * Behaviour: return `undefined` when `target` cannot be reached that way
 * (another service, account, endpoint or credentials, or a target wrapped in
 * middleware), and the caller streams the bytes instead. Otherwise copy
 * `fromKey` to `toKey` on `target` keeping content type and metadata, honour
 * `ifNotExists` (`AlreadyExists`) and `signal`, and return the target's info.
 */
export interface ServerSideCopySource {
  serverSideCopyTo(
    target: StorageBackend,
    fromKey: string,
    toKey: string,
    options: ServerSideCopyOptions,
  ): Promise<ObjectInfo | undefined>;
}
