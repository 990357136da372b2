/**
 * The one place where `@google-cloud/storage` failures become `StorageError`s.
 *
 * The SDK raises `ApiError` (`code` = HTTP status, `errors[].reason` = the
 * JSON API reason), `Upload failed` errors from resumable sessions (`code` =
 * HTTP status), `RequestError`s with string codes for checksum mismatches,
 * `SigningError` when credentials cannot sign, and gaxios/Node network errors.
 *
 * Reasons and statuses follow
 * https://cloud.google.com/storage/docs/json_api/v1/status-codes:
 * "404 notFound: The requested resource was not found" (object or bucket; the
 * message tells which: "No such object: …" vs "The specified bucket does not
 * exist."), "412 conditionNotMet: At least one of the pre-conditions you
 * specified did not hold", "429 rateLimitExceeded", "5xx backendError".
 */
import { isStorageError, StorageError } from '../../core/errors.js';

/** What the caller was doing, for messages and for 412 on `ifNotExists`. */
export interface GcsErrorContext {
  /** The operation ('read', 'write', ...). */
  operation: string;
  /** The stowage key (without the backend prefix). */
  key?: string;
  /** The bucket, for hints. */
  bucket: string;
  /** The write asked for `ifNotExists`, so a 412 means the object exists. */
  ifNotExists?: boolean;
}

// Errors that mean the bucket (not the object) is missing. Tagged here, so
// `exists()` reports a missing bucket instead of answering `false`.
const bucketMissing = new WeakSet<StorageError>();

/** Whether `e` says the bucket itself does not exist. */
export function isBucketMissing(e: unknown): boolean {
  return isStorageError(e) && bucketMissing.has(e);
}

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  status?: unknown;
  message?: unknown;
  errors?: { reason?: unknown; message?: unknown }[];
  response?: { status?: unknown; statusCode?: unknown; headers?: unknown };
}

/** The HTTP status of an SDK error, if it carries one. */
export function statusOf(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as SdkErrorShape;
  for (const value of [err.code, err.status, err.response?.status, err.response?.statusCode]) {
    if (typeof value === 'number' && value >= 100 && value < 600) return value;
  }
  return undefined;
}

function reasonOf(e: SdkErrorShape): string | undefined {
  const reason = Array.isArray(e.errors) ? e.errors[0]?.reason : undefined;
  if (typeof reason === 'string') return reason;
  // Resumable-session failures carry the response body as `errors[0]`.
  const nested = (e.errors?.[0] as { error?: { errors?: { reason?: unknown }[] } } | undefined)?.error
    ?.errors?.[0]?.reason;
  return typeof nested === 'string' ? nested : undefined;
}

function retryAfterOf(e: SdkErrorShape): number | undefined {
  const headers = e.response?.headers as
    | Record<string, unknown>
    | { get?: (n: string) => unknown }
    | undefined;
  if (headers === undefined || headers === null) return undefined;
  const raw =
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get: (n: string) => unknown }).get('retry-after')
      : (headers as Record<string, unknown>)['retry-after'];
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(String(raw));
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * Maps any error the SDK (or the network) raised to a `StorageError` with a
 * code from the closed set, a message that says what to do, and no secret
 * (the core redacts messages and causes; private keys never reach them).
 */
export function mapGcsError(e: unknown, context: GcsErrorContext): StorageError {
  if (isStorageError(e)) return e;
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as SdkErrorShape;
  const where = context.key === undefined ? `bucket ${context.bucket}` : JSON.stringify(context.key);
  const base = { operation: context.operation, key: context.key, cause: e };
  const message = typeof err.message === 'string' ? err.message : '';

  if (err.name === 'AbortError' || err.code === 'ABORT_ERR') {
    return new StorageError('Aborted', `${context.operation} was aborted`, base);
  }
  if (err.code === 'ERR_INVALID_ARG_TYPE') {
    // A body stream yielded something that is not bytes (Node refuses it before the core's check).
    return new StorageError(
      'InvalidArgument',
      `A body stream yielded a chunk that is not a Uint8Array: ${message}`,
      base,
    );
  }
  if (err.name === 'SigningError') {
    return new StorageError(
      'InvalidConfig',
      'These Google credentials cannot sign URLs. Use a service-account key (`keyFilename` or `credentials` with `client_email` and `private_key`), or run as a service account that holds roles/iam.serviceAccountTokenCreator on itself so the IAM signBlob API can sign.',
      base,
    );
  }
  if (err.code === 'CONTENT_DOWNLOAD_MISMATCH') {
    return new StorageError(
      'IntegrityError',
      `The bytes downloaded for ${where} do not match the checksum GCS reported; read it again.`,
      { ...base, retryable: true },
    );
  }
  if (err.code === 'FILE_NO_UPLOAD' || err.code === 'FILE_NO_UPLOAD_DELETE') {
    return new StorageError(
      'IntegrityError',
      `The bytes GCS stored for ${where} do not match the bytes sent (checksum mismatch); write it again.`,
      base,
    );
  }
  if (err.code === 'MD5_NOT_AVAILABLE') {
    return new StorageError(
      'IntegrityError',
      `GCS has no MD5 for ${where} (composite objects only have CRC32C); use validation: 'crc32c'.`,
      base,
    );
  }

  const status = statusOf(e);
  const reason = reasonOf(err);
  const withStatus = { ...base, status };
  switch (status) {
    case 304:
      return new StorageError(
        'PreconditionFailed',
        `The object at ${where} has not changed (ifNoneMatch).`,
        withStatus,
      );
    case 400:
      if (reason === 'invalid' && /generation/i.test(message)) {
        return new StorageError(
          'PreconditionFailed',
          `The etag given for ${where} is not a generation of it.`,
          withStatus,
        );
      }
      return new StorageError(
        'InvalidArgument',
        `GCS rejected the ${context.operation} request for ${where} as invalid: ${message}`,
        withStatus,
      );
    case 401:
      return new StorageError(
        'Unauthenticated',
        'GCS did not accept the credentials: check GOOGLE_APPLICATION_CREDENTIALS, `keyFilename` or `credentials` (or run `gcloud auth application-default login`).',
        withStatus,
      );
    case 403:
      if (reason === 'userProjectMissing' || reason === 'accountDisabled' || reason === 'billingNotEnabled') {
        return new StorageError(
          'PermissionDenied',
          `GCS refused ${context.operation} on ${where}: ${message}`,
          withStatus,
        );
      }
      if (reason === 'quotaExceeded' || reason === 'storageQuotaExceeded') {
        return new StorageError(
          'QuotaExceeded',
          `GCS quota exceeded during ${context.operation}: ${message}`,
          withStatus,
        );
      }
      return new StorageError(
        'PermissionDenied',
        `The credentials may not ${context.operation} ${where} in bucket ${context.bucket}: grant the principal a role with the storage.objects.* permissions it needs (e.g. roles/storage.objectAdmin).`,
        withStatus,
      );
    case 404: {
      // GCS: "The specified bucket does not exist." for buckets, "No such object: b/k" for objects.
      if (/bucket/i.test(message) && !/no such object/i.test(message)) {
        const missing = new StorageError(
          'NotFound',
          `The bucket ${context.bucket} does not exist: create it or check the \`bucket\` option and project.`,
          withStatus,
        );
        bucketMissing.add(missing);
        return missing;
      }
      return new StorageError('NotFound', `No object at ${where}.`, withStatus);
    }
    case 409:
      return new StorageError(
        'AlreadyExists',
        `GCS reported a conflict for ${where}: ${message}`,
        withStatus,
      );
    case 412:
      return context.ifNotExists
        ? new StorageError('AlreadyExists', `An object already exists at ${where}.`, withStatus)
        : new StorageError(
            'PreconditionFailed',
            `The object at ${where} has changed (its etag no longer matches).`,
            withStatus,
          );
    case 416:
      return new StorageError(
        'InvalidArgument',
        `The requested range of ${where} is past its end.`,
        withStatus,
      );
    case 429:
      return new StorageError(
        'RateLimited',
        `GCS rate limit hit during ${context.operation}; slow down and retry.`,
        {
          ...withStatus,
          retryAfterMs: retryAfterOf(err),
        },
      );
    case 408:
      return new StorageError(
        'Timeout',
        `GCS timed out during ${context.operation} of ${where}.`,
        withStatus,
      );
    default:
      break;
  }
  if (status !== undefined && status >= 500) {
    return new StorageError(
      'Unavailable',
      `GCS failed with HTTP ${status} during ${context.operation} of ${where}; retry later.`,
      { ...withStatus, retryAfterMs: retryAfterOf(err) },
    );
  }
  if (typeof err.code === 'string' && NETWORK_CODES.has(err.code)) {
    return new StorageError(
      'Unavailable',
      `Could not reach GCS (${err.code}) during ${context.operation}: check the network and \`apiEndpoint\`.`,
      base,
    );
  }
  if (/Could not load the default credentials|Unable to detect a Project Id/i.test(message)) {
    return new StorageError(
      'InvalidConfig',
      'No Google credentials were found: set GOOGLE_APPLICATION_CREDENTIALS, pass `keyFilename` or `credentials`, or run `gcloud auth application-default login`.',
      base,
    );
  }
  return new StorageError('Unknown', `GCS ${context.operation} of ${where} failed: ${message || String(e)}`, {
    ...withStatus,
  });
}
