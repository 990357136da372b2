/**
 * How real GCS failures map to stowage codes. fake-gcs-server answers "Not
 * Found" for a missing bucket and a missing object alike and never sends
 * 429/5xx, so these are unit tests on error shapes the SDK raises against
 * real GCS.
 */
import { describe, expect, it } from 'vitest';
import { isBucketMissing, mapGcsError } from '../../../src/backends/gcs/errors.js';
import { isStorageError } from '../../../src/core/errors.js';

const context = { operation: 'read', key: 'a/b.txt', bucket: 'my-bucket' };

/** An error shaped like the SDK's ApiError. */
function apiError(code: number, message: string, reason?: string, headers?: Record<string, string>) {
  const e = new Error(message) as Error & Record<string, unknown>;
  e.name = 'ApiError';
  e.code = code;
  if (reason) e.errors = [{ domain: 'global', reason, message }];
  if (headers) e.response = { status: code, headers };
  return e;
}

describe('mapGcsError', () => {
  it('maps a missing object to NotFound', () => {
    const e = mapGcsError(apiError(404, 'No such object: my-bucket/a/b.txt', 'notFound'), context);
    expect(e.code).toBe('NotFound');
    expect(e.retryable).toBe(false);
    expect(e.status).toBe(404);
    expect(isBucketMissing(e)).toBe(false);
  });

  it('maps a missing bucket to NotFound with a bucket hint, tagged as bucket-missing', () => {
    const e = mapGcsError(apiError(404, 'The specified bucket does not exist.', 'notFound'), context);
    expect(e.code).toBe('NotFound');
    expect(e.message).toMatch(/bucket my-bucket does not exist/);
    expect(isBucketMissing(e)).toBe(true);
  });

  it('maps 401 to Unauthenticated and 403 to PermissionDenied with hints', () => {
    const unauthenticated = mapGcsError(apiError(401, 'Invalid Credentials', 'authError'), context);
    expect(unauthenticated.code).toBe('Unauthenticated');
    expect(unauthenticated.message).toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
    const denied = mapGcsError(
      apiError(403, 'sa@p.iam.gserviceaccount.com does not have storage.objects.get access', 'forbidden'),
      context,
    );
    expect(denied.code).toBe('PermissionDenied');
    expect(denied.message).toMatch(/roles\/storage/);
  });

  it('maps 412 to PreconditionFailed, or AlreadyExists for ifNotExists writes', () => {
    const e = apiError(
      412,
      'At least one of the pre-conditions you specified did not hold.',
      'conditionNotMet',
    );
    expect(mapGcsError(e, { ...context, operation: 'write' }).code).toBe('PreconditionFailed');
    expect(mapGcsError(e, { ...context, operation: 'write', ifNotExists: true }).code).toBe('AlreadyExists');
  });

  it('maps 304 (ifGenerationNotMatch held) to PreconditionFailed', () => {
    expect(mapGcsError(apiError(304, 'Not Modified'), context).code).toBe('PreconditionFailed');
  });

  it('maps 429 to a retryable RateLimited with Retry-After', () => {
    const e = mapGcsError(apiError(429, 'rate limit', 'rateLimitExceeded', { 'retry-after': '3' }), context);
    expect(e.code).toBe('RateLimited');
    expect(e.retryable).toBe(true);
    expect(e.retryAfterMs).toBe(3000);
  });

  it('maps 5xx and resumable "Upload failed" errors to a retryable Unavailable', () => {
    expect(mapGcsError(apiError(503, 'Backend Error', 'backendError'), context).code).toBe('Unavailable');
    const upload = Object.assign(new Error('Upload failed'), { name: 'Upload failed', code: 500 });
    const mapped = mapGcsError(upload, context);
    expect(mapped.code).toBe('Unavailable');
    expect(mapped.retryable).toBe(true);
  });

  it('maps network failures to Unavailable and aborts to Aborted', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(mapGcsError(reset, context).code).toBe('Unavailable');
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(mapGcsError(abort, context).code).toBe('Aborted');
  });

  it('maps checksum mismatches to IntegrityError', () => {
    const download = Object.assign(new Error('The downloaded data did not match'), {
      code: 'CONTENT_DOWNLOAD_MISMATCH',
    });
    expect(mapGcsError(download, context).code).toBe('IntegrityError');
    const upload = Object.assign(new Error('The uploaded data did not match'), { code: 'FILE_NO_UPLOAD' });
    expect(mapGcsError(upload, { ...context, operation: 'write' }).code).toBe('IntegrityError');
  });

  it('maps credentials that cannot sign to InvalidConfig and missing ADC to InvalidConfig', () => {
    const signing = Object.assign(new Error('Cannot sign data without `client_email`.'), {
      name: 'SigningError',
    });
    const e = mapGcsError(signing, { ...context, operation: 'presign' });
    expect(e.code).toBe('InvalidConfig');
    expect(e.message).toMatch(/service-account key/);
    const adc = new Error(
      'Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication',
    );
    expect(mapGcsError(adc, context).code).toBe('InvalidConfig');
  });

  it('never puts a private key or bearer token in the message or cause', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    const leaky = apiError(400, `bad request with key ${pem} and Authorization: Bearer ya29.secret-token`);
    const e = mapGcsError(leaky, { ...context, operation: 'write' });
    expect(e.code).toBe('InvalidArgument');
    const everything = `${e.message} ${String((e.cause as Error).message)} ${String((e.cause as Error).stack)}`;
    expect(everything).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
    expect(everything).not.toContain('ya29.secret-token');
  });

  it('passes StorageErrors through and wraps the unknown as Unknown', () => {
    const odd = mapGcsError(new Error('something odd'), context);
    expect(isStorageError(odd, 'Unknown')).toBe(true);
    expect(mapGcsError(odd, context)).toBe(odd);
  });
});
