/**
 * SAS URLs for one blob: signed with the account key when it is known, else
 * with a user-delegation key obtained through the Entra ID credential (valid
 * up to 7 days, cached while it has more than the requested lifetime left).
 */
import type { BlobClient, UserDelegationKey } from '@azure/storage-blob';
import type { PresignedRequest } from '../../core/backend.js';
import type { ResolvedPresignOptions } from '../../core/base.js';
import { StorageError } from '../../core/errors.js';
import type { AzureConnection, AzureSdk } from './client.js';

/** Clock skew allowed for: URLs are valid from this long before now. */
const SKEW_MS = 5 * 60 * 1000;
const MAX_DELEGATION_MS = 7 * 24 * 3600 * 1000;

/** Signs SAS URLs for one connection. */
export class SasSigner {
  private delegation: { key: UserDelegationKey; expiresOn: Date } | undefined;

  constructor(
    private readonly sdk: AzureSdk,
    private readonly connection: AzureConnection,
  ) {}

  /** Whether this connection can sign at all. */
  static canSign(connection: { sharedKey?: unknown; tokenCredential: boolean }): boolean {
    return connection.sharedKey !== undefined || connection.tokenCredential;
  }

  /** A SAS query string (no `?`) for `blob` with the given permissions and lifetime. */
  async sas(
    blob: BlobClient,
    permissions: string,
    expiresInSeconds: number,
    signal?: AbortSignal,
  ): Promise<{ query: string; expiresOn: Date }> {
    const now = Date.now();
    const startsOn = new Date(now - SKEW_MS);
    const expiresOn = new Date(now + expiresInSeconds * 1000);
    const values = {
      containerName: blob.containerName,
      blobName: blob.name,
      permissions: this.sdk.BlobSASPermissions.parse(permissions),
      startsOn,
      expiresOn,
      protocol: blob.url.startsWith('https:')
        ? this.sdk.SASProtocol.Https
        : this.sdk.SASProtocol.HttpsAndHttp,
    };
    if (this.connection.sharedKey !== undefined) {
      return {
        query: this.sdk.generateBlobSASQueryParameters(values, this.connection.sharedKey).toString(),
        expiresOn,
      };
    }
    if (this.connection.tokenCredential) {
      const { key, expiresOn: keyExpiresOn } = await this.delegationKey(expiresOn, signal);
      // A user-delegation SAS cannot outlive its key (at most 7 days from now).
      const until = new Date(Math.min(expiresOn.getTime(), keyExpiresOn.getTime()));
      const account = this.connection.service.accountName;
      const query = this.sdk
        .generateBlobSASQueryParameters({ ...values, expiresOn: until }, key, account)
        .toString();
      return { query, expiresOn: until };
    }
    throw new StorageError(
      'Unsupported',
      'Presigned URLs need the account key (accountKey or a connection string with AccountKey) or an Entra ID credential.',
      { backend: 'azure', operation: 'presign' },
    );
  }

  /** A presigned GET or PUT for `blob`. */
  async presign(blob: BlobClient, options: ResolvedPresignOptions): Promise<PresignedRequest> {
    const { query, expiresOn } = await this.sas(
      blob,
      options.method === 'GET' ? 'r' : 'cw',
      options.expiresIn,
    );
    const headers: Record<string, string> = {};
    if (options.method === 'PUT') {
      // Put Blob needs the blob type; a PUT without it is rejected.
      headers['x-ms-blob-type'] = 'BlockBlob';
      if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    }
    return {
      url: `${blob.url.split('?')[0]}?${query}`,
      method: options.method,
      headers,
      expiresAt: expiresOn,
    };
  }

  private async delegationKey(
    until: Date,
    signal?: AbortSignal,
  ): Promise<{ key: UserDelegationKey; expiresOn: Date }> {
    const cached = this.delegation;
    const latest = Date.now() + MAX_DELEGATION_MS - SKEW_MS;
    if (cached !== undefined && cached.expiresOn.getTime() >= Math.min(until.getTime(), latest - 3600_000))
      return cached;
    const startsOn = new Date(Date.now() - SKEW_MS);
    const expiresOn = new Date(Math.min(latest, until.getTime() + 3600_000));
    const key = await this.connection.service.getUserDelegationKey(startsOn, expiresOn, {
      abortSignal: signal,
    });
    this.delegation = { key, expiresOn };
    return this.delegation;
  }
}
