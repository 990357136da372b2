/**
 * Listing: flat or by hierarchy, page by page with continuation tokens, in
 * UTF-8 byte order.
 *
 * Azurite returns names in UTF-16 code-unit order (JavaScript string order),
 * which differs from UTF-8 byte order only where a character above U+FFFF
 * (a surrogate pair) meets one in U+E000..U+FFFF. {@link toUtf8Order} repairs
 * that with a small look-ahead, and passes a listing already in UTF-8 order
 * through unchanged, so it is correct whichever order the service uses.
 */
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import type { Entry } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';
import { compareKeys } from '../../core/keys.js';
import { toObjectInfo } from './info.js';

/** Options of {@link listBlobs}. */
export interface ListBlobsOptions {
  /** The full name prefix in the container (root prefix + listing prefix). */
  namePrefix: string;
  /** Length of the backend's root prefix, cut from every name. */
  rootLength: number;
  recursive: boolean;
  pageSize?: number;
  signal?: AbortSignal;
}

/** Lists blob and (non-recursive) folder entries, in service order, page by page. */
async function* listPages(container: ContainerClient, options: ListBlobsOptions): AsyncGenerator<Entry> {
  const { namePrefix, rootLength, recursive, pageSize, signal } = options;
  const seen = new Set<string>();
  let token: string | undefined;
  const listOptions = {
    prefix: namePrefix === '' ? undefined : namePrefix,
    includeMetadata: true,
    abortSignal: signal,
  };
  do {
    const iterator = recursive
      ? container.listBlobsFlat(listOptions).byPage({ continuationToken: token, maxPageSize: pageSize })
      : container
          .listBlobsByHierarchy('/', listOptions)
          .byPage({ continuationToken: token, maxPageSize: pageSize });
    const { value: page, done } = await iterator.next();
    if (done || page === undefined) return;
    const blobs: BlobItem[] = page.segment.blobItems ?? [];
    const prefixes: { name: string }[] =
      (page.segment as { blobPrefixes?: { name: string }[] }).blobPrefixes ?? [];
    // The service returns folders and blobs in two lists of one page; merge them in service (string) order.
    let b = 0;
    let p = 0;
    while (b < blobs.length || p < prefixes.length) {
      const blob = blobs[b];
      const prefix = prefixes[p];
      if (prefix !== undefined && (blob === undefined || prefix.name < blob.name)) {
        p++;
        yield { type: 'prefix', key: prefix.name.slice(rootLength) };
      } else if (blob !== undefined) {
        b++;
        yield {
          type: 'object',
          ...toObjectInfo(blob.name.slice(rootLength), {
            ...blob.properties,
            versionId: blob.versionId,
            metadata: blob.metadata,
          }),
        };
      }
    }
    const next = page.continuationToken || undefined;
    if (next !== undefined) {
      if (seen.has(next)) {
        throw new StorageError(
          'Unavailable',
          'Azure returned the same continuation token twice; the listing was stopped to avoid a loop.',
          {
            backend: 'azure',
            operation: 'list',
          },
        );
      }
      seen.add(next);
    }
    token = next;
  } while (token !== undefined);
}

/** Lists in UTF-8 byte order (see the module comment). */
export function listBlobs(container: ContainerClient, options: ListBlobsOptions): AsyncIterable<Entry> {
  return toUtf8Order(listPages(container, options));
}

/** Index of the first UTF-16 surrogate in `s`, or -1. */
function firstSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return i;
  }
  return -1;
}

/**
 * Reorders a listing sorted in UTF-16 order (or already in UTF-8 order) into
 * UTF-8 byte order. A key x with its first surrogate at index s can only be
 * overtaken (in UTF-8 order) by a later key sharing x's first s characters;
 * once a key arrives that does not share them, no later one can, so x and
 * everything held with it are released, sorted. Memory is bounded by the
 * number of keys that share such a prefix.
 */
export async function* toUtf8Order(entries: AsyncIterable<Entry>): AsyncGenerator<Entry> {
  let held: Entry[] = [];
  let guards = new Set<string>();
  for await (const entry of entries) {
    if (held.length > 0 && [...guards].some((g) => entry.key.startsWith(g))) {
      held.push(entry);
    } else {
      if (held.length > 0) {
        held.sort((a, z) => compareKeys(a.key, z.key));
        yield* held;
        held = [];
        guards = new Set();
      }
      const s = firstSurrogate(entry.key);
      if (s === -1) {
        yield entry;
        continue;
      }
      held.push(entry);
    }
    const s = firstSurrogate(entry.key);
    if (s !== -1) guards.add(entry.key.slice(0, s));
  }
  held.sort((a, z) => compareKeys(a.key, z.key));
  yield* held;
}
