/**
 * The one error type of stowage. Every backend maps its native failures onto
 * the closed set of codes below in its own `errors.ts`, so callers branch on
 * `code` and never on provider messages.
 */

/** The closed set of error codes. */
export const ERROR_CODES = [
  'NotFound',
  'AlreadyExists',
  'PreconditionFailed',
  'PermissionDenied',
  'Unauthenticated',
  'InvalidKey',
  'InvalidArgument',
  'InvalidConfig',
  'Unsupported',
  'RateLimited',
  'Unavailable',
  'Timeout',
  'Aborted',
  'IntegrityError',
  'QuotaExceeded',
  'Unknown',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

// A global symbol, so two copies of this module mark errors the same way.
const STORAGE_ERROR_BRAND: unique symbol = Symbol.for('stowage.StorageError') as never;

/** Codes that are worth retrying unless the thrower says otherwise. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['RateLimited', 'Unavailable', 'Timeout']);

/** Options of the {@link StorageError} constructor. */
export interface StorageErrorOptions {
  /** Whether repeating the same call may succeed. @default true for RateLimited, Unavailable, Timeout; false otherwise */
  retryable?: boolean;
  /** The backend `kind` that raised it ('s3', 'local', ...). */
  backend?: string;
  /** The operation that failed ('read', 'write', ...). */
  operation?: string;
  /** The key the operation was about, when there is one. */
  key?: string;
  /** HTTP status, when the failure came from an HTTP service. */
  status?: number;
  /** How long the service asked us to wait before trying again. */
  retryAfterMs?: number;
  /** The underlying error (redacted of secrets). */
  cause?: unknown;
}

/**
 * The error every stowage operation rejects with.
 *
 * Guard with {@link isStorageError} rather than `instanceof`, so errors raised
 * by two copies of the package (e.g. a CLI and a library) still agree.
 *
 * @example
 * ```ts
 * try { await storage.read('a.txt'); }
 * catch (e) { if (isStorageError(e, 'NotFound')) return null; throw e; }
 * ```
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  /** What went wrong, from the closed set {@link ERROR_CODES}. */
  readonly code: ErrorCode;
  /** Whether repeating the same call may succeed. */
  readonly retryable: boolean;
  /** The backend `kind` that raised it. */
  backend?: string;
  /** The operation that failed. */
  operation?: string;
  /** The key the operation was about. */
  key?: string;
  /** HTTP status of the failed request, if any. */
  readonly status?: number;
  /** How long the service asked to wait before retrying, in ms. */
  readonly retryAfterMs?: number;
  /** Marks the object for {@link isStorageError} across package copies. */
  readonly [STORAGE_ERROR_BRAND] = true;

  constructor(code: ErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: redactCause(options.cause) });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    if (options.backend !== undefined) this.backend = options.backend;
    if (options.operation !== undefined) this.operation = options.operation;
    if (options.key !== undefined) this.key = options.key;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** A plain object for logs and `--json` output (no stack, no cause). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      backend: this.backend,
      operation: this.operation,
      key: this.key,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

/**
 * Whether `e` is a {@link StorageError} (from any copy of stowage), and, when
 * `code` is given, whether it has that code.
 *
 * @example
 * ```ts
 * if (isStorageError(err, 'NotFound')) { ... }
 * ```
 */
export function isStorageError(e: unknown, code?: ErrorCode): e is StorageError {
  if (typeof e !== 'object' || e === null) return false;
  const candidate = e as { code?: unknown; [STORAGE_ERROR_BRAND]?: unknown; name?: unknown };
  const branded = candidate[STORAGE_ERROR_BRAND] === true || candidate.name === 'StorageError';
  if (!branded || typeof candidate.code !== 'string') return false;
  return code === undefined || candidate.code === code;
}

/**
 * Fills in `backend`, `operation` and `key` on a StorageError that lacks them,
 * or wraps anything else as `Unknown`. Used by the backend base so every error
 * leaving a backend says where it came from.
 */
export function toStorageError(
  e: unknown,
  context: { backend?: string; operation?: string; key?: string },
): StorageError {
  if (isStorageError(e)) {
    if (e.backend === undefined && context.backend !== undefined) e.backend = context.backend;
    if (e.operation === undefined && context.operation !== undefined) e.operation = context.operation;
    if (e.key === undefined && context.key !== undefined) e.key = context.key;
    return e;
  }
  if (isAbortError(e)) {
    return new StorageError('Aborted', `${context.operation ?? 'operation'} was aborted`, {
      ...context,
      cause: e,
    });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new StorageError('Unknown', `${context.operation ?? 'operation'} failed: ${message}`, {
    ...context,
    cause: e,
  });
}

/** Whether `e` is a DOM/Node AbortError (what `AbortSignal` makes APIs throw). */
export function isAbortError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { name, code } = e as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'ABORT_ERR';
}

/** Throws `Aborted` if the signal has fired. Call before each request. */
export function throwIfAborted(signal: AbortSignal | undefined, operation?: string, key?: string): void {
  if (signal?.aborted) {
    throw new StorageError('Aborted', `${operation ?? 'operation'} was aborted before it started`, {
      operation,
      key,
      cause: signal.reason,
    });
  }
}

// ---------------------------------------------------------------------------
// Redaction: secrets never reach a message, a log or a `cause`.

const SECRET_PATTERNS: [RegExp, string][] = [
  // Azure connection strings and SAS tokens
  [/(AccountKey|SharedAccessSignature|SharedAccessKey)=([^;&\s"']+)/gi, '$1=[REDACTED]'],
  [/((?:^|[?&])(?:sig|se|sp|sv|skoid|sktid|skt|ske|sks|skv|sr|srt|ss)=)[^&\s"']+/gi, '$1[REDACTED]'],
  // AWS signatures, credentials and tokens in presigned URLs and headers
  [/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, '$1[REDACTED]'],
  [/(Signature=|Credential=)[^,&\s"']+/g, '$1[REDACTED]'],
  [/(x-amz-security-token:?\s*)[^\s,"']+/gi, '$1[REDACTED]'],
  [
    /(aws_secret_access_key|secretAccessKey|secret_access_key|sessionToken|accountKey|sasToken|client_secret|clientSecret|private_key|privateKey|password|token)(["']?\s*[:=]\s*["']?)[^"',;&\s}]+/gi,
    '$1$2[REDACTED]',
  ],
  // Google signed URLs
  // GCS resumable session URIs: the session id alone authorises uploads to it
  [/((?:^|[?&])upload_id=)[^&\s"']+/gi, '$1[REDACTED]'],
  [/(X-Goog-(?:Signature|Credential)=)[^&\s"']+/gi, '$1[REDACTED]'],
  // PEM private keys
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[REDACTED PRIVATE KEY]'],
  // Bearer / Authorization headers
  [/(Authorization(?::\s*|\s+)(?:(?:Bearer|SharedKey|AWS4-HMAC-SHA256)\s+)?)[^\s,"']+/gi, '$1[REDACTED]'],
];

/**
 * Replaces anything that looks like a credential in `text` with `[REDACTED]`:
 * account keys, SAS signatures, AWS signatures and session tokens, private
 * keys, bearer tokens, GCS resumable session ids.
 */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Copies an error chain with every message and string property redacted. */
function redactCause(cause: unknown, depth = 0): unknown {
  if (depth > 4) return undefined;
  if (typeof cause === 'string') return redact(cause);
  if (!(cause instanceof Error)) {
    return typeof cause === 'object' && cause !== null
      ? { name: 'Object', message: '[redacted object]' }
      : cause;
  }
  if (cause instanceof StorageError) return cause;
  const copy = new Error(redact(cause.message)) as Error & Record<string, unknown>;
  copy.name = cause.name;
  for (const prop of ['code', 'Code', 'status', 'statusCode', '$fault', 'errno', 'syscall'] as const) {
    const value = (cause as unknown as Record<string, unknown>)[prop];
    if (typeof value === 'string' || typeof value === 'number') copy[prop] = value;
  }
  const meta = (cause as unknown as { $metadata?: { httpStatusCode?: number; requestId?: string } })
    .$metadata;
  if (meta) copy.$metadata = { httpStatusCode: meta.httpStatusCode, requestId: meta.requestId };
  if (cause.stack) copy.stack = redact(cause.stack);
  if (cause.cause !== undefined) (copy as Error).cause = redactCause(cause.cause, depth + 1);
  return copy;
}
