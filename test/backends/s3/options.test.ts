import { describe, expect, it } from 'vitest';
import { PROVIDER_CAPABILITIES, s3 } from '../../../src/backends/s3/index.js';
import { partSizeFor, growingPartSize } from '../../../src/backends/s3/upload.js';
import { isStorageError } from '../../../src/core/errors.js';

function configError(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('s3 options', () => {
  it('defaults: aws provider, 8 MiB parts, threshold = part size, checksums WHEN_SUPPORTED', () => {
    const backend = s3({ bucket: 'my-bucket' });
    expect(backend.kind).toBe('s3');
    expect(backend.options).toMatchObject({
      provider: 'aws',
      partSize: 8 * 2 ** 20,
      multipartThreshold: 8 * 2 ** 20,
      concurrency: 4,
      requestChecksumCalculation: 'WHEN_SUPPORTED',
      forcePathStyle: false,
    });
    expect(backend.capabilities).toEqual({ ...PROVIDER_CAPABILITIES.aws, versioning: false });
    expect(s3({ bucket: 'my-bucket', versioning: true }).capabilities.versioning).toBe(true);
  });

  it('non-AWS providers use WHEN_REQUIRED checksums and path style with an endpoint', () => {
    for (const provider of ['minio', 'generic', 'r2'] as const) {
      const backend = s3({ bucket: 'b-1', provider, endpoint: 'http://127.0.0.1:9000' });
      expect(backend.options.requestChecksumCalculation).toBe('WHEN_REQUIRED');
      expect(backend.options.responseChecksumValidation).toBe('WHEN_REQUIRED');
      expect(backend.options.forcePathStyle).toBe(true);
    }
    expect(s3({ bucket: 'b-1', provider: 'generic' }).capabilities.conditionalWrite).toBe(false);
    expect(
      s3({ bucket: 'b-1', provider: 'generic', capabilities: { conditionalWrite: true } }).capabilities
        .conditionalWrite,
    ).toBe(true);
  });

  it('parses sizes, normalises the prefix, accepts string numbers from URLs', () => {
    const backend = s3({ bucket: 'b-1', prefix: '/a/b', partSize: '16MiB', concurrency: '8' as never });
    expect(backend.options).toMatchObject({ prefix: 'a/b/', partSize: 16 * 2 ** 20, concurrency: 8 });
  });

  it('throws InvalidConfig naming each problem, without echoing secrets', () => {
    const secret = 'very-secret-key-value';
    const e = configError(() =>
      s3({
        bucket: 'Bad_Bucket',
        credentials: { accessKeyId: 'AKID', secretAccessKey: secret, extra: secret } as never,
        provider: 'nope' as never,
      }),
    );
    expect(isStorageError(e, 'InvalidConfig')).toBe(true);
    expect(e.message).toMatch(/bucket/);
    expect(e.message).toMatch(/provider/);
    expect(e.message).not.toContain(secret);
    expect(
      isStorageError(
        configError(() => s3({ bucket: 'b-1', partSize: '1MiB' })),
        'InvalidConfig',
      ),
    ).toBe(true);
    expect(
      isStorageError(
        configError(() => s3({ bucket: 'b-1', nope: 1 } as never)),
        'InvalidConfig',
      ),
    ).toBe(true);
    expect(
      isStorageError(
        configError(() => s3({} as never)),
        'InvalidConfig',
      ),
    ).toBe(true);
    expect(
      isStorageError(
        configError(() => s3({ bucket: 'b-1', assumeRole: { roleArn: 'not-an-arn' } })),
        'InvalidConfig',
      ),
    ).toBe(true);
    expect(
      isStorageError(
        configError(() => s3({ bucket: 'b-1', provider: 'generic', storageClass: 'GLACIER' })),
        'InvalidConfig',
      ),
    ).toBe(true);
  });

  it('grows the part size so an upload never needs more than 10,000 parts', () => {
    const MiB = 2 ** 20;
    expect(partSizeFor(10 * MiB, 8 * MiB)).toBe(8 * MiB);
    const big = 200 * 2 ** 30; // 200 GiB
    const each = partSizeFor(big, 8 * MiB);
    expect(Math.ceil(big / each)).toBeLessThanOrEqual(10_000);
    expect(each % MiB).toBe(0);
    expect(() => partSizeFor(6 * 2 ** 40, 8 * MiB)).toThrow(/5 TiB/);
    expect(growingPartSize(1, 8 * MiB)).toBe(8 * MiB);
    expect(growingPartSize(2001, 8 * MiB)).toBe(16 * MiB);
    let total = 0;
    for (let n = 1; n <= 10_000; n++) total += growingPartSize(n, 5 * MiB);
    expect(total).toBeGreaterThan(100 * 2 ** 30);
  });

  it('does not load the SDK until the first operation', async () => {
    const backend = s3({
      bucket: 'b-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    // Invalid keys fail before any I/O (no SDK, no connection).
    await expect(backend.read('/bad')).rejects.toSatisfy((e) => isStorageError(e, 'InvalidKey'));
    await backend.close();
    await backend.close();
  });
});

describe('s3 backend object', () => {
  it('keeps credentials out of JSON and util.inspect', async () => {
    const { inspect } = await import('node:util');
    const backend = s3({
      bucket: 'b-1',
      credentials: { accessKeyId: 'AKIDSHOWN', secretAccessKey: 'never-print-me' },
    });
    expect(JSON.stringify(backend)).not.toContain('never-print-me');
    expect(inspect(backend, { depth: 5 })).not.toContain('never-print-me');
    expect(backend.options.credentials).toMatchObject({ secretAccessKey: 'never-print-me' });
  });
});
