import { describe, expect, it } from 'vitest';
import { mapS3Error } from '../../../src/backends/s3/errors.js';
import type { ErrorCode } from '../../../src/core/errors.js';

const context = { backend: 's3', operation: 'read', key: 'a/b.txt', bucket: 'my-bucket' };

/** An error shaped like the ones @aws-sdk/client-s3 throws. */
function sdkError(name: string, status: number, extra: Record<string, unknown> = {}): Error {
  const e = new Error(extra.message ? String(extra.message) : `${name} happened`) as Error &
    Record<string, unknown>;
  e.name = name;
  e.$fault = status >= 500 ? 'server' : 'client';
  e.$metadata = { httpStatusCode: status, requestId: 'REQ123', attempts: 1 };
  Object.assign(e, extra);
  return e;
}

describe('s3 error mapping', () => {
  const cases: [string, number, ErrorCode, boolean][] = [
    ['NoSuchKey', 404, 'NotFound', false],
    ['NotFound', 404, 'NotFound', false],
    ['NoSuchBucket', 404, 'NotFound', false],
    ['NoSuchVersion', 404, 'NotFound', false],
    ['AccessDenied', 403, 'PermissionDenied', false],
    ['InvalidAccessKeyId', 403, 'Unauthenticated', false],
    ['SignatureDoesNotMatch', 403, 'Unauthenticated', false],
    ['ExpiredToken', 400, 'Unauthenticated', false],
    ['SlowDown', 503, 'RateLimited', true],
    ['InternalError', 500, 'Unavailable', true],
    ['ServiceUnavailable', 503, 'Unavailable', true],
    ['RequestTimeout', 400, 'Timeout', true],
    ['PreconditionFailed', 412, 'PreconditionFailed', false],
    ['ConditionalRequestConflict', 409, 'PreconditionFailed', true],
    ['InvalidRange', 416, 'InvalidArgument', false],
    ['EntityTooLarge', 400, 'InvalidArgument', false],
    ['BadDigest', 400, 'IntegrityError', false],
    ['InvalidObjectState', 403, 'Unsupported', false],
    ['PermanentRedirect', 301, 'InvalidConfig', false],
    ['NotImplemented', 501, 'Unsupported', false],
    // Unknown names fall back to the HTTP status.
    ['Unknown', 304, 'PreconditionFailed', false],
    ['Unknown', 429, 'RateLimited', true],
    ['Unknown', 502, 'Unavailable', true],
    ['Weird', 400, 'InvalidArgument', false],
  ];
  for (const [name, status, code, retryable] of cases) {
    it(`${name} (${status}) → ${code}`, () => {
      const mapped = mapS3Error(sdkError(name, status), context);
      expect(mapped.code).toBe(code);
      expect(mapped.retryable).toBe(retryable);
      expect(mapped.status).toBe(status);
      expect(mapped).toMatchObject({ backend: 's3', operation: 'read', key: 'a/b.txt' });
      expect(mapped.message).toContain('a/b.txt');
      expect(mapped.message).toContain('REQ123');
    });
  }

  it('maps network errors and aborts', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(mapS3Error(reset, context)).toMatchObject({ code: 'Unavailable', retryable: true });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(mapS3Error(refused, context).message).toMatch(/endpoint/);
    const timeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    expect(mapS3Error(timeout, context)).toMatchObject({ code: 'Timeout', retryable: true });
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(mapS3Error(abort, context).code).toBe('Aborted');
    expect(mapS3Error(new Error('socket hang up'), context).code).toBe('Unavailable');
    expect(mapS3Error('strange', context).code).toBe('Unknown');
  });

  it('reads Retry-After into retryAfterMs', () => {
    const e = sdkError('SlowDown', 503, { $response: { headers: { 'retry-after': '3' } } });
    expect(mapS3Error(e, context).retryAfterMs).toBe(3000);
  });

  it('gives hints that say what to do', () => {
    expect(mapS3Error(sdkError('NoSuchBucket', 404), context).message).toMatch(/create it|check `bucket`/);
    expect(mapS3Error(sdkError('AccessDenied', 403), context).message).toMatch(/policy/);
    expect(mapS3Error(sdkError('ExpiredToken', 400), context).message).toMatch(/refresh/);
  });

  it('never lets a secret into the message, the cause or JSON', () => {
    const secret = 'wJalrXUtnFEMIK7MDENGbPxRfiCYSECRETKEY';
    const token = 'FwoGZXIvYXdzEBIaDSESSIONTOKEN';
    const e = sdkError('SignatureDoesNotMatch', 403, {
      message: `The request signature we calculated does not match. url=https://b.s3.amazonaws.com/k?X-Amz-Signature=abcdef0123&X-Amz-Security-Token=${token}&X-Amz-Credential=AKIDEXAMPLE%2F2024 secretAccessKey=${secret}`,
      StringToSign: `AWS4-HMAC-SHA256 ${secret}`,
      CanonicalRequest: `x-amz-security-token:${token}`,
      SignatureProvided: 'abcdef0123',
    });
    const mapped = mapS3Error(e, context);
    const everything = [
      mapped.message,
      JSON.stringify(mapped),
      String((mapped.cause as Error).message),
      String((mapped.cause as Error).stack),
      JSON.stringify(mapped.cause),
      Object.values(mapped.cause as object).join(' '),
    ].join('\n');
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain('abcdef0123');
    expect(mapped.code).toBe('Unauthenticated');
  });
});
