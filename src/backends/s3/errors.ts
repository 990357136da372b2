/**
 * Maps AWS SDK (and network) errors onto stowage's closed set of codes, in
 * one place. Codes are taken from the S3 error responses documented in
 * "Error responses - Amazon Simple Storage Service" (the `Code` element), then
 * from the HTTP status when the body had none (HEAD requests, proxies).
 *
 * Messages carry a hint about what to do and never a secret: the SDK error's
 * own fields (StringToSign, CanonicalRequest, which can include a session
 * token) are not copied, and `StorageError` redacts message and cause.
 */
import { type ErrorCode, isAbortError, isStorageError, StorageError } from '../../core/errors.js';

/** Where an error happened, for the message and the error's fields. */
export interface S3ErrorContext {
  backend: string;
  operation: string;
  key?: string;
  bucket?: string;
}

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string> };
  $retryable?: { throttling?: boolean };
}

type Mapping = { code: ErrorCode; hint: string; retryable?: boolean };

/** S3 error codes (and SDK error names) → stowage codes with a hint. */
const BY_NAME: Record<string, Mapping> = {
  NoSuchKey: { code: 'NotFound', hint: 'no object at this key' },
  NotFound: { code: 'NotFound', hint: 'no object at this key (or the bucket does not exist)' },
  NoSuchVersion: { code: 'NotFound', hint: 'no such version of this object' },
  NoSuchBucket: {
    code: 'NotFound',
    hint: 'the bucket does not exist: create it, or check `bucket`, `region` and `endpoint`',
  },
  NoSuchUpload: {
    code: 'Unknown',
    hint: 'the multipart upload was aborted or completed meanwhile; write again',
  },
  AccessDenied: {
    code: 'PermissionDenied',
    hint: 'the credentials may not do this: check the IAM / bucket policy for this action and prefix',
  },
  AllAccessDisabled: { code: 'PermissionDenied', hint: 'all access to this object has been disabled' },
  AccountProblem: {
    code: 'PermissionDenied',
    hint: 'the account has a problem that prevents this operation: contact the provider',
  },
  InvalidObjectState: {
    code: 'Unsupported',
    hint: 'the object is archived (e.g. Glacier): restore it before reading',
  },
  InvalidAccessKeyId: {
    code: 'Unauthenticated',
    hint: 'the access key id is unknown to this service: check the credentials and the endpoint',
  },
  SignatureDoesNotMatch: {
    code: 'Unauthenticated',
    hint: 'the secret access key does not match the access key id (or a proxy changed the request)',
  },
  ExpiredToken: { code: 'Unauthenticated', hint: 'the session token has expired: refresh the credentials' },
  TokenRefreshRequired: { code: 'Unauthenticated', hint: 'the session token must be refreshed' },
  InvalidToken: { code: 'Unauthenticated', hint: 'the session token is malformed or invalid' },
  RequestTimeTooSkewed: {
    code: 'Unauthenticated',
    hint: "this machine's clock differs too much from the service's: sync it",
  },
  CredentialsProviderError: {
    code: 'Unauthenticated',
    hint: 'no credentials found: pass `credentials`, set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or configure a profile or role',
  },
  SlowDown: {
    code: 'RateLimited',
    hint: 'the service asks to slow down: retry with backoff or lower the request rate',
  },
  Throttling: { code: 'RateLimited', hint: 'throttled: retry with backoff' },
  ThrottlingException: { code: 'RateLimited', hint: 'throttled: retry with backoff' },
  TooManyRequests: { code: 'RateLimited', hint: 'throttled: retry with backoff' },
  TooManyRequestsException: { code: 'RateLimited', hint: 'throttled: retry with backoff' },
  RequestLimitExceeded: { code: 'RateLimited', hint: 'throttled: retry with backoff' },
  InternalError: { code: 'Unavailable', hint: 'the service failed internally: retry' },
  ServiceUnavailable: { code: 'Unavailable', hint: 'the service is unavailable: retry later' },
  RequestTimeout: { code: 'Timeout', hint: 'the connection was idle too long while sending the body: retry' },
  RequestTimeoutException: { code: 'Timeout', hint: 'the request timed out: retry' },
  TimeoutError: {
    code: 'Timeout',
    hint: 'the socket was idle for longer than `idleTimeout`: retry or raise it',
  },
  PreconditionFailed: { code: 'PreconditionFailed', hint: 'the object changed (etag condition not met)' },
  NotModified: { code: 'PreconditionFailed', hint: 'the object still has this etag' },
  ConditionalRequestConflict: {
    code: 'PreconditionFailed',
    hint: 'a concurrent conditional write to this key won: read it again and retry',
    retryable: true,
  },
  InvalidRange: { code: 'InvalidArgument', hint: 'the range starts at or past the end of the object' },
  EntityTooLarge: {
    code: 'InvalidArgument',
    hint: 'the body is over the size this request accepts (5 GiB per PUT or part)',
  },
  EntityTooSmall: { code: 'InvalidArgument', hint: 'a multipart part is under the 5 MiB minimum' },
  InvalidArgument: { code: 'InvalidArgument', hint: 'the service rejected an argument' },
  InvalidRequest: { code: 'InvalidArgument', hint: 'the service rejected the request' },
  InvalidPart: { code: 'Unknown', hint: 'a multipart part was not found: write again' },
  InvalidPartOrder: { code: 'Unknown', hint: 'multipart parts out of order: write again' },
  MalformedXML: { code: 'InvalidArgument', hint: 'the service could not parse the request' },
  InvalidStorageClass: { code: 'InvalidArgument', hint: 'this storage class does not exist on this service' },
  InvalidBucketName: { code: 'InvalidConfig', hint: 'the bucket name is not valid' },
  PermanentRedirect: {
    code: 'InvalidConfig',
    hint: "the bucket is in another region: set `region` to the bucket's region",
  },
  AuthorizationHeaderMalformed: {
    code: 'InvalidConfig',
    hint: 'the region in the request is wrong for this bucket: set `region`',
  },
  IllegalLocationConstraintException: {
    code: 'InvalidConfig',
    hint: 'the region does not match the bucket: set `region`',
  },
  BadDigest: { code: 'IntegrityError', hint: 'the body did not match its checksum: retry' },
  InvalidDigest: { code: 'IntegrityError', hint: 'the body checksum is malformed' },
  XAmzContentSHA256Mismatch: { code: 'IntegrityError', hint: 'the body did not match its SHA-256' },
  InvalidChecksum: { code: 'IntegrityError', hint: 'the body did not match its checksum' },
  NotImplemented: {
    code: 'Unsupported',
    hint: 'this service does not implement the feature: choose another `provider` or drop the option',
  },
  KMSAccessDeniedException: { code: 'PermissionDenied', hint: 'the credentials may not use the KMS key' },
  'KMS.DisabledException': { code: 'PermissionDenied', hint: 'the KMS key is disabled' },
  'KMS.NotFoundException': {
    code: 'InvalidConfig',
    hint: 'the KMS key does not exist: check `encryption.keyId`',
  },
  QuotaExceeded: { code: 'QuotaExceeded', hint: 'a storage quota is exhausted' },
  ServiceQuotaExceededException: { code: 'QuotaExceeded', hint: 'a service quota is exhausted' },
};

/** Node network error codes → stowage codes. */
const NETWORK: Record<string, Mapping> = {
  ECONNRESET: { code: 'Unavailable', hint: 'the connection was reset: retry' },
  EPIPE: { code: 'Unavailable', hint: 'the connection closed while sending: retry' },
  ECONNREFUSED: {
    code: 'Unavailable',
    hint: 'nothing listens at the endpoint: check `endpoint` and that the service runs',
  },
  ENOTFOUND: {
    code: 'Unavailable',
    hint: 'the endpoint host name does not resolve: check `endpoint`/`region`',
  },
  EAI_AGAIN: { code: 'Unavailable', hint: 'DNS lookup failed temporarily: retry' },
  ETIMEDOUT: { code: 'Timeout', hint: 'the connection timed out: retry' },
  ECONNABORTED: { code: 'Unavailable', hint: 'the connection was aborted: retry' },
  EHOSTUNREACH: { code: 'Unavailable', hint: 'the endpoint host is unreachable' },
  ERR_STREAM_PREMATURE_CLOSE: {
    code: 'Unavailable',
    hint: 'the connection closed before the body ended: retry',
  },
};

function byStatus(status: number): Mapping | undefined {
  if (status === 304 || status === 412) return BY_NAME.PreconditionFailed!;
  if (status === 401) return { code: 'Unauthenticated', hint: 'the service did not accept the credentials' };
  if (status === 403) return BY_NAME.AccessDenied!;
  if (status === 404) return BY_NAME.NotFound!;
  if (status === 409)
    return {
      code: 'PreconditionFailed',
      hint: 'a conflicting operation is in progress: retry',
      retryable: true,
    };
  if (status === 416) return BY_NAME.InvalidRange!;
  if (status === 429) return BY_NAME.TooManyRequests!;
  if (status === 501) return BY_NAME.NotImplemented!;
  if (status === 503)
    return {
      code: 'Unavailable',
      hint: 'the service is unavailable or asks to slow down: retry with backoff',
    };
  if (status >= 500) return { code: 'Unavailable', hint: `the service answered ${status}: retry` };
  if (status >= 400) return { code: 'InvalidArgument', hint: `the service rejected the request (${status})` };
  return undefined;
}

/** Seconds or an HTTP date in a Retry-After header → milliseconds. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Converts anything an SDK call threw into a `StorageError`. */
export function mapS3Error(e: unknown, context: S3ErrorContext): StorageError {
  if (isStorageError(e)) return e;
  const base = { backend: context.backend, operation: context.operation, key: context.key, cause: e };
  if (isAbortError(e)) return new StorageError('Aborted', `${context.operation} was aborted`, base);
  const err = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
  const name = err.Code ?? err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  const networkCode = typeof err.code === 'string' ? err.code : undefined;
  const mapping =
    BY_NAME[name] ??
    (networkCode ? NETWORK[networkCode] : undefined) ??
    (name.startsWith('KMS')
      ? { code: 'PermissionDenied' as const, hint: 'the KMS key refused the request' }
      : undefined) ??
    (status !== undefined ? byStatus(status) : undefined) ??
    (/socket hang up|ECONNRESET|premature close|aborted/i.test(err.message ?? '')
      ? NETWORK.ECONNRESET!
      : undefined);
  const code: ErrorCode = mapping?.code ?? 'Unknown';
  const headers = err.$response?.headers ?? {};
  const retryAfterMs = parseRetryAfter(headers['retry-after'] ?? headers['Retry-After']);
  const where = context.key !== undefined ? ` ${JSON.stringify(context.key)}` : '';
  const bucket = context.bucket !== undefined ? ` in bucket ${JSON.stringify(context.bucket)}` : '';
  const requestId = err.$metadata?.requestId ? `, request id ${err.$metadata.requestId}` : '';
  const detail =
    name && name !== 'Unknown' && name !== 'UnknownError' ? `${name}` : status ? `HTTP ${status}` : 'error';
  const sdkMessage =
    err.message && err.message !== name && err.message !== 'UnknownError' ? `: ${err.message}` : '';
  const message = `${context.operation}${where}${bucket} failed (${detail}${requestId})${sdkMessage}${mapping ? ` — ${mapping.hint}` : ''}.`;
  const retryable =
    mapping?.retryable ??
    (code === 'RateLimited' ||
      code === 'Unavailable' ||
      code === 'Timeout' ||
      err.$retryable?.throttling === true);
  return new StorageError(code, message, { ...base, status, retryAfterMs, retryable });
}
