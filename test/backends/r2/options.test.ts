import { afterEach, describe, expect, it } from 'vitest';
import { r2, r2Endpoint } from '../../../src/backends/r2/index.js';
import { isStorageError } from '../../../src/core/errors.js';

const creds = { accessKeyId: 'AKIDR2', secretAccessKey: 'r2-secret-value' };
const accountId = '0123456789abcdef0123456789abcdef';

describe('r2 options', () => {
  afterEach(() => {
    delete process.env.R2_ACCESS_KEY_ID;
    delete process.env.R2_SECRET_ACCESS_KEY;
  });

  it('builds the account endpoint, region auto, kind r2 and the r2 provider', () => {
    const backend = r2({ accountId, bucket: 'assets', ...creds });
    expect(backend.kind).toBe('r2');
    expect(backend.options).toMatchObject({
      provider: 'r2',
      region: 'auto',
      endpoint: `https://${accountId}.r2.cloudflarestorage.com`,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    expect(backend.capabilities.versioning).toBe(false);
    expect(backend.capabilities.conditionalWrite).toBe(true);
  });

  it('uses the jurisdiction subdomain, or an explicit endpoint', () => {
    expect(r2Endpoint(accountId, 'eu')).toBe(`https://${accountId}.eu.r2.cloudflarestorage.com`);
    expect(r2Endpoint(accountId, 'fedramp')).toBe(`https://${accountId}.fedramp.r2.cloudflarestorage.com`);
    expect(r2({ accountId, bucket: 'assets', jurisdiction: 'eu', ...creds }).options.endpoint).toBe(
      `https://${accountId}.eu.r2.cloudflarestorage.com`,
    );
    expect(
      r2({ accountId, bucket: 'assets', endpoint: 'http://127.0.0.1:9', ...creds }).options.endpoint,
    ).toBe('http://127.0.0.1:9');
  });

  it('takes credentials from R2_ACCESS_KEY_ID / R2_SECRET_ACCESS_KEY', () => {
    process.env.R2_ACCESS_KEY_ID = 'env-id';
    process.env.R2_SECRET_ACCESS_KEY = 'env-secret';
    expect(r2({ accountId, bucket: 'assets' }).options.credentials).toEqual({
      accessKeyId: 'env-id',
      secretAccessKey: 'env-secret',
    });
  });

  it('fails with InvalidConfig without credentials, and never echoes a secret', () => {
    let error: unknown;
    try {
      r2({ accountId, bucket: 'assets' });
    } catch (e) {
      error = e;
    }
    expect(isStorageError(error, 'InvalidConfig')).toBe(true);
    expect(String((error as Error).message)).toMatch(/R2_ACCESS_KEY_ID/);
    try {
      r2({ accountId: 'bad id!', bucket: 'assets', ...creds });
    } catch (e) {
      error = e;
    }
    expect(isStorageError(error, 'InvalidConfig')).toBe(true);
    expect(JSON.stringify(error)).not.toContain('r2-secret-value');
  });

  it('rejects SSE-KMS, SSE-S3, ACLs and versioning with Unsupported; allows SSE-C', () => {
    const base = { accountId, bucket: 'assets', ...creds };
    for (const extra of [
      { encryption: { type: 'SSE-KMS' as const, keyId: 'k' } },
      { encryption: { type: 'SSE-S3' as const } },
      { acl: 'public-read' },
      { versioning: true },
    ]) {
      expect(() => r2({ ...base, ...extra })).toThrow(expect.objectContaining({ code: 'Unsupported' }));
    }
    expect(r2({ ...base, encryption: { type: 'SSE-C', customerKey: 'k'.repeat(32) } }).kind).toBe('r2');
  });

  it('rejects reads of versions (no versioning capability)', async () => {
    const backend = r2({ accountId, bucket: 'assets', ...creds });
    await expect(backend.read('a', { version: 'v1' })).rejects.toSatisfy((e) =>
      isStorageError(e, 'Unsupported'),
    );
  });
});
