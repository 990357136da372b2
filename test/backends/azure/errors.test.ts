/**
 * Error mapping and redaction: every native code lands on the right stowage
 * code with a hint, and no account key, SAS signature or connection string
 * reaches a message, a cause or JSON output.
 */
import { RestError } from '@azure/core-rest-pipeline';
import { expect, it } from 'vitest';
import { azure } from '../../../src/backends/azure/index.js';
import { isBlobAbsent, toAzureError } from '../../../src/backends/azure/errors.js';
import { type ErrorCode, isStorageError } from '../../../src/core/errors.js';
import { AZURITE_KEY, azuriteConnectionString } from '../../emulators/azurite.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { freshContainer } from './helpers.js';

const context = { operation: 'read', key: 'a/b.txt', container: 'media' };

function restError(statusCode: number | undefined, code: string | undefined, message = 'boom'): RestError {
  const error = new RestError(message, { statusCode, code });
  error.details = { errorCode: code };
  return error;
}

const CASES: [number | undefined, string | undefined, ErrorCode, RegExp][] = [
  [404, 'BlobNotFound', 'NotFound', /No object at "a\/b.txt"/],
  [404, 'ContainerNotFound', 'NotFound', /container "media" does not exist/],
  [401, 'NoAuthenticationInformation', 'Unauthenticated', /credentials/],
  [403, 'AuthenticationFailed', 'Unauthenticated', /clock/],
  [403, 'AuthorizationPermissionMismatch', 'PermissionDenied', /Storage Blob Data Contributor/],
  [403, 'AuthorizationFailure', 'PermissionDenied', /SAS/],
  [412, 'ConditionNotMet', 'PreconditionFailed', /etag/],
  [304, undefined, 'PreconditionFailed', /not modified/],
  [409, 'BlobAlreadyExists', 'AlreadyExists', /already exists/],
  [503, 'ServerBusy', 'RateLimited', /throttling/],
  [500, 'OperationTimedOut', 'Timeout', /timed out/],
  [500, 'InternalError', 'Unavailable', /retry later/],
  [502, undefined, 'Unavailable', /HTTP 502/],
  [416, 'InvalidRange', 'InvalidArgument', /range/],
  [400, 'InvalidMetadata', 'InvalidArgument', /metadata/],
  [409, 'BlobArchived', 'InvalidArgument', /rehydrate/],
  [undefined, 'ECONNREFUSED', 'Unavailable', /endpoint/],
  [undefined, 'REQUEST_SEND_ERROR', 'Unavailable', /network/],
  [418, 'Teapot', 'Unknown', /failed/],
];

for (const [status, code, expected, hint] of CASES) {
  it(`maps ${code ?? '(no code)'} / ${status ?? '(no status)'} to ${expected}`, () => {
    const error = toAzureError(restError(status, code), context);
    expect(error.code).toBe(expected);
    expect(error.message).toMatch(hint);
    expect(error.backend).toBe('azure');
    expect(error.operation).toBe('read');
    if (status !== undefined) expect(error.status).toBe(status);
  });
}

it('marks throttling and 5xx retryable, conditions and auth not', () => {
  expect(toAzureError(restError(503, 'ServerBusy'), context).retryable).toBe(true);
  expect(toAzureError(restError(500, 'InternalError'), context).retryable).toBe(true);
  expect(toAzureError(restError(412, 'ConditionNotMet'), context).retryable).toBe(false);
  expect(toAzureError(restError(403, 'AuthenticationFailed'), context).retryable).toBe(false);
});

it('reads Retry-After from a throttled response', () => {
  const error = restError(503, 'ServerBusy');
  (error as { response?: unknown }).response = {
    headers: { get: (n: string) => (n === 'retry-after' ? '7' : undefined) },
  };
  expect(toAzureError(error, context).retryAfterMs).toBe(7000);
});

it('treats only BlobNotFound as an absent blob (not a missing container)', () => {
  expect(isBlobAbsent(restError(404, 'BlobNotFound'))).toBe(true);
  expect(isBlobAbsent(restError(404, 'ContainerNotFound'))).toBe(false);
});

it('maps an AbortError to Aborted', () => {
  const abort = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
  expect(toAzureError(abort, context).code).toBe('Aborted');
});

it('never puts an account key, SAS signature or connection string in the message, cause or JSON', () => {
  const key = 'c2VjcmV0LWtleS1ub3QtdG8tbGVhaw==';
  const message = [
    `Failed: DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net`,
    'url https://acct.blob.core.windows.net/c/b?sv=2024-01-01&sp=r&se=2030-01-01&sig=SIGNATUREVALUE123%3D',
    'SharedAccessSignature=sv=2024&sig=OTHERSIG',
  ].join(' ');
  const error = toAzureError(restError(403, 'AuthenticationFailed', message), context);
  const everything = [
    error.message,
    JSON.stringify(error),
    String((error.cause as Error).message),
    String((error.cause as Error).stack),
  ].join('\n');
  expect(everything).not.toContain(key);
  expect(everything).not.toContain('SIGNATUREVALUE123');
  expect(everything).not.toContain('OTHERSIG');
  expect(everything).toContain('[REDACTED]');
  // The request (URL with SAS, Authorization header) is not kept on the cause.
  expect((error.cause as { request?: unknown }).request).toBeUndefined();
});

it('an invalid option never echoes the connection string or key', () => {
  const secret = 'dGhpcyBpcyBub3QgYSByZWFsIGtleQ==';
  let caught: unknown;
  try {
    azure({
      container: 'Bad_Name',
      accountName: 'acct',
      accountKey: secret,
      connectionString: `AccountKey=${secret}`,
    });
  } catch (e) {
    caught = e;
  }
  expect(isStorageError(caught, 'InvalidConfig')).toBe(true);
  expect(String((caught as Error).message)).not.toContain(secret);
  expect(String((caught as Error).message)).toMatch(/container/);
});

describeWithEmulator('azurite', 'azure errors on Azurite', (endpoint) => {
  it('a wrong account key is refused without the key in the error', async () => {
    const container = await freshContainer(endpoint, 'errors');
    const wrongKey = Buffer.from('w'.repeat(64)).toString('base64');
    const backend = azure({
      container,
      connectionString: azuriteConnectionString(endpoint).replace(AZURITE_KEY, wrongKey),
    });
    const error = await backend.stat('a.txt').catch((e: unknown) => e);
    // Azure answers AuthenticationFailed (Unauthenticated); Azurite answers AuthorizationFailure (PermissionDenied).
    expect(isStorageError(error)).toBe(true);
    expect(['Unauthenticated', 'PermissionDenied']).toContain((error as { code: string }).code);
    expect((error as { status?: number }).status).toBe(403);
    const text = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).cause)}`;
    expect(text).not.toContain(wrongKey);
  });

  it('a missing container is reported as such, and exists() does not hide it', async () => {
    const backend = azure({
      container: 'no-such-container',
      connectionString: azuriteConnectionString(endpoint),
    });
    const error = await backend.exists('a.txt').catch((e: unknown) => e);
    expect(isStorageError(error, 'NotFound')).toBe(true);
    expect((error as Error).message).toMatch(/container "no-such-container" does not exist/);
  });

  it('a refused connection gives Unavailable, retryable', async () => {
    const backend = azure({
      container: 'x-container',
      connectionString: azuriteConnectionString('http://127.0.0.1:9/devstoreaccount1'),
      maxTries: 1,
    });
    const error = await backend.stat('a.txt').catch((e: unknown) => e);
    expect(isStorageError(error, 'Unavailable')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
  });
});
