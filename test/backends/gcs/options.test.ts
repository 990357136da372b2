/** gcs() options: validation with InvalidConfig, defaults, and the missing-SDK message. */
import { describe, expect, it, vi } from 'vitest';
import { GCS_CAPABILITIES, gcs, gcsOptionsSchema } from '../../../src/backends/gcs/index.js';
import { isStorageError } from '../../../src/core/errors.js';

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isStorageError(e, 'InvalidConfig')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected InvalidConfig');
}

describe('gcs options', () => {
  it('accepts a bucket alone and is synchronous (no SDK loaded, no request sent)', () => {
    const backend = gcs({ bucket: 'my-bucket' });
    expect(backend.kind).toBe('gcs');
    expect(backend.bucketName).toBe('my-bucket');
    expect(backend.capabilities).toBe(GCS_CAPABILITIES);
    expect(backend.capabilities.versioning).toBe(false);
  });

  it('declares versioning only when the bucket is said to have it', () => {
    expect(gcs({ bucket: 'my-bucket', versioning: true }).capabilities.versioning).toBe(true);
    // URL query parameters arrive as strings.
    expect(gcs({ bucket: 'my-bucket', versioning: 'true' as never }).capabilities.versioning).toBe(true);
  });

  it('rejects a missing or malformed bucket with the option path', () => {
    expect(configError(() => gcs({} as never))).toMatch(/\[gcs\].*bucket/);
    expect(configError(() => gcs({ bucket: 'Bad_Bucket!' }))).toMatch(/bucket: must be a GCS bucket name/);
  });

  it('rejects unknown options, bad sizes and part sizes that are not multiples of 256 KiB', () => {
    expect(configError(() => gcs({ bucket: 'b-1', bukcet: 'x' } as never))).toMatch(/unknown option.*bukcet/);
    expect(configError(() => gcs({ bucket: 'b-1', partSize: 'huge' }))).toMatch(/partSize/);
    expect(configError(() => gcs({ bucket: 'b-1', partSize: 1000 }))).toMatch(/multiple of 256 KiB/);
    expect(configError(() => gcs({ bucket: 'b-1', apiEndpoint: 'not a url' }))).toMatch(/apiEndpoint/);
    expect(configError(() => gcs({ bucket: 'b-1', validation: 'sha1' as never }))).toMatch(/validation/);
  });

  it('refuses keyFilename with credentials, and connection options with an injected client', () => {
    expect(
      configError(() =>
        gcs({ bucket: 'b-1', keyFilename: '/k.json', credentials: { type: 'service_account' } }),
      ),
    ).toMatch(/credentials: give `keyFilename` or `credentials`, not both/);
    const storage = { bucket: () => ({}) } as never;
    expect(configError(() => gcs({ bucket: 'b-1', storage, projectId: 'p' }))).toMatch(
      /projectId: cannot be combined/,
    );
  });

  it('never echoes a secret from the options in its message', () => {
    const secret = '-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----';
    const message = configError(() =>
      gcs({ bucket: 'b-1', credentials: { private_key: secret }, keyFilename: 5 as never }),
    );
    expect(message).not.toContain('SECRETSECRET');
  });

  it('exports the zod schema', () => {
    expect(gcsOptionsSchema.safeParse({ bucket: 'ok-bucket', prefix: 'p/' }).success).toBe(true);
  });
});

describe('without @google-cloud/storage installed', () => {
  it('the first operation rejects with InvalidConfig naming the package', async () => {
    vi.resetModules();
    vi.doMock('@google-cloud/storage', () => {
      throw Object.assign(new Error("Cannot find package '@google-cloud/storage'"), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    });
    try {
      const { gcs: fresh } = await import('../../../src/backends/gcs/index.js');
      const backend = fresh({ bucket: 'b-1', apiEndpoint: 'http://127.0.0.1:9' });
      const error = await backend.stat('x').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isStorageError(error, 'InvalidConfig')).toBe(true);
      expect((error as Error).message).toMatch(/npm install @google-cloud\/storage/);
    } finally {
      vi.doUnmock('@google-cloud/storage');
      vi.resetModules();
    }
  });
});
