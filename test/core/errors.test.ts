import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  isAbortError,
  isStorageError,
  redact,
  StorageError,
  throwIfAborted,
  toStorageError,
} from '../../src/core/errors.js';

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  '-----END PRIVATE KEY-----',
].join('\n');

describe('StorageError', () => {
  it('carries code, context and a name', () => {
    const e = new StorageError('NotFound', 'No object at "a".', {
      backend: 's3',
      operation: 'read',
      key: 'a',
      status: 404,
    });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('StorageError');
    expect(e.code).toBe('NotFound');
    expect([e.backend, e.operation, e.key, e.status]).toEqual(['s3', 'read', 'a', 404]);
    expect(e.toJSON()).toMatchObject({ code: 'NotFound', backend: 's3', key: 'a', retryable: false });
    expect(JSON.stringify(e.toJSON())).not.toContain('stack');
  });

  it.each(ERROR_CODES.map((c) => [c]))('retryable defaults for %s', (code) => {
    const expected = code === 'RateLimited' || code === 'Unavailable' || code === 'Timeout';
    expect(new StorageError(code, 'x').retryable).toBe(expected);
  });

  it('lets the thrower override retryable', () => {
    expect(new StorageError('Unavailable', 'x', { retryable: false }).retryable).toBe(false);
    expect(new StorageError('Unknown', 'x', { retryable: true }).retryable).toBe(true);
  });

  it('keeps retryAfterMs', () => {
    expect(new StorageError('RateLimited', 'slow down', { retryAfterMs: 1500 }).retryAfterMs).toBe(1500);
  });
});

describe('isStorageError', () => {
  it('checks the code', () => {
    const e = new StorageError('NotFound', 'x');
    expect(isStorageError(e)).toBe(true);
    expect(isStorageError(e, 'NotFound')).toBe(true);
    expect(isStorageError(e, 'AlreadyExists')).toBe(false);
  });

  it('recognises an error from a second copy of the package (no instanceof)', () => {
    // What a second copy's StorageError looks like: another class, the same global brand.
    class OtherCopyStorageError extends Error {
      override name = 'StorageError';
      code = 'PreconditionFailed';
      retryable = false;
      constructor(message: string) {
        super(message);
        (this as unknown as Record<symbol, boolean>)[Symbol.for('stowage.StorageError')] = true;
      }
    }
    const foreign = new OtherCopyStorageError('etag changed');
    expect(foreign instanceof StorageError).toBe(false);
    expect(isStorageError(foreign)).toBe(true);
    expect(isStorageError(foreign, 'PreconditionFailed')).toBe(true);
    expect(isStorageError(foreign, 'NotFound')).toBe(false);
    // Also a plain object shaped like one (e.g. after structured cloning).
    expect(isStorageError({ name: 'StorageError', code: 'NotFound' }, 'NotFound')).toBe(true);
  });

  it('rejects look-alikes', () => {
    expect(isStorageError(new Error('x'))).toBe(false);
    expect(isStorageError({ code: 'NotFound' })).toBe(false);
    expect(isStorageError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    expect(isStorageError(null)).toBe(false);
    expect(isStorageError('NotFound')).toBe(false);
  });
});

describe('redact', () => {
  it.each([
    [
      'AWS presigned URL signature',
      `https://b.s3.amazonaws.com/k?X-Amz-Signature=abcdef0123456789&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101`,
      ['abcdef0123456789', 'AKIAIOSFODNN7EXAMPLE'],
    ],
    ['AWS security token', 'X-Amz-Security-Token=FwoGZXIvYXdzEJr//////////wEaDNs&x=1', ['FwoGZXIvYXdzEJr']],
    [
      'AWS Authorization header',
      `Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/s3/aws4_request, Signature=fe5f80f77d5fa3beca038a248ff027`,
      ['AKIAIOSFODNN7EXAMPLE', 'fe5f80f77d5fa3beca038a248ff027'],
    ],
    ['secret access key in JSON', `{"secretAccessKey":"${AWS_SECRET}"}`, [AWS_SECRET]],
    ['aws_secret_access_key in ini', `aws_secret_access_key = ${AWS_SECRET}`, [AWS_SECRET]],
    [
      'Azure SAS token',
      'https://acct.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01&sig=abc%2Bdef%3D',
      ['abc%2Bdef%3D'],
    ],
    [
      'Azure connection string',
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net`,
      [ACCOUNT_KEY],
    ],
    [
      'Azure SharedAccessSignature',
      'BlobEndpoint=https://a;SharedAccessSignature=sv=2022&sig=SECRETSIG',
      ['SECRETSIG'],
    ],
    ['accountKey option', `accountKey: '${ACCOUNT_KEY}'`, [ACCOUNT_KEY]],
    [
      'PEM private key',
      `key is ${PEM} end`,
      ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj'],
    ],
    [
      'GCS signed URL',
      'https://storage.googleapis.com/b/o?X-Goog-Signature=0a1b2c3d4e&X-Goog-Credential=sa%40p.iam',
      ['0a1b2c3d4e', 'sa%40p.iam'],
    ],
    [
      'GCS resumable session URI',
      'PUT https://storage.googleapis.com/upload/storage/v1/b/b/o?uploadType=resumable&name=k&upload_id=ADPycdt9SESSION',
      ['ADPycdt9SESSION'],
    ],
    ['Bearer token', 'Authorization: Bearer ya29.a0AfH6SMBx', ['ya29.a0AfH6SMBx']],
    ['client secret', 'clientSecret=Zq8Q~abc.def', ['Zq8Q~abc.def']],
  ])('removes %s', (_name, text, secrets) => {
    const out = redact(text);
    for (const secret of secrets) expect(out).not.toContain(secret);
    expect(out).toContain('REDACTED');
  });

  it('leaves ordinary messages alone', () => {
    const text = 'No object at "reports/2024/q1.csv" in bucket my-bucket (region eu-west-1).';
    expect(redact(text)).toBe(text);
  });

  it('is applied to StorageError messages', () => {
    const e = new StorageError('Unauthenticated', `bad key AccountKey=${ACCOUNT_KEY}`);
    expect(e.message).not.toContain(ACCOUNT_KEY);
  });

  it('is applied to the cause chain: message, stack and nested causes', () => {
    const inner = new Error(`connection string DefaultEndpointsProtocol=https;AccountKey=${ACCOUNT_KEY}`);
    const outer = new Error(`request to https://x?X-Amz-Signature=deadbeef01 failed`, { cause: inner });
    (outer as Error & { code?: string }).code = 'SignatureDoesNotMatch';
    const e = new StorageError('Unauthenticated', 'denied', { cause: outer });
    const cause = e.cause as Error & { code?: string; cause?: Error };
    expect(cause.message).not.toContain('deadbeef01');
    expect(cause.stack ?? '').not.toContain('deadbeef01');
    expect(cause.code).toBe('SignatureDoesNotMatch');
    expect(cause.cause?.message).not.toContain(ACCOUNT_KEY);
    expect(cause.cause?.stack ?? '').not.toContain(ACCOUNT_KEY);
    // The original is not modified.
    expect(inner.message).toContain(ACCOUNT_KEY);
  });

  it('does not keep arbitrary objects (which may hold credentials) as a cause', () => {
    const e = new StorageError('Unknown', 'x', { cause: { credentials: { secretAccessKey: AWS_SECRET } } });
    expect(JSON.stringify(e.cause)).not.toContain(AWS_SECRET);
  });

  it('redacts a string cause', () => {
    const e = new StorageError('Unknown', 'x', { cause: `sv=2022-11-02&sig=${'S'.repeat(20)}&se=2030` });
    expect(String(e.cause)).not.toContain('S'.repeat(20));
  });

  it('keeps SDK metadata without copying other fields', () => {
    const sdk = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403, requestId: 'R1', extendedRequestId: 'E1' },
      $response: { headers: { authorization: 'secret' } },
    });
    const cause = new StorageError('PermissionDenied', 'denied', { cause: sdk }).cause as Record<
      string,
      unknown
    >;
    expect(cause.$metadata).toEqual({ httpStatusCode: 403, requestId: 'R1' });
    expect(cause.$response).toBeUndefined();
    expect(cause.name).toBe('AccessDenied');
  });
});

describe('toStorageError', () => {
  it('fills in missing context on a StorageError without replacing it', () => {
    const original = new StorageError('NotFound', 'x', { key: 'inner' });
    const e = toStorageError(original, { backend: 'memory', operation: 'read', key: 'outer' });
    expect(e).toBe(original);
    expect([e.backend, e.operation, e.key]).toEqual(['memory', 'read', 'inner']);
  });

  it('wraps anything else as Unknown, with the cause', () => {
    const boom = new TypeError('boom');
    const e = toStorageError(boom, { backend: 'local', operation: 'write', key: 'k' });
    expect(e.code).toBe('Unknown');
    expect(e.message).toContain('boom');
    expect(e.message).toContain('write');
    expect((e.cause as Error).message).toBe('boom');
    expect(toStorageError('a string', {}).code).toBe('Unknown');
  });

  it('maps AbortError to Aborted', () => {
    const abort = new DOMException('aborted', 'AbortError');
    expect(isAbortError(abort)).toBe(true);
    expect(toStorageError(abort, { operation: 'read' }).code).toBe('Aborted');
    expect(isAbortError(Object.assign(new Error('x'), { code: 'ABORT_ERR' }))).toBe(true);
    expect(isAbortError(new Error('x'))).toBe(false);
  });
});

describe('throwIfAborted', () => {
  it('throws Aborted only after abort', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal, 'read', 'k')).not.toThrow();
    expect(() => throwIfAborted(undefined)).not.toThrow();
    controller.abort();
    expect(() => throwIfAborted(controller.signal, 'read', 'k')).toThrow(
      expect.objectContaining({ code: 'Aborted', operation: 'read', key: 'k' }),
    );
  });
});
