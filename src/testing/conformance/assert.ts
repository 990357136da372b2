/**
 * Assertions of the conformance kit. The kit runs under any test runner, so
 * it cannot use vitest's or jest's `expect`; these throw `AssertionError`
 * with a message that says what the contract expected.
 */
import { AssertionError, deepStrictEqual } from 'node:assert';
import type { Entry } from '../../core/backend.js';
import { ERROR_CODES, type ErrorCode, isStorageError, type StorageError } from '../../core/errors.js';
import { compareKeys } from '../../core/keys.js';

/** Fails the test with `message`. */
export function fail(message: string): never {
  throw new AssertionError({ message });
}

/** Fails unless `condition` holds. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** Fails unless `actual === expected`. */
export function equal<T>(actual: T, expected: T, what: string): void {
  if (!Object.is(actual, expected)) {
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Fails unless `actual` deep-equals `expected`. */
export function deepEqual(actual: unknown, expected: unknown, what: string): void {
  try {
    deepStrictEqual(actual, expected);
  } catch {
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Fails unless the bytes are identical (reports the first difference, not the whole body). */
export function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  ensure(actual instanceof Uint8Array, `${what}: expected a Uint8Array, got ${show(actual)}`);
  if (actual.byteLength !== expected.byteLength) {
    fail(`${what}: expected ${expected.byteLength} bytes, got ${actual.byteLength}`);
  }
  for (let i = 0; i < expected.byteLength; i++) {
    if (actual[i] !== expected[i]) {
      fail(`${what}: bytes differ first at offset ${i} (expected ${expected[i]}, got ${actual[i]})`);
    }
  }
}

/** Checks that `error` is a StorageError with a code from the closed set (the contract's only rejection). */
export function storageError(error: unknown, what: string): StorageError {
  if (!isStorageError(error)) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : show(error);
    fail(`${what}: expected a StorageError, got ${detail}`);
  }
  ensure(
    (ERROR_CODES as readonly string[]).includes(error.code),
    `${what}: error code ${show(error.code)} is not in the closed set`,
  );
  ensure(typeof error.retryable === 'boolean', `${what}: error.retryable must be a boolean`);
  return error;
}

/**
 * Awaits `action` (a promise, or a function returning one) and checks it
 * rejects with a StorageError of one of `codes`. Returns the error.
 */
export async function rejectsWith(
  action: Promise<unknown> | (() => Promise<unknown> | unknown),
  codes: ErrorCode | readonly ErrorCode[],
  what: string,
): Promise<StorageError> {
  const wanted: readonly ErrorCode[] = typeof codes === 'string' ? [codes] : codes;
  let result: unknown;
  try {
    result = typeof action === 'function' ? await action() : await action;
  } catch (e) {
    const error = storageError(e, what);
    ensure(
      wanted.includes(error.code),
      `${what}: expected ${wanted.join(' or ')}, got ${error.code} (${error.message})`,
    );
    return error;
  }
  return fail(
    `${what}: expected a rejection with ${wanted.join(' or ')}, but it resolved with ${show(result)}`,
  );
}

/** Awaits `action` and rethrows a non-StorageError rejection as an assertion failure. */
export async function resolves<T>(action: Promise<T>, what: string): Promise<T> {
  try {
    return await action;
  } catch (e) {
    storageError(e, what);
    throw e;
  }
}

/** Keys of a listing, in the order yielded. */
export function keysOf(entries: readonly Entry[]): string[] {
  return entries.map((e) => (e.type === 'prefix' ? `${e.key} (prefix)` : e.key));
}

/** Sorts keys in UTF-8 byte order (the order `list` must yield). */
export function byteOrder(keys: readonly string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

/** Fails unless `keys` are strictly ascending in UTF-8 byte order. */
export function ascending(keys: readonly string[], what: string): void {
  for (let i = 1; i < keys.length; i++) {
    if (compareKeys(keys[i - 1]!, keys[i]!) >= 0) {
      fail(
        `${what}: ${show(keys[i - 1])} is listed before ${show(keys[i])} (not ascending UTF-8 byte order)`,
      );
    }
  }
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.byteLength})`;
  if (value instanceof Date) return `Date(${value.toISOString()})`;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 300 ? `${text.slice(0, 297)}...` : text;
  } catch {
    return String(value);
  }
}
