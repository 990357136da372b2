/**
 * `copy`: one object from one backend to another, streamed with bounded
 * memory, keeping content type, metadata and the other stored headers.
 *
 * "Same service and account" is decided without guessing from URLs:
 * - the two backends are the same object (`from === to`): the backend's own
 *   `copy` runs, server-side where `capabilities.serverSideCopy`;
 * - or the source backend offers the optional {@link ServerSideCopySource}
 *   hook and accepts the target (an adapter can recognise another instance of
 *   itself on the same endpoint and credentials, e.g. two S3 buckets of one
 *   account). When the hook declines (`undefined`), the bytes are streamed.
 */
import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type {
  ObjectInfo,
  Progress,
  ServerSideCopySource,
  StorageBackend,
  WriteOptions,
} from '../core/backend.js';
import { StorageError } from '../core/errors.js';
import { BandwidthLimit, bandwidthLimit } from './bandwidth.js';
import { sameContent } from './verify.js';

/** Objects up to this size are read whole when their size is known in advance. */
export const SMALL_OBJECT_BYTES = 1024 * 1024;

/** The optional server-side copy hook, defined in the core so adapters need not import migrate. */
export type { ServerSideCopySource } from '../core/backend.js';

/** Options of {@link copy}. */
export interface CopyObjectOptions {
  /** Cancels the copy; the target is left as it was. */
  signal?: AbortSignal;
  /** Called as bytes are written (streamed copies only). */
  onProgress?: (progress: Progress) => void;
  /** Fail with `AlreadyExists` when the target key exists. Needs `conditionalWrite` on the target. @default false */
  ifNotExists?: boolean;
  /** Re-check the copy: its size, or its content (MD5 hashed while streaming, compared with the target's). Fails with `IntegrityError`. @default false */
  verify?: false | 'size' | 'checksum';
  /** Body bytes per second (or a limit shared with other copies). Not applied to server-side copies. @default unlimited */
  bandwidth?: number | string | BandwidthLimit;
  /** The source's info when already known (e.g. from a stat); saves one `stat`. Listings usually lack metadata, so pass only full info. */
  sourceInfo?: ObjectInfo;
  /** The source's size when known (e.g. from a listing): objects up to 1 MiB are then read whole instead of streamed. */
  sizeHint?: number;
}

/** What {@link copyObject} did. */
export interface CopyOutcome {
  /** The target object. */
  info: ObjectInfo;
  /** The source object as it was read. */
  source: ObjectInfo;
  /** Whether the service copied it without bytes through this process. */
  serverSide: boolean;
  /** Bytes streamed through this process (0 for server-side copies). */
  bytes: number;
}

/**
 * Copies one object between backends (or within one), streaming with bounded
 * memory, keeping content type, metadata (when the target can store it),
 * cache-control, content-disposition and content-encoding.
 *
 * @example
 * ```ts
 * import { copy } from 'stowage/migrate';
 * await copy(local({ root: './data' }), 'a.pdf', s3({ bucket: 'b' }), 'docs/a.pdf', { verify: 'checksum' });
 * ```
 */
export async function copy(
  from: StorageBackend,
  fromKey: string,
  to: StorageBackend,
  toKey: string,
  options: CopyObjectOptions = {},
): Promise<ObjectInfo> {
  return (await copyObject(from, fromKey, to, toKey, options)).info;
}

/** {@link copy}, also saying how it copied and how many bytes moved. */
export async function copyObject(
  from: StorageBackend,
  fromKey: string,
  to: StorageBackend,
  toKey: string,
  options: CopyObjectOptions = {},
): Promise<CopyOutcome> {
  const { signal } = options;
  const limit =
    options.bandwidth instanceof BandwidthLimit ? options.bandwidth : bandwidthLimit(options.bandwidth);
  const verify = options.verify ?? false;

  const serverSide = await tryServerSide(from, fromKey, to, toKey, options);
  if (serverSide !== undefined) {
    const source = options.sourceInfo ?? (verify ? await from.stat(fromKey, { signal }) : serverSide);
    if (verify)
      await check(verify, { backend: from, info: source }, { backend: to, info: serverSide }, signal);
    return { info: serverSide, source, serverSide: true, bytes: 0 };
  }

  // Small objects (by the caller's size hint) are read whole: one read instead of a stream
  // pipeline per object, which is most of the CPU a small copy costs. Memory stays bounded by
  // SMALL_OBJECT_BYTES per copy in flight.
  const small = options.sizeHint !== undefined && options.sizeHint <= SMALL_OBJECT_BYTES;
  // Stat and open (or read) together: one round trip of latency instead of two.
  const [statResult, bodyResult] = await Promise.allSettled([
    options.sourceInfo ?? from.stat(fromKey, { signal }),
    small ? from.read(fromKey, { signal }) : from.stream(fromKey, { signal }),
  ]);
  if (statResult.status === 'rejected' || bodyResult.status === 'rejected') {
    if (bodyResult.status === 'fulfilled' && !(bodyResult.value instanceof Uint8Array))
      bodyResult.value.destroy();
    throw statResult.status === 'rejected' ? statResult.reason : (bodyResult as PromiseRejectedResult).reason;
  }
  const source = statResult.value;
  const opened = bodyResult.value;
  const writeOptions = targetOptions(source, to, options);
  let knownMd5: string | undefined;
  let info: ObjectInfo;
  if (opened instanceof Uint8Array) {
    if (opened.byteLength !== source.size) {
      throw new StorageError(
        'IntegrityError',
        `${JSON.stringify(fromKey)} changed while it was copied (${opened.byteLength} bytes read, ${source.size} listed); copy it again.`,
        { key: fromKey, operation: 'copy', retryable: true },
      );
    }
    if (limit !== undefined) await limit.wait(opened.byteLength, signal);
    if (verify === 'checksum') knownMd5 = createHash('md5').update(opened).digest('base64');
    info = await to.write(toKey, opened, writeOptions);
  } else {
    const hash = verify === 'checksum' ? createHash('md5') : undefined;
    const stages: Transform[] = [];
    if (limit !== undefined) stages.push(limit.throttle(signal));
    if (hash !== undefined) stages.push(tap((chunk) => hash.update(chunk)));
    try {
      info = await to.write(toKey, chain(opened, stages), writeOptions);
    } finally {
      if (!opened.destroyed) opened.destroy();
    }
    knownMd5 = hash?.digest('base64');
  }
  if (verify) {
    await check(verify, { backend: from, info: source, knownMd5 }, { backend: to, info }, signal);
  }
  return { info, source, serverSide: false, bytes: source.size };
}

/** Write options that carry the source's stored headers over. */
function targetOptions(source: ObjectInfo, to: StorageBackend, options: CopyObjectOptions): WriteOptions {
  const writeOptions: WriteOptions = { size: source.size, signal: options.signal };
  if (source.contentType !== undefined) writeOptions.contentType = source.contentType;
  if (to.capabilities.metadata && Object.keys(source.metadata ?? {}).length > 0) {
    writeOptions.metadata = source.metadata;
  }
  if (source.cacheControl !== undefined) writeOptions.cacheControl = source.cacheControl;
  if (source.contentDisposition !== undefined) writeOptions.contentDisposition = source.contentDisposition;
  if (source.contentEncoding !== undefined) writeOptions.contentEncoding = source.contentEncoding;
  if (options.ifNotExists) writeOptions.ifNotExists = true;
  if (options.onProgress !== undefined) writeOptions.onProgress = options.onProgress;
  return writeOptions;
}

async function tryServerSide(
  from: StorageBackend,
  fromKey: string,
  to: StorageBackend,
  toKey: string,
  options: CopyObjectOptions,
): Promise<ObjectInfo | undefined> {
  const copyOptions = { signal: options.signal, ...(options.ifNotExists ? { ifNotExists: true } : {}) };
  if (from === to) return from.copy(fromKey, toKey, copyOptions);
  const hook = (from as Partial<ServerSideCopySource>).serverSideCopyTo;
  if (typeof hook === 'function') return hook.call(from, to, fromKey, toKey, copyOptions);
  return undefined;
}

async function check(
  mode: 'size' | 'checksum',
  source: { backend: StorageBackend; info: ObjectInfo; knownMd5?: string },
  target: { backend: StorageBackend; info: ObjectInfo },
  signal: AbortSignal | undefined,
): Promise<void> {
  const ok =
    mode === 'size' ? source.info.size === target.info.size : await sameContent(source, target, signal);
  if (!ok) {
    throw new StorageError(
      'IntegrityError',
      `The copy at ${JSON.stringify(target.info.key)} does not match its source (${mode} check: ` +
        `${source.info.size} bytes at the source, ${target.info.size} at the target); copy it again.`,
      { key: target.info.key, operation: 'copy', retryable: true },
    );
  }
}

/** A pass-through stream that shows each chunk to `fn`. */
function tap(fn: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      fn(chunk);
      callback(null, chunk);
    },
  });
}

/** Pipes `source` through `stages`, forwarding errors downstream and closing upstream when the end closes. */
function chain(source: Readable, stages: Transform[]): Readable {
  let current: Readable = source;
  for (const stage of stages) {
    const upstream = current;
    upstream.on('error', (e) => stage.destroy(e));
    stage.on('close', () => {
      if (!upstream.destroyed) upstream.destroy();
    });
    current = upstream.pipe(stage);
  }
  return current;
}
