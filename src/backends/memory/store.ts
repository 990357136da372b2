/** The in-memory object table behind the memory backend. */
import type { ObjectInfo } from '../../core/backend.js';
import { cloneInfo } from '../../core/info.js';
import { compareKeys } from '../../core/keys.js';

/** One stored object: its bytes and its info. */
export interface StoredObject {
  data: Uint8Array;
  info: ObjectInfo;
}

/**
 * A set of objects, shared by every backend over the same named store: the
 * sorted key list and the byte total live here, not in a backend, so a write
 * through one backend is seen by every other's listing at once.
 */
export class ObjectTable extends Map<string, StoredObject> {
  private sortedKeys: string[] | undefined;
  /** Bytes of object data held. */
  totalBytes = 0;

  override set(key: string, object: StoredObject): this {
    const previous = super.get(key);
    if (previous === undefined) this.sortedKeys = undefined;
    this.totalBytes += object.data.byteLength - (previous?.data.byteLength ?? 0);
    return super.set(key, object);
  }

  override delete(key: string): boolean {
    const previous = super.get(key);
    if (previous === undefined) return false;
    this.totalBytes -= previous.data.byteLength;
    this.sortedKeys = undefined;
    return super.delete(key);
  }

  override clear(): void {
    super.clear();
    this.totalBytes = 0;
    this.sortedKeys = undefined;
  }

  /** Keys in UTF-8 byte order (cached until a key is added or removed). */
  sorted(): string[] {
    this.sortedKeys ??= [...this.keys()].sort(compareKeys);
    return this.sortedKeys;
  }
}

const namedTables = new Map<string, ObjectTable>();

/** The table for `name` (shared by every `memory({ name })` of the process), or a fresh one. */
export function tableFor(name: string | undefined): ObjectTable {
  if (name === undefined) return new ObjectTable();
  let table = namedTables.get(name);
  if (table === undefined) {
    table = new ObjectTable();
    namedTables.set(name, table);
  }
  return table;
}

/** Deep copy of a table (bytes and info), for snapshots. */
export function cloneTable(table: ObjectTable): ObjectTable {
  const copy = new ObjectTable();
  for (const [key, object] of table) copy.set(key, cloneObject(object));
  return copy;
}

/** Deep copy of one object. */
export function cloneObject(object: StoredObject): StoredObject {
  return { data: copyBytes(object.data), info: cloneInfo(object.info) };
}

/**
 * A copy of `bytes` (or of `start..end`). `Buffer#slice` is a view, not a
 * copy, so a caller's Buffer would otherwise alias the stored object.
 */
export function copyBytes(bytes: Uint8Array, start?: number, end?: number): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes, start, end);
}
