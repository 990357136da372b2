/**
 * Content checks shared by `copy`, `migrate` and `sync`: checksums the
 * listings already carry when both sides share an algorithm, else an MD5 of
 * the bytes read back. Reading back costs one full download per side, which
 * is why `compare: 'checksum'` and `verify: 'checksum'` are opt-in.
 */
import { createHash } from 'node:crypto';
import type { ObjectInfo, StorageBackend } from '../core/backend.js';

/** Checksum algorithms that backends report, in order of preference. */
const ALGORITHMS = ['sha256', 'md5', 'crc32c'] as const;

/** The checksum both objects carry for the same algorithm, if any. */
export function commonChecksum(
  a: Pick<ObjectInfo, 'checksums'>,
  b: Pick<ObjectInfo, 'checksums'>,
): { algorithm: string; a: string; b: string } | undefined {
  for (const algorithm of ALGORITHMS) {
    const x = a.checksums?.[algorithm];
    const y = b.checksums?.[algorithm];
    if (x !== undefined && y !== undefined) return { algorithm, a: x, b: y };
  }
  return undefined;
}

/** MD5 (base64) of an object's bytes, streamed. */
export async function md5Of(backend: StorageBackend, key: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of await backend.stream(key, { signal })) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

/**
 * Whether two objects have the same content: equal sizes, then a common
 * listed checksum, else both read back and hashed. `knownMd5` of the first
 * object (hashed while copying) saves one read.
 */
export async function sameContent(
  a: { backend: StorageBackend; info: ObjectInfo; knownMd5?: string },
  b: { backend: StorageBackend; info: ObjectInfo },
  signal?: AbortSignal,
): Promise<boolean> {
  if (a.info.size !== b.info.size) return false;
  const common = commonChecksum(a.info, b.info);
  if (common !== undefined) return common.a === common.b;
  if (a.knownMd5 !== undefined && b.info.checksums?.md5 !== undefined)
    return a.knownMd5 === b.info.checksums.md5;
  const [x, y] = await Promise.all([
    a.knownMd5 ?? a.info.checksums?.md5 ?? md5Of(a.backend, a.info.key, signal),
    b.info.checksums?.md5 ?? md5Of(b.backend, b.info.key, signal),
  ]);
  return x === y;
}
