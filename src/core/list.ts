/** Listing helpers shared by backends that lack a native delimiter. */
import type { Entry } from './backend.js';

/**
 * Turns a recursive listing (sorted in UTF-8 byte order) into a
 * `recursive: false` one: objects directly under `prefix`, and one `prefix`
 * entry for each folder, at the position of its first key. Sorted input gives
 * sorted output, since a folder `p/` sorts before every key under it.
 */
export async function* groupByDelimiter(entries: AsyncIterable<Entry>, prefix: string): AsyncIterable<Entry> {
  let lastFolder: string | undefined;
  for await (const entry of entries) {
    const rest = entry.key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash === -1) {
      yield entry;
      continue;
    }
    const folder = prefix + rest.slice(0, slash + 1);
    if (folder !== lastFolder) {
      lastFolder = folder;
      yield { type: 'prefix', key: folder };
    }
  }
}
