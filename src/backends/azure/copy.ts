/**
 * Server-side copy. Objects up to `syncCopyThreshold` (256 MiB, the service
 * limit of Copy Blob From URL) are copied with one synchronous request whose
 * source is authorised by a short read SAS (or the client's own SAS); larger
 * ones, or when no SAS can be made (Entra ID), with the asynchronous Copy
 * Blob (Copy Blob), polled until done. The source is pinned by its etag, so a source
 * overwritten mid-copy fails the copy instead of mixing versions.
 */
import type { BlobClient, BlobGetPropertiesResponse, BlobRequestConditions } from '@azure/storage-blob';
import type { CopyOptions, ObjectInfo } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';
import type { AzureConnection } from './client.js';
import { encodeMetadata } from './info.js';
import type { SasSigner } from './presign.js';
import { abortableSleep } from '../../core/sleep.js';

/** What a copy needs beyond its two blobs. */
export interface CopyContext {
  connection: AzureConnection;
  signer: SasSigner;
  syncCopyThreshold: number;
  pollIntervalMs: number;
  encryptionScope?: string;
  tier?: string;
}

/** Copies `source` onto `target`; resolves with the source's properties (for move). */
export async function copyBlob(
  source: BlobClient,
  target: BlobClient,
  options: CopyOptions,
  context: CopyContext,
): Promise<BlobGetPropertiesResponse> {
  const signal = options.signal;
  const props = await source.getProperties({ abortSignal: signal });
  const conditions: BlobRequestConditions | undefined = options.ifNotExists
    ? { ifNoneMatch: '*' }
    : undefined;
  const common = {
    abortSignal: signal,
    conditions,
    sourceConditions: { ifMatch: props.etag },
    metadata: encodeMetadata(options.metadata),
    tier: context.tier,
    encryptionScope: context.encryptionScope,
  };
  const size = props.contentLength ?? 0;
  const canSignSource = context.connection.sharedKey !== undefined || context.connection.sas;
  if (size <= context.syncCopyThreshold && canSignSource) {
    await target.syncCopyFromURL(await sourceUrl(source, context, signal), common);
  } else {
    const url = canSignSource ? await sourceUrl(source, context, signal) : source.url;
    const poller = await target.beginCopyFromURL(url, common);
    const copyId = (poller.getOperationState() as { copyId?: string }).copyId;
    try {
      // We poll ourselves: the SDK poller cannot be aborted between polls.
      let status: string | undefined = poller.isDone() ? 'success' : 'pending';
      while (status === 'pending') {
        await abortableSleep(context.pollIntervalMs, signal, 'copy was aborted');
        status = (await target.getProperties({ abortSignal: signal })).copyStatus;
      }
      if (status !== 'success') {
        throw new StorageError('Unavailable', `The server-side copy ended with status ${status}; retry it.`);
      }
    } catch (e) {
      // A pending or failed copy leaves a destination without valid content: stop it and remove it.
      if (copyId !== undefined) await target.abortCopyFromURL(copyId).catch(() => undefined);
      await target.deleteIfExists().catch(() => undefined);
      throw e;
    }
  }
  if (options.contentType !== undefined) {
    // Copy keeps the source's headers; Set Blob Properties replaces them all, so restate the others.
    await target.setHTTPHeaders(
      {
        blobContentType: options.contentType,
        blobCacheControl: props.cacheControl,
        blobContentDisposition: props.contentDisposition,
        blobContentEncoding: props.contentEncoding,
        blobContentLanguage: props.contentLanguage,
        blobContentMD5: props.contentMD5,
      },
      { abortSignal: signal },
    );
  }
  return props;
}

/** The source URL with a one-hour read SAS (or the client's SAS, already in the URL). */
async function sourceUrl(source: BlobClient, context: CopyContext, signal?: AbortSignal): Promise<string> {
  if (context.connection.sharedKey === undefined) return source.url;
  const { query } = await context.signer.sas(source, 'r', 3600, signal);
  return `${source.url.split('?')[0]}?${query}`;
}

/**
 * Sets `tier` on a copy whose info shows another, and records it in `info`:
 * Azurite marks the tier of a copy as inferred, and setting it again makes it
 * explicit (a no-op on Azure).
 */
export async function settleCopyTier(
  destination: BlobClient,
  info: ObjectInfo,
  tier: string | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (tier === undefined || info.storageClass === tier) return;
  await destination.setAccessTier(tier as Parameters<BlobClient['setAccessTier']>[0], {
    abortSignal: signal,
  });
  info.storageClass = tier;
}
