/**
 * Per-call option checks shared by every backend: the option names each
 * operation knows (anything else is a typo and fails), metadata rules, and
 * presigned-URL lifetimes.
 */
import type { CopyOptions } from './backend.js';
import { StorageError } from './errors.js';
import { parseDuration } from './units.js';

/** Option names each operation accepts. */
export const OPTION_NAMES = {
  read: new Set(['range', 'ifMatch', 'ifNoneMatch', 'version', 'signal', 'onProgress']),
  stat: new Set(['version', 'ifMatch', 'ifNoneMatch', 'signal']),
  write: new Set([
    'contentType',
    'metadata',
    'cacheControl',
    'contentDisposition',
    'contentEncoding',
    'ifNotExists',
    'ifMatch',
    'size',
    'storageClass',
    'partSize',
    'concurrency',
    'signal',
    'onProgress',
  ]),
  list: new Set(['recursive', 'startAfter', 'limit', 'pageSize', 'signal']),
  delete: new Set(['version', 'signal']),
  signal: new Set(['signal']),
  copy: new Set(['ifNotExists', 'metadata', 'contentType', 'storageClass', 'signal']),
  presign: new Set(['method', 'expiresIn', 'contentType']),
} as const;

/** Longest presigned URL lifetime accepted (7 days, the S3 and GCS limit). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Rejects option objects that are not objects or carry unknown keys (typos such as `ifNotExist`). */
export function checkKnownOptions(options: object, allowed: ReadonlySet<string>, operation: string): void {
  if (options === null || typeof options !== 'object') {
    throw new StorageError('InvalidArgument', `Options of ${operation} must be an object.`);
  }
  for (const name of Object.keys(options)) {
    if (!allowed.has(name) && (options as Record<string, unknown>)[name] !== undefined) {
      throw new StorageError(
        'InvalidArgument',
        `Unknown option \`${name}\` for ${operation}; known options: ${[...allowed].join(', ')}.`,
      );
    }
  }
}

/** Lower-cases metadata keys; rejects non-ASCII keys and non-string values. */
export function normalizeMetadata(metadata: Record<string, string>): Record<string, string> {
  if (metadata === null || typeof metadata !== 'object') {
    throw new StorageError('InvalidArgument', '`metadata` must be an object of strings.');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (!/^[\x21-\x7e]+$/.test(name) || /[:()<>@,;\\"/[\]?={}]/.test(name)) {
      throw new StorageError(
        'InvalidArgument',
        `Metadata key ${JSON.stringify(name)} must be printable ASCII without spaces or separators.`,
      );
    }
    if (typeof value !== 'string') {
      throw new StorageError(
        'InvalidArgument',
        `Metadata value of ${JSON.stringify(name)} must be a string.`,
      );
    }
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** Copy options with their metadata normalised. */
export function normalizeCopyOptions(options: CopyOptions): CopyOptions {
  return options.metadata === undefined
    ? options
    : { ...options, metadata: normalizeMetadata(options.metadata) };
}

/**
 * A presigned URL's lifetime in whole seconds: a number is seconds, a string
 * a duration ('15m'). Throws `InvalidArgument` outside 1 second .. 7 days.
 */
export function presignSeconds(expiresIn: number | string): number {
  const ms = parseDuration(expiresIn, 'expiresIn', 'InvalidArgument');
  const seconds = typeof expiresIn === 'number' ? expiresIn : Math.round(ms / 1000);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw new StorageError(
      'InvalidArgument',
      `\`expiresIn\` must be between 1 second and 7 days; got ${JSON.stringify(expiresIn)}.`,
    );
  }
  return seconds;
}
