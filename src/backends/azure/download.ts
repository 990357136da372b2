/**
 * The GET of `read` and `stream`: sends it, maps range and HTTP errors, and
 * returns the HTTP body with what the pump (pump.ts) needs to resume it.
 */
import { Readable } from 'node:stream';
import type { BlobClient, BlobDownloadResponseParsed, CpkInfo } from '@azure/storage-blob';
import type { ObjectInfo, ReadOptions } from '../../core/backend.js';
import { resolveRange } from '../../core/range.js';
import { type AzureErrorContext, azureErrorCode, toAzureError } from './errors.js';
import { totalSize } from './info.js';
import type { DownloadStreamOptions } from './pump.js';

export { collectDownload, type DownloadStreamOptions, wrapDownload } from './pump.js';

/** The SDK's retrying wrapper, as far as {@link httpBody} looks into it. */
interface SdkBodyWrapper extends Readable {
  source?: unknown;
  start?: unknown;
  offset?: unknown;
  removeSourceEventHandlers?: () => void;
}

/**
 * The body to pump: the HTTP response itself rather than the SDK's
 * RetriableReadableStream around it. That wrapper only resumes premature
 * ends (the pump resumes those and connection resets itself) and costs one
 * more stream hop per chunk: about 4 µs per 64 KiB chunk of client CPU, 17 ms
 * per 256 MiB (bench/azure/overhead.ts). The wrapper is detached only when it
 * is in the state it is built in: it reads the HTTP body directly (no
 * checksum-decoding stream between), no byte has passed through it yet and its
 * detach method exists; otherwise (another SDK version) the wrapper is used.
 * No byte can have passed yet: the SDK builds the wrapper in the same run of
 * promise callbacks that resolves `download()`, and the HTTP body only starts
 * flowing on the next tick.
 */
export function httpBody(response: BlobDownloadResponseParsed): NodeJS.ReadableStream | undefined {
  const wrapper = response.readableStreamBody as SdkBodyWrapper | undefined;
  const http = (response._response as { readableStreamBody?: NodeJS.ReadableStream } | undefined)
    ?.readableStreamBody;
  if (
    wrapper === undefined ||
    http === undefined ||
    wrapper.source !== http ||
    typeof wrapper.removeSourceEventHandlers !== 'function' ||
    wrapper.offset !== wrapper.start ||
    wrapper.readableLength > 0 ||
    wrapper.destroyed ||
    (http as Readable).readableEnded
  ) {
    return wrapper;
  }
  wrapper.removeSourceEventHandlers();
  return http;
}

/** An empty stream (zero-length ranges, empty blobs). */
export function emptyStream(): Readable {
  return Readable.from([], { objectMode: false });
}

/** What {@link openBlobDownload} needs from the backend. */
export interface OpenDownloadContext {
  context: AzureErrorContext;
  idleTimeoutMs: number;
  retries: number;
  customerProvidedKey: CpkInfo | undefined;
  /** Stats the object (for zero-length ranges and ranges of empty blobs). */
  stat(): Promise<ObjectInfo>;
}

/**
 * Sends the GET of a read or stream and returns its body with the options
 * {@link wrapDownload} / {@link collectDownload} need, or `undefined` when
 * the answer is empty (empty blob or zero-length range). Range errors are
 * raised as the core's `InvalidArgument`, the same on every backend.
 */
export async function openBlobDownload(
  client: BlobClient,
  options: ReadOptions,
  open: OpenDownloadContext,
): Promise<{ body: NodeJS.ReadableStream; options: DownloadStreamOptions } | undefined> {
  const range = options.range;
  if (range?.length === 0) {
    // A zero-length range has no HTTP form: check the object and the offset, then yield nothing.
    resolveRange(range, (await open.stat()).size);
    return undefined;
  }
  const offset = range?.offset ?? 0;
  const customerProvidedKey = open.customerProvidedKey;
  try {
    // maxRetryRequests 0: the pump resumes dropped bodies itself.
    const response = await client.download(offset, range?.length, {
      abortSignal: options.signal,
      conditions: { ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch },
      maxRetryRequests: 0,
      customerProvidedKey,
    });
    const body = httpBody(response);
    if (range !== undefined && range.offset > 0) {
      // Azurite answers an offset at the end with an empty body where Azure answers 416.
      const total = totalSize(response.contentRange) ?? response.contentLength;
      if (total !== undefined && range.offset >= total) {
        body?.on('error', () => {});
        (body as Readable | undefined)?.destroy();
        resolveRange(range, total);
      }
    }
    if (body === undefined) return undefined;
    const length = response.contentLength ?? 0;
    return {
      body,
      options: {
        idleTimeoutMs: open.idleTimeoutMs,
        signal: options.signal,
        context: open.context,
        length,
        retries: open.retries,
        async reopen(delivered) {
          const rest = await client.download(offset + delivered, length - delivered, {
            abortSignal: options.signal,
            conditions: { ifMatch: response.etag },
            maxRetryRequests: 0,
            customerProvidedKey,
          });
          return httpBody(rest);
        },
      },
    };
  } catch (e) {
    if (
      range !== undefined &&
      (azureErrorCode(e) === 'InvalidRange' || (e as { statusCode?: number }).statusCode === 416)
    ) {
      // Azure refuses any range on an empty blob; offset 0 of an empty blob is valid and empty.
      resolveRange(range, (await open.stat()).size);
      return undefined;
    }
    throw toAzureError(e, open.context);
  }
}
