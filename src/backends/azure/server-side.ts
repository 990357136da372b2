/**
 * When two azure backends may copy between their containers inside the
 * service (the `serverSideCopyTo` hook of `copy` and `migrate`): same
 * account on the same endpoint, and a source the service can read for the
 * target's copy request. Anything else: the caller streams the bytes.
 */
import type { AzureConnection } from './client.js';
import type { AzureAccountOptions } from './options.js';

/**
 * Whether `target` can copy from `source` by URL: the same account name on
 * the same service URL, and a way for the service to read the source:
 * a read SAS this side signs with its account key, the SAS it already holds,
 * or (Entra ID) the very same credential object on both sides, so the
 * identity that writes the target is the one allowed to read the source.
 */
export function sameAccount(
  source: AzureConnection,
  target: AzureConnection,
  sourceOptions: AzureAccountOptions,
  targetOptions: AzureAccountOptions,
): boolean {
  if (serviceUrl(source) !== serviceUrl(target)) return false;
  if (source.service.accountName !== target.service.accountName) return false;
  if (source.sharedKey !== undefined || source.sas) return true;
  return (
    source.tokenCredential &&
    target.tokenCredential &&
    sourceOptions.credential !== undefined &&
    sourceOptions.credential === targetOptions.credential
  );
}

/** The service URL without its query (a SAS) and trailing slash, host lower-cased. */
function serviceUrl(connection: AzureConnection): string {
  const url = new URL(connection.service.url);
  return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}`;
}
