/** Option validation of `azure()` and the capabilities derived from the auth options. */
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { azure, azureOptionsSchema } from '../../../src/backends/azure/index.js';
import { decodeMetadataName, encodeMetadataName } from '../../../src/backends/azure/info.js';
import { isStorageError } from '../../../src/core/errors.js';

const KEY = Buffer.from('k'.repeat(64)).toString('base64');

function invalid(options: unknown): string {
  try {
    azure(options as never);
  } catch (e) {
    expect(isStorageError(e, 'InvalidConfig')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected InvalidConfig');
}

describe('azure() options', () => {
  it('is synchronous and accepts each auth style', () => {
    const fakeCredential = {
      getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }),
    };
    expect(azure({ container: 'media', accountName: 'acct', accountKey: KEY }).kind).toBe('azure');
    expect(azure({ container: 'media', accountName: 'acct', sasToken: '?sv=2024&sig=x' }).kind).toBe('azure');
    expect(azure({ container: 'media', accountName: 'acct', credential: fakeCredential }).kind).toBe('azure');
    expect(azure({ container: 'media', connectionString: 'UseDevelopmentStorage=true' }).kind).toBe('azure');
    expect(azure({ container: 'media', accountName: 'acct' }).kind).toBe('azure'); // DefaultAzureCredential
  });

  it('names each problem by its path', () => {
    expect(invalid({})).toMatch(/container/);
    expect(invalid({ container: 'UPPER', accountName: 'acct', accountKey: KEY })).toMatch(/container:/);
    expect(invalid({ container: 'ab', accountName: 'acct', accountKey: KEY })).toMatch(/container:/);
    expect(invalid({ container: 'media' })).toMatch(/accountName: required/);
    expect(invalid({ container: 'media', accountKey: KEY, endpoint: 'http://127.0.0.1:1/x' })).toMatch(
      /accountName/,
    );
    expect(invalid({ container: 'media', accountName: 'acct', accountKey: KEY, sasToken: 'sv=1' })).toMatch(
      /only one/,
    );
    expect(invalid({ container: 'media', connectionString: 'x=y', accountName: 'acct' })).toMatch(
      /either connectionString/,
    );
    expect(invalid({ container: 'media', accountName: 'Not_Valid' })).toMatch(/accountName/);
    expect(invalid({ container: 'media', accountName: 'acct', credential: {} })).toMatch(/credential/);
    expect(invalid({ container: 'media', accountName: 'acct', customerProvidedKey: 'c2hvcnQ=' })).toMatch(
      /customerProvidedKey/,
    );
    expect(invalid({ container: 'media', accountName: 'acct', concurrency: 0 })).toMatch(/concurrency/);
    expect(invalid({ container: 'media', accountName: 'acct', blockSize: '5GiB' })).toMatch(/blockSize/);
    expect(invalid({ container: 'media', accountName: 'acct', bucket: 'x' })).toMatch(
      /unknown option\(s\) `bucket`/,
    );
    expect(invalid({ container: 'media', accountName: 'acct', prefix: 'a/../b' })).toMatch(/prefix/);
  });

  it('exports the schema', () => {
    expect(
      azureOptionsSchema.safeParse({ container: 'media', accountName: 'acct', accountKey: KEY }).success,
    ).toBe(true);
  });

  it('declares presign only when it can sign (account key or Entra ID), never with a bare SAS', () => {
    const credential = { getToken: async () => null };
    expect(azure({ container: 'media', accountName: 'acct', accountKey: KEY }).capabilities.presign).toBe(
      true,
    );
    expect(azure({ container: 'media', accountName: 'acct', credential }).capabilities.presign).toBe(true);
    expect(
      azure({ container: 'media', accountName: 'acct', sasToken: 'sv=1&sig=x' }).capabilities.presign,
    ).toBe(false);
    expect(
      azure({
        container: 'media',
        connectionString: `AccountName=acct;AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:1/acct`,
      }).capabilities.presign,
    ).toBe(true);
    expect(
      azure({
        container: 'media',
        connectionString: 'BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=1&sig=x',
      }).capabilities.presign,
    ).toBe(false);
    const client = new BlobServiceClient(
      'http://127.0.0.1:1/acct',
      new StorageSharedKeyCredential('acct', KEY),
    );
    expect(azure({ container: 'media', client }).capabilities.presign).toBe(true);
  });

  it('declares versioning only when asked, and a smaller key budget under a prefix', () => {
    expect(azure({ container: 'media', accountName: 'acct' }).capabilities.versioning).toBe(false);
    expect(azure({ container: 'media', accountName: 'acct', versioning: true }).capabilities.versioning).toBe(
      true,
    );
    expect(
      azure({ container: 'media', accountName: 'acct', prefix: 'tenant' }).capabilities.maxKeyBytes,
    ).toBe(1024 - 7);
  });

  it('a storage class outside the Azure tiers rejects with InvalidArgument before any request', async () => {
    const backend = azure({
      container: 'media',
      connectionString: `DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:9/acct`,
    });
    const error = await backend.write('a.txt', 'x', { storageClass: 'GLACIER' }).catch((e: unknown) => e);
    expect(isStorageError(error, 'InvalidArgument')).toBe(true);
    expect((error as Error).message).toMatch(/Hot, Cool, Cold or Archive/);
  });
});

describe('customer-provided keys', () => {
  it('are refused over http with InvalidConfig, before any request', async () => {
    const backend = azure({
      container: 'media',
      connectionString: `DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:9/acct`,
      customerProvidedKey: Buffer.alloc(32, 7).toString('base64'),
    });
    const error = await backend.write('a.txt', 'x').catch((e: unknown) => e);
    expect(isStorageError(error, 'InvalidConfig')).toBe(true);
    expect((error as Error).message).toMatch(/https/);
  });
});

describe('metadata names', () => {
  it('keeps identifiers and encodes everything else reversibly into identifiers', () => {
    for (const name of [
      'owner',
      'content_hash',
      'content-hash',
      'x.y',
      '1abc',
      '_lead',
      'stw_trap',
      'a-b_c',
      'a~b!',
    ]) {
      const stored = encodeMetadataName(name);
      expect(stored).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(decodeMetadataName(stored)).toBe(name);
    }
    expect(encodeMetadataName('owner')).toBe('owner');
    expect(encodeMetadataName('content-hash')).toBe('stw_content_2dhash');
  });
});
