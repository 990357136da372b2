/** Copies of object info for backends and middleware that hold infos of their own. */
import type { ObjectInfo } from './backend.js';

/** A copy of an object's info (date, metadata and checksums copied), so callers cannot change what is held. */
export function cloneInfo(info: ObjectInfo): ObjectInfo {
  return {
    ...info,
    lastModified: new Date(info.lastModified),
    metadata: { ...info.metadata },
    ...(info.checksums ? { checksums: { ...info.checksums } } : {}),
  };
}
