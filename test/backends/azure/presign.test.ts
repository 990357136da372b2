/**
 * SAS signing without a service: account-key SAS fields, and user-delegation
 * SAS with an Entra ID credential (the delegation key is fetched once and
 * reused while it covers the requested lifetime). Fetching presigned URLs
 * against Azurite is in features.test.ts.
 */
import * as sdk from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import type { AzureConnection } from '../../../src/backends/azure/client.js';
import { SasSigner } from '../../../src/backends/azure/presign.js';

const KEY = Buffer.alloc(64, 3).toString('base64');

function blobClient(url = 'https://acct.blob.core.windows.net/media/a%20b/c.txt'): sdk.BlobClient {
  return new sdk.BlobClient(url);
}

describe('SasSigner', () => {
  it('signs with the account key: read for GET, create+write for PUT, with the blob type header', async () => {
    const sharedKey = new sdk.StorageSharedKeyCredential('acct', KEY);
    const connection = {
      service: new sdk.BlobServiceClient('https://acct.blob.core.windows.net', sharedKey),
      sharedKey,
      sas: false,
      tokenCredential: false,
    } as AzureConnection;
    const signer = new SasSigner(sdk, connection);
    const get = await signer.presign(blobClient(), { method: 'GET', expiresIn: 900 });
    const url = new URL(get.url);
    expect(url.pathname).toBe('/media/a%20b/c.txt');
    expect(url.searchParams.get('sp')).toBe('r');
    expect(url.searchParams.get('sr')).toBe('b');
    expect(url.searchParams.get('spr')).toBe('https');
    expect(url.searchParams.get('sig')).toBeTruthy();
    expect(Math.abs(get.expiresAt.getTime() - (Date.now() + 900_000))).toBeLessThan(5000);
    expect(new Date(url.searchParams.get('st')!).getTime()).toBeLessThan(Date.now() - 4 * 60_000);

    const put = await signer.presign(blobClient(), {
      method: 'PUT',
      expiresIn: 60,
      contentType: 'image/png',
    });
    expect(new URL(put.url).searchParams.get('sp')).toBe('cw');
    expect(put.headers).toEqual({ 'x-ms-blob-type': 'BlockBlob', 'content-type': 'image/png' });
  });

  it('signs with a user-delegation key under Entra ID, fetched once while it covers the lifetime', async () => {
    const calls: [Date, Date][] = [];
    const service = {
      accountName: 'acct',
      getUserDelegationKey: async (startsOn: Date, expiresOn: Date) => {
        calls.push([startsOn, expiresOn]);
        return {
          signedObjectId: '11111111-1111-1111-1111-111111111111',
          signedTenantId: '22222222-2222-2222-2222-222222222222',
          signedStartsOn: startsOn,
          signedExpiresOn: expiresOn,
          signedService: 'b',
          signedVersion: '2025-01-05',
          value: KEY,
        };
      },
    };
    const signer = new SasSigner(sdk, {
      service: service as unknown as sdk.BlobServiceClient,
      sas: false,
      tokenCredential: true,
    });
    const first = new URL((await signer.presign(blobClient(), { method: 'GET', expiresIn: 600 })).url);
    expect(first.searchParams.get('skoid')).toBe('11111111-1111-1111-1111-111111111111');
    expect(first.searchParams.get('sktid')).toBe('22222222-2222-2222-2222-222222222222');
    expect(first.searchParams.get('sig')).toBeTruthy();
    await signer.presign(blobClient(), { method: 'PUT', expiresIn: 1200 });
    expect(calls).toHaveLength(1);
    // A longer lifetime than the cached key covers fetches a new key (capped at 7 days)...
    const week = await signer.presign(blobClient(), { method: 'GET', expiresIn: 7 * 24 * 3600 });
    expect(calls).toHaveLength(2);
    expect(calls[1]![1].getTime() - Date.now()).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
    // ...and the URL does not outlive the key.
    expect(week.expiresAt.getTime()).toBeLessThanOrEqual(calls[1]![1].getTime());
    await signer.presign(blobClient(), { method: 'GET', expiresIn: 7 * 24 * 3600 });
    expect(calls).toHaveLength(2);
  });

  it('refuses to sign with neither an account key nor a credential', async () => {
    const signer = new SasSigner(sdk, {
      service: new sdk.BlobServiceClient('https://acct.blob.core.windows.net?sv=1&sig=x'),
      sas: true,
      tokenCredential: false,
    });
    await expect(signer.presign(blobClient(), { method: 'GET', expiresIn: 60 })).rejects.toMatchObject({
      code: 'Unsupported',
    });
  });
});
