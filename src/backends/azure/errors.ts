/**
 * Maps `@azure/storage-blob` failures (RestError with an `x-ms-error-code`)
 * onto the closed set of stowage codes, in one place. Error codes quoted from
 * "Blob Storage error codes" and "Common REST API error codes" in the Azure
 * Storage REST reference.
 */
import { type ErrorCode, isAbortError, isStorageError, StorageError } from '../../core/errors.js';

/** Where a failure happened, for the message. */
export interface AzureErrorContext {
  operation: string;
  key?: string;
  container: string;
}

/** The fields of a RestError this module reads (no import of the SDK needed). */
interface AzureRestErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string; 'retry-after'?: string } | unknown;
  response?: { headers?: { get(name: string): string | undefined } };
}

/** Native error codes that mean "this blob is not there" (safe to treat as absent). */
export const BLOB_ABSENT_CODES: ReadonlySet<string> = new Set(['BlobNotFound']);

const UNAUTHENTICATED = new Set([
  'AuthenticationFailed',
  'NoAuthenticationInformation',
  'InvalidAuthenticationInfo',
  'ExpiredToken',
]);
const PERMISSION_DENIED = new Set([
  'AuthorizationPermissionMismatch',
  'AuthorizationFailure',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'AuthorizationSourceIPMismatch',
  'AuthorizationProtocolMismatch',
  'InsufficientAccountPermissions',
  'AccountIsDisabled',
  'BlobImmutableDueToPolicy',
]);
const PRECONDITION = new Set([
  'ConditionNotMet',
  'TargetConditionNotMet',
  'SourceConditionNotMet',
  'LeaseIdMissing',
  'LeaseIdMismatchWithBlobOperation',
  'LeaseNotPresentWithBlobOperation',
  'BlobBeingRehydrated',
  'PendingCopyOperation',
]);
const INVALID_ARGUMENT = new Set([
  'InvalidRange',
  'InvalidMetadata',
  'InvalidHeaderValue',
  'InvalidQueryParameterValue',
  'InvalidBlobOrBlock',
  'InvalidBlockId',
  'InvalidBlockList',
  'InvalidResourceName',
  'OutOfRangeInput',
  'RequestBodyTooLarge',
  'BlockCountExceedsLimit',
  'InvalidBlobTier',
  'Md5Mismatch',
  'BlobArchived',
  'UnsupportedHeader',
]);

/** The native error code of an SDK error, if any (`BlobNotFound`, `ConditionNotMet`, ...). */
export function azureErrorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as AzureRestErrorLike;
  const details = err.details as { errorCode?: unknown } | undefined;
  if (typeof details?.errorCode === 'string') return details.errorCode;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** Whether `e` says the blob itself is absent (not the container). */
export function isBlobAbsent(e: unknown): boolean {
  const code = azureErrorCode(e);
  if (code !== undefined) return BLOB_ABSENT_CODES.has(code);
  return (e as AzureRestErrorLike | null)?.statusCode === 404;
}

/**
 * Turns anything the SDK threw into a `StorageError` whose message says what
 * to do. Secrets never reach the message: the SDK's message is redacted by
 * `StorageError` and the cause keeps only the name, message, code and status
 * (never the request, whose URL may carry a SAS and whose headers carry the
 * `Authorization` header).
 */
export function toAzureError(e: unknown, context: AzureErrorContext): StorageError {
  if (isStorageError(e)) return e;
  const { operation, key, container } = context;
  const base = { backend: 'azure', operation, key, cause: e };
  if (isAbortError(e)) return new StorageError('Aborted', `${operation} was aborted`, base);
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as AzureRestErrorLike;
  const status = typeof err.statusCode === 'number' ? err.statusCode : undefined;
  const code = azureErrorCode(e);
  const what = key === undefined ? `container ${JSON.stringify(container)}` : JSON.stringify(key);
  const native = nativeSummary(err, code);
  const make = (
    storageCode: ErrorCode,
    hint: string,
    extra: { retryable?: boolean; retryAfterMs?: number } = {},
  ) => new StorageError(storageCode, `${hint}${native}`, { ...base, status, ...extra });

  if (status === undefined && code !== undefined && /^(E[A-Z]+|REQUEST_SEND_ERROR)$/.test(code)) {
    // Network: connection refused or reset, DNS, TLS.
    return make(
      'Unavailable',
      `Could not reach Azure Blob Storage for ${operation} of ${what}; check the endpoint and the network.`,
      { retryable: true },
    );
  }
  if (code === 'ERR_INVALID_ARG_TYPE' && status === undefined) {
    // Node refused a chunk of the body stream (a number, an object): the caller's body is wrong.
    return make(
      'InvalidArgument',
      'A body stream yielded something that is not bytes; streams must yield Uint8Array chunks.',
    );
  }
  if (code === 'ContainerNotFound') {
    return make(
      'NotFound',
      `The container ${JSON.stringify(container)} does not exist: create it (e.g. \`az storage container create\`) or fix the \`container\` option.`,
    );
  }
  if (code === 'BlobNotFound' || (status === 404 && code !== 'ResourceNotFound')) {
    return make('NotFound', `No object at ${what}.`);
  }
  if (code === 'ResourceNotFound') {
    return make(
      'NotFound',
      `Azure found no such resource for ${operation} of ${what}; check the account and container names.`,
    );
  }
  if (code === 'BlobAlreadyExists' || code === 'ContainerAlreadyExists') {
    return make('AlreadyExists', `An object already exists at ${what}.`);
  }
  if (status === 304) {
    return make(
      'PreconditionFailed',
      `The object at ${what} still has the etag given in ifNoneMatch (not modified).`,
    );
  }
  if ((code !== undefined && PRECONDITION.has(code)) || status === 412) {
    return make(
      'PreconditionFailed',
      `The condition on ${what} was not met: the object changed or is absent (its etag differs from ifMatch).`,
    );
  }
  if ((code !== undefined && UNAUTHENTICATED.has(code)) || status === 401) {
    return make(
      'Unauthenticated',
      'Azure rejected the credentials: check the account name and key, that the SAS token has not expired, and that the machine clock is right.',
    );
  }
  if ((code !== undefined && PERMISSION_DENIED.has(code)) || status === 403) {
    return make(
      'PermissionDenied',
      `The credentials may not ${operation} ${what}: grant a role such as "Storage Blob Data Contributor" on the container, or a SAS with the needed permissions.`,
    );
  }
  if (
    code === 'ServerBusy' ||
    code === 'IngressOverAccountLimit' ||
    code === 'EgressOverAccountLimit' ||
    status === 429
  ) {
    return make(
      'RateLimited',
      'Azure Storage is throttling requests (ServerBusy); slow down or retry later.',
      {
        retryAfterMs: retryAfterMs(err),
      },
    );
  }
  if (code === 'OperationTimedOut') {
    return make('Timeout', `Azure timed out the ${operation} of ${what}; retry, or use smaller blocks.`);
  }
  if (code === 'BlobArchived') {
    return make(
      'InvalidArgument',
      `The blob at ${what} is in the Archive tier: rehydrate it to Hot or Cool before reading it.`,
    );
  }
  if (code === 'InvalidRange' || status === 416) {
    return make('InvalidArgument', `The range is outside the object at ${what}.`);
  }
  if (code === 'InvalidMetadata') {
    return make(
      'InvalidArgument',
      'Azure rejected the metadata: names must be identifiers and values ASCII.',
    );
  }
  if ((code !== undefined && INVALID_ARGUMENT.has(code)) || status === 400 || status === 413) {
    return make('InvalidArgument', `Azure rejected the ${operation} of ${what} as invalid.`);
  }
  if (code === 'AccountLimitExceeded' || code === 'ContainerQuotaExceeded') {
    return make('QuotaExceeded', 'The storage account is full or over a limit.');
  }
  if (status !== undefined && status >= 500) {
    return make(
      'Unavailable',
      `Azure Storage failed the ${operation} of ${what} (HTTP ${status}); retry later.`,
      {
        retryable: true,
        retryAfterMs: retryAfterMs(err),
      },
    );
  }
  return make('Unknown', `The ${operation} of ${what} failed.`);
}

/** " (Azure: BlobNotFound, HTTP 404: The specified blob does not exist.)" without RequestId/Time lines. */
function nativeSummary(err: AzureRestErrorLike, code: string | undefined): string {
  const firstLine = typeof err.message === 'string' ? (err.message.split('\n')[0] ?? '').trim() : '';
  const parts = [code, err.statusCode === undefined ? undefined : `HTTP ${err.statusCode}`].filter(Boolean);
  if (parts.length === 0 && firstLine === '') return '';
  const head = parts.length > 0 ? parts.join(', ') : '';
  const text = firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine;
  return ` (Azure: ${head}${head && text ? ': ' : ''}${text})`;
}

function retryAfterMs(err: AzureRestErrorLike): number | undefined {
  const header = err.response?.headers?.get('retry-after');
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
