/**
 * When two gcs backends may copy between their buckets inside GCS (the
 * `serverSideCopyTo` hook of `copy` and `migrate`): only when both reach GCS
 * the same way, so that the rewrite one of them sends is authorised exactly
 * as each would be on its own. Anything else could be another project or
 * identity: then the caller streams the bytes.
 */
import type { ResolvedGcsOptions } from './options.js';

/** The parts of the options that decide which service and identity a backend uses. */
type Connection = Pick<
  ResolvedGcsOptions,
  'storage' | 'apiEndpoint' | 'projectId' | 'keyFilename' | 'credentials' | 'useAuthWithCustomEndpoint'
>;

/**
 * Whether two backends reach GCS the same way: the same injected `Storage`,
 * or (neither injecting one) the same endpoint, project, key file,
 * credentials (compared by value) and custom-endpoint auth setting. Two
 * backends on Application Default Credentials with the same settings match.
 */
export function sameConnection(a: Connection, b: Connection): boolean {
  if (a.storage !== undefined || b.storage !== undefined) return a.storage === b.storage;
  return (
    endpointOf(a) === endpointOf(b) &&
    a.projectId === b.projectId &&
    a.keyFilename === b.keyFilename &&
    (a.useAuthWithCustomEndpoint ?? false) === (b.useAuthWithCustomEndpoint ?? false) &&
    sameCredentials(a.credentials, b.credentials)
  );
}

function endpointOf(c: Connection): string {
  return (c.apiEndpoint ?? 'https://storage.googleapis.com').replace(/\/+$/, '').toLowerCase();
}

function sameCredentials(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON with object keys sorted, so key order does not matter. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}
