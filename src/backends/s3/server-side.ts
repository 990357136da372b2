/**
 * Server-side copy between two S3 backends (the `serverSideCopyTo` hook that
 * `copy` and `migrate` call): used only when both are reached with the same
 * connection, so the service itself can read the source and write the target
 * and no byte passes through this process.
 */
import type { ObjectInfo, ServerSideCopyOptions, StorageBackend } from '../../core/backend.js';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import { assertKey } from '../../core/keys.js';
import { S3Backend } from './backend.js';
import { copyError, copyObject } from './copy.js';
import type { ResolvedConnection } from './options.js';

/**
 * Whether two backends reach S3 the same way: the same injected client, or
 * (neither injecting one) the same provider, endpoint, region, path style and
 * credentials (static ones by value, a provider function, profile or role by
 * identity). Anything else could be another account: then no server-side copy.
 */
export function sameConnection(a: ResolvedConnection, b: ResolvedConnection): boolean {
  if (a.client !== undefined || b.client !== undefined) return a.client === b.client;
  return (
    a.provider === b.provider &&
    a.endpoint === b.endpoint &&
    a.region === b.region &&
    a.forcePathStyle === b.forcePathStyle &&
    a.profile === b.profile &&
    sameCredentials(a.credentials, b.credentials) &&
    JSON.stringify(a.assumeRole ?? null) === JSON.stringify(b.assumeRole ?? null)
  );
}

function sameCredentials(
  a: ResolvedConnection['credentials'],
  b: ResolvedConnection['credentials'],
): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object') return false; // functions: by identity only
  return (
    a.accessKeyId === b.accessKeyId &&
    a.secretAccessKey === b.secretAccessKey &&
    a.sessionToken === b.sessionToken
  );
}

/**
 * Copies `fromKey` of `source` to `toKey` of `target` inside S3 when both are
 * S3 backends on the same connection; `undefined` otherwise (the caller then
 * streams). `ifNotExists` needs conditional writes on the target, else
 * `undefined` too (the streamed write reports `Unsupported`).
 */
export async function serverSideCopy(
  source: S3Backend,
  target: StorageBackend,
  fromKey: string,
  toKey: string,
  options: ServerSideCopyOptions,
): Promise<ObjectInfo | undefined> {
  if (!(target instanceof S3Backend) || !sameConnection(source.options, target.options)) return undefined;
  if (options.ifNotExists && !target.capabilities.conditionalWrite) return undefined;
  assertKey(fromKey, 'copy');
  assertKey(toKey, 'copy');
  throwIfAborted(options.signal, 'copy', fromKey);
  const copyOptions = { signal: options.signal, ifNotExists: options.ifNotExists ?? false };
  if (target === source) return source.copy(fromKey, toKey, copyOptions);
  const session = await target.connect();
  try {
    return await copyObject(target, session, fromKey, toKey, copyOptions, source);
  } catch (e) {
    if (options.signal?.aborted && !(e instanceof StorageError && e.code === 'Aborted')) {
      throw new StorageError('Aborted', 'copy was aborted', {
        backend: target.kind,
        operation: 'copy',
        key: fromKey,
        cause: options.signal.reason,
      });
    }
    throw copyError(e, target, fromKey, toKey, copyOptions);
  }
}
