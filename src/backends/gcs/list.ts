/**
 * Listing with GCS pages, in UTF-8 byte order, folders merged in place.
 *
 * GCS returns a page's objects (`items`) and folders (`prefixes`) apart; both
 * are sorted, and on real GCS a page covers one contiguous run of names, so
 * merging each page is enough. fake-gcs-server instead returns every folder
 * after the page start on every page (its `maxResults` only limits objects),
 * so folders past the page's last object are held back until a later page
 * (or the end) reaches them, and duplicates are dropped. That is correct for
 * both, and holds back at most one page of folders on real GCS.
 *
 * A token that repeats, or pages that make no progress, stop the listing
 * with an error instead of looping or silently truncating.
 */
import type { Bucket, FileMetadata, GetFilesOptions } from '@google-cloud/storage';
import type { Entry } from '../../core/backend.js';
import type { ResolvedListOptions } from '../../core/base.js';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import { compareKeys } from '../../core/keys.js';
import { toObjectInfo } from './info.js';

/** GCS's largest page. */
const MAX_PAGE = 1000;
/** Pages in a row that may bring nothing new before the listing is declared stuck. */
const MAX_IDLE_PAGES = 3;

interface ListPage {
  items: FileMetadata[];
  prefixes: string[];
  nextPageToken: string | undefined;
}

/** Fetches one page (the backend maps errors). */
export async function fetchPage(bucket: Bucket, query: GetFilesOptions): Promise<ListPage> {
  const [files, nextQuery, response] = await bucket.getFiles({ ...query, autoPaginate: false });
  const raw = response as { items?: FileMetadata[]; prefixes?: string[]; nextPageToken?: string } | undefined;
  const items = raw?.items ?? files.map((f) => f.metadata);
  const token = (nextQuery as { pageToken?: string } | null | undefined)?.pageToken ?? raw?.nextPageToken;
  return { items, prefixes: raw?.prefixes ?? [], nextPageToken: token || undefined };
}

/** Lists `prefix` (a full object-name prefix, backend prefix included). */
export async function* listObjects(
  bucket: Bucket,
  rootPrefix: string,
  prefix: string,
  options: ResolvedListOptions,
  settings: { withVersion: boolean; userProject?: string },
): AsyncGenerator<Entry> {
  const fullPrefix = rootPrefix + prefix;
  const query: GetFilesOptions = {
    prefix: fullPrefix,
    maxResults: Math.min(options.pageSize ?? MAX_PAGE, MAX_PAGE),
  };
  if (!options.recursive) query.delimiter = '/';
  if (settings.userProject !== undefined) query.userProject = settings.userProject;
  if (options.startAfter !== undefined && compareKeys(options.startAfter, prefix) > 0) {
    // startOffset is inclusive; the base drops the key equal to startAfter.
    query.startOffset = rootPrefix + options.startAfter;
  }

  let lastYielded: string | undefined;
  let held: string[] = [];
  let previousToken: string | undefined;
  let idlePages = 0;
  for (;;) {
    throwIfAborted(options.signal, 'list');
    const page = await fetchPage(bucket, query);
    const hasMore = page.nextPageToken !== undefined;
    const items = page.items.filter((m) => typeof m.name === 'string' && !String(m.name).endsWith('/'));
    const lastItem = items.length > 0 ? String(items[items.length - 1]!.name) : undefined;
    // Folders known so far, deduplicated and sorted.
    const folders = [...new Set([...held, ...page.prefixes])].sort(compareKeys);
    const ready: string[] = [];
    held = [];
    for (const folder of folders) {
      if (hasMore && lastItem !== undefined && compareKeys(folder, lastItem) > 0) held.push(folder);
      else ready.push(folder);
    }

    let progressed = false;
    let i = 0;
    let j = 0;
    while (i < items.length || j < ready.length) {
      const item = items[i];
      const folder = ready[j];
      const takeFolder =
        item === undefined || (folder !== undefined && compareKeys(folder, String(item.name)) < 0);
      const name = takeFolder ? folder! : String(item!.name);
      if (takeFolder) j++;
      else i++;
      if (lastYielded !== undefined && compareKeys(name, lastYielded) <= 0) continue;
      lastYielded = name;
      progressed = true;
      const key = name.slice(rootPrefix.length);
      if (takeFolder) yield { type: 'prefix', key };
      else yield { type: 'object', ...toObjectInfo(item!, rootPrefix, settings.withVersion) };
    }

    if (!hasMore) {
      for (const folder of held) {
        if (lastYielded === undefined || compareKeys(folder, lastYielded) > 0) {
          lastYielded = folder;
          yield { type: 'prefix', key: folder.slice(rootPrefix.length) };
        }
      }
      return;
    }
    if (page.nextPageToken === previousToken) {
      throw new StorageError(
        'Unavailable',
        'GCS returned the same page token twice; the listing was stopped rather than loop. Retry the listing.',
      );
    }
    idlePages = progressed ? 0 : idlePages + 1;
    if (idlePages > MAX_IDLE_PAGES) {
      throw new StorageError(
        'Unavailable',
        'GCS kept returning pages with nothing new; the listing was stopped rather than loop. Retry the listing.',
      );
    }
    previousToken = page.nextPageToken;
    query.pageToken = page.nextPageToken;
  }
}
