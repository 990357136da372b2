/** The in-memory object table behind the memory backend. */
import type { ObjectInfo } from '../../core/backend.js';

/** One stored object: its bytes and its info. */
export interface StoredObject {
  data: Uint8Array;
  info: ObjectInfo;
}

/** A named set of objects; named stores are shared within the process. */
export type ObjectTable = Map<string, StoredObject>;

const namedTables = new Map<string, ObjectTable>();

/** The table for `name` (shared by every `memory({ name })` of the process), or a fresh one. */
export function tableFor(name: string | undefined): ObjectTable {
  if (name === undefined) return new Map();
  let table = namedTables.get(name);
  if (table === undefined) {
    table = new Map();
    namedTables.set(name, table);
  }
  return table;
}

/** Deep copy of a table (bytes and info), for snapshots. */
export function cloneTable(table: ObjectTable): ObjectTable {
  const copy: ObjectTable = new Map();
  for (const [key, object] of table) copy.set(key, cloneObject(object));
  return copy;
}

/** Deep copy of one object. */
export function cloneObject(object: StoredObject): StoredObject {
  return { data: object.data.slice(), info: cloneInfo(object.info) };
}

/** Copy of an object's info (dates and maps copied, so callers cannot change what is stored). */
export function cloneInfo(info: ObjectInfo): ObjectInfo {
  return {
    ...info,
    lastModified: new Date(info.lastModified),
    metadata: { ...info.metadata },
    ...(info.checksums ? { checksums: { ...info.checksums } } : {}),
  };
}
