/**
 * Block uploads with bounded memory.
 *
 * We do not use the SDK's `uploadStream`: it ignores its abort signal while
 * the source stream is paused (Azure/azure-sdk-for-js#32028), so an aborted
 * write could hang forever. Instead we read the source ourselves, racing each
 * read against the signal, stage at most `concurrency` blocks at once while
 * the next one is read (memory ≈ blockSize × (concurrency + 1)), and commit the block list only when every
 * block is staged. A failed, aborted or erroring write therefore never commits:
 * the blob (or its previous version) is untouched, and the staged blocks stay
 * uncommitted, invisible, and are garbage-collected by Azure after 7 days.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobHTTPHeaders, BlobRequestConditions, BlockBlobClient, CpkInfo } from '@azure/storage-blob';
import { isAbortError, isStorageError, StorageError } from '../../core/errors.js';

/** Azure's limit on blocks per blob. */
export const MAX_BLOCKS = 50_000;
/** Azure's largest block (4000 MiB). */
export const MAX_BLOCK_SIZE = 4000 * 1024 * 1024;
/** The largest block blob: 50,000 blocks of 4000 MiB (about 190.7 TiB). */
export const MAX_BLOB_SIZE = MAX_BLOCKS * MAX_BLOCK_SIZE;
/** With unknown length, the block size doubles every this many blocks. */
const DOUBLE_EVERY = 5_000;
const MiB = 1024 * 1024;

/** Everything an upload needs besides the body. */
export interface UploadParams {
  client: BlockBlobClient;
  /** Starting block size in bytes. */
  blockSize: number;
  /** Blocks staged at once. */
  concurrency: number;
  /** In-memory bodies up to this size go in one Put Blob. */
  singleUploadThreshold: number;
  /** Exact length when known. */
  size?: number;
  signal?: AbortSignal;
  headers: BlobHTTPHeaders;
  metadata?: Record<string, string>;
  tier?: string;
  conditions?: BlobRequestConditions;
  encryptionScope?: string;
  customerProvidedKey?: CpkInfo;
}

/** What the service said about the stored blob. */
export interface UploadResult {
  size: number;
  etag?: string;
  lastModified?: Date;
  versionId?: string;
  contentMD5?: Uint8Array;
}

/**
 * The block size for block number `index`: constant when the size is known
 * (big enough to fit in 50,000 blocks), else doubling every 5,000 blocks so an
 * endless stream still fits (8 MiB blocks reach ~40 TiB).
 */
export function blockSizeAt(index: number, base: number, knownSize?: number): number {
  if (knownSize !== undefined) {
    const needed = Math.ceil(Math.ceil(knownSize / MAX_BLOCKS) / MiB) * MiB;
    return Math.min(MAX_BLOCK_SIZE, Math.max(base, needed));
  }
  return Math.min(MAX_BLOCK_SIZE, base * 2 ** Math.floor(index / DOUBLE_EVERY));
}

/** Uploads bytes already in memory: one Put Blob when small, else blocks cut from the bytes (no copies). */
export async function uploadBytes(params: UploadParams, bytes: Uint8Array): Promise<UploadResult> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.byteLength <= params.singleUploadThreshold) return putBlob(params, buffer);
  let offset = 0;
  return uploadBlocks(params, async (size) => {
    if (offset >= buffer.byteLength) return undefined;
    const block = buffer.subarray(offset, offset + size);
    offset += block.byteLength;
    return block;
  });
}

/** Uploads a stream of unknown or known length; a stream that fits in one block goes in one Put Blob. */
export async function uploadStream(params: UploadParams, source: Readable): Promise<UploadResult> {
  const reader = new BlockReader(source, params.signal);
  try {
    const first = await reader.read(blockSizeAt(0, params.blockSize, params.size));
    if (first === undefined) return await putBlob(params, Buffer.alloc(0));
    const second =
      params.size !== undefined && params.size <= first.byteLength
        ? await reader.read(1) // must be the end; the meter reports a longer body
        : await reader.read(blockSizeAt(1, params.blockSize, params.size));
    if (second === undefined) return await putBlob(params, first);
    const pending = [first, second];
    return await uploadBlocks(
      params,
      async (size) => pending.shift() ?? reader.read(size),
      (block) => reader.release(block),
    );
  } catch (e) {
    source.destroy();
    throw e;
  }
}

async function putBlob(params: UploadParams, body: Buffer): Promise<UploadResult> {
  const response = await params.client.upload(body, body.byteLength, {
    abortSignal: params.signal,
    blobHTTPHeaders: params.headers,
    metadata: params.metadata,
    tier: params.tier,
    conditions: params.conditions,
    encryptionScope: params.encryptionScope,
    customerProvidedKey: params.customerProvidedKey,
  });
  return {
    size: body.byteLength,
    etag: response.etag,
    lastModified: response.lastModified,
    versionId: response.versionId,
    contentMD5: response.contentMD5,
  };
}

/** Stages blocks from `nextBlock` with bounded concurrency, then commits the list. */
async function uploadBlocks(
  params: UploadParams,
  nextBlock: (size: number) => Promise<Buffer | undefined>,
  release?: (block: Buffer) => void,
): Promise<UploadResult> {
  // Unique per upload, so concurrent writers of one key never share block ids.
  const uploadId = randomBytes(9).toString('hex');
  const ids: string[] = [];
  const inflight = new Set<Promise<void>>();
  const stop = new AbortController();
  const onAbort = () => stop.abort(params.signal?.reason);
  params.signal?.addEventListener('abort', onAbort, { once: true });
  let failure: { error: unknown } | undefined;
  const throwIfFailed = () => {
    if (failure !== undefined) throw failure.error;
  };
  let size = 0;
  try {
    for (let index = 0; ; index++) {
      // Read the next block while the staged ones are in flight, then wait for a slot:
      // at most `concurrency` blocks in flight plus this one in memory.
      const block = await nextBlock(blockSizeAt(index, params.blockSize, params.size));
      if (block === undefined) break;
      if (index >= MAX_BLOCKS) {
        throw new StorageError(
          'InvalidArgument',
          'The body needs more than 50,000 blocks; raise `partSize`.',
        );
      }
      while (inflight.size >= params.concurrency) await Promise.race(inflight);
      throwIfFailed();
      const id = Buffer.from(`${uploadId}-${String(index).padStart(6, '0')}`).toString('base64');
      ids.push(id);
      size += block.byteLength;
      const staged: Promise<void> = params.client
        .stageBlock(id, block, block.byteLength, {
          abortSignal: stop.signal,
          encryptionScope: params.encryptionScope,
          customerProvidedKey: params.customerProvidedKey,
        })
        .then(
          () => release?.(block),
          (error: unknown) => {
            failure ??= { error };
            stop.abort();
          },
        )
        .finally(() => inflight.delete(staged));
      inflight.add(staged);
    }
    await Promise.all(inflight);
    throwIfFailed();
    if (params.signal?.aborted) throw abortedError(params.signal);
    const response = await params.client.commitBlockList(ids, {
      abortSignal: params.signal,
      blobHTTPHeaders: params.headers,
      metadata: params.metadata,
      tier: params.tier,
      conditions: params.conditions,
      encryptionScope: params.encryptionScope,
      customerProvidedKey: params.customerProvidedKey,
    });
    return { size, etag: response.etag, lastModified: response.lastModified, versionId: response.versionId };
  } catch (e) {
    stop.abort();
    await Promise.allSettled(inflight);
    throw params.signal?.aborted ? abortedError(params.signal) : e;
  } finally {
    params.signal?.removeEventListener('abort', onAbort);
  }
}

/** An error of the caller's body stream, said as such (not as an Azure failure). */
function sourceError(e: unknown): unknown {
  if (isStorageError(e) || isAbortError(e)) return e;
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  if (code === 'ERR_INVALID_ARG_TYPE') {
    return new StorageError(
      'InvalidArgument',
      'A body stream yielded something that is not bytes; streams must yield Uint8Array chunks.',
      { cause: e },
    );
  }
  return new StorageError('Unknown', `The body stream failed: ${String(message ?? e)}; nothing was stored.`, {
    cause: e,
  });
}

function abortedError(signal: AbortSignal): StorageError {
  return new StorageError('Aborted', 'write was aborted', { cause: signal.reason });
}

/**
 * Cuts a stream into blocks of the asked size. Each read races the abort
 * signal, so a paused or stalled source cannot keep an aborted write alive.
 */
class BlockReader {
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string>;
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Block buffers whose upload finished, reused so a long upload does not churn the GC. */
  private readonly spare: Buffer[] = [];
  /** The pooled buffer behind each block handed out. */
  private readonly owners = new WeakMap<Buffer, Buffer>();

  /** Gives a block's buffer back once its upload settled (the SDK no longer reads it). */
  release(block: Buffer): void {
    const owner = this.owners.get(block);
    if (owner !== undefined && this.spare.length < 8) this.spare.push(owner);
  }

  constructor(
    source: Readable,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Up to `size` bytes (exactly `size` unless the stream ended), or undefined at the end. */
  async read(size: number): Promise<Buffer | undefined> {
    while (this.buffered < size && !this.ended) {
      const next = await this.nextChunk();
      if (next.done) {
        this.ended = true;
        break;
      }
      const value = next.value;
      const chunk =
        typeof value === 'string'
          ? Buffer.from(value)
          : Buffer.isBuffer(value)
            ? value
            : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      if (chunk.byteLength === 0) continue;
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    if (this.buffered === 0) return undefined;
    const take = Math.min(size, this.buffered);
    const head = this.chunks[0]!;
    let block: Buffer;
    if (head.byteLength >= take) {
      block = head.subarray(0, take);
      if (head.byteLength === take) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
    } else {
      let owner = this.spare.pop();
      while (owner !== undefined && owner.byteLength !== size) owner = this.spare.pop();
      owner ??= Buffer.allocUnsafeSlow(size);
      block = owner.subarray(0, take);
      this.owners.set(block, owner);
      let filled = 0;
      while (filled < take) {
        const chunk = this.chunks[0]!;
        const n = Math.min(chunk.byteLength, take - filled);
        chunk.copy(block, filled, 0, n);
        filled += n;
        if (n === chunk.byteLength) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(n);
      }
    }
    this.buffered -= take;
    return block;
  }

  private nextChunk(): Promise<IteratorResult<Buffer | Uint8Array | string>> {
    const pending = this.iterator.next().catch((e: unknown) => {
      throw sourceError(e);
    });
    const signal = this.signal;
    if (signal === undefined) return pending;
    if (signal.aborted) return Promise.reject(abortedError(signal));
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(abortedError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }
}
