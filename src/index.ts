/**
 * stowage: one storage interface for Node.js.
 *
 * The core entry holds the contract, errors, keys, capabilities, `layer`,
 * `createStorage` and the `check` / `stats` helpers. Backends, middleware,
 * migration and the test kit live in their own subpaths.
 *
 * @packageDocumentation
 */
export type {
  Body,
  ByteRange,
  CopyOptions,
  DeleteManyResult,
  DeleteOptions,
  Entry,
  ListOptions,
  ObjectInfo,
  PresignedRequest,
  PresignOptions,
  Progress,
  ReadOptions,
  ServerSideCopyOptions,
  ServerSideCopySource,
  Signal,
  StatOptions,
  StorageBackend,
  WriteOptions,
} from './core/backend.js';
export {
  BaseBackend,
  checkKnownOptions,
  normalizeMetadata,
  preparedStream,
  type ResolvedListOptions,
  type ResolvedPresignOptions,
  type ResolvedWriteOptions,
} from './core/base.js';
export {
  bodyToBytes,
  collect,
  isBody,
  type MeterOptions,
  meter,
  type PreparedBody,
  prepareBody,
  toReadable,
} from './core/body.js';
export { guessContentType } from './core/content-type.js';
export { CAPABILITY_FLAGS, type Capabilities, defineCapabilities } from './core/capabilities.js';
export { parseOptions } from './core/config.js';
export {
  ERROR_CODES,
  type ErrorCode,
  isAbortError,
  isStorageError,
  redact,
  StorageError,
  type StorageErrorOptions,
  throwIfAborted,
  toStorageError,
} from './core/errors.js';
export { type CheckResult, check, extensionOf, type StorageStats, stats } from './core/helpers.js';
export {
  assertKey,
  assertPrefix,
  compareKeys,
  describeKey,
  keyProblem,
  MAX_KEY_BYTES,
  normalizePrefix,
  utf8Length,
} from './core/keys.js';
export { ForwardingBackend, layer, type Middleware } from './core/layer.js';
export { groupByDelimiter } from './core/list.js';
export { assertRange, resolveRange } from './core/range.js';
export { type Duration, parseDuration, parseSize, type Size } from './core/units.js';
export { BACKENDS, type BackendName, createStorage, parseStorageUrl, type StorageConfig } from './create.js';
export { backoffDelay, RetryBudget, type RetryPolicyOptions, retrying } from './core/retry-policy.js';
