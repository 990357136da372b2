/**
 * Key rules, identical on every backend. A key is a `/`-separated string with
 * no leading `/`, 1..1024 bytes of UTF-8, no NUL or control character, no `.`
 * or `..` segment and no empty segment. Keys are case-sensitive and stored
 * byte-exact: no Unicode normalisation, no decoding of `%` or `+`.
 */
import { StorageError } from './errors.js';

/** The longest key, in bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

const encoder = new TextEncoder();

// C0 controls, DEL and C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `key` is not a valid object key, or `undefined` when it is. */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key === 'string' && isPlainValidKey(key)) return undefined;
  if (typeof key !== 'string') return `a key must be a string, got ${key === null ? 'null' : typeof key}`;
  if (key.length === 0) return 'a key must not be empty';
  const bytes = utf8Length(key);
  if (bytes > MAX_KEY_BYTES)
    return `a key must be at most ${MAX_KEY_BYTES} bytes of UTF-8, this one is ${bytes}`;
  if (CONTROL.test(key)) return 'a key must not contain NUL or control characters';
  if (key.startsWith('/')) return "a key must not start with '/' (keys are relative to the backend's root)";
  if (key.endsWith('/')) return "a key ending in '/' names a folder, not an object";
  if (hasLoneSurrogate(key)) return 'a key must be valid Unicode (it contains a lone surrogate)';
  for (const segment of key.split('/')) {
    if (segment === '') return "a key must not contain an empty segment ('//')";
    if (segment === '.' || segment === '..') return `a key must not contain a '${segment}' segment`;
  }
  return undefined;
}

/**
 * The common case in one pass and no allocation: a key of printable ASCII
 * (U+0020..U+007E) that breaks no rule. True only for keys the full checks of
 * {@link keyProblem} accept; anything else (other characters, or any broken
 * rule) goes through them, so their messages and order stay as they are.
 * Every call of every backend validates its key, so this is on every path.
 */
function isPlainValidKey(key: string): boolean {
  const n = key.length;
  if (n === 0 || n > MAX_KEY_BYTES) return false;
  let segmentStart = 0;
  // `i === n` closes the last segment as a '/' would.
  for (let i = 0; i <= n; i++) {
    const c = i < n ? key.charCodeAt(i) : 0x2f;
    if (c === 0x2f) {
      const length = i - segmentStart;
      // An empty segment ('//', or a leading or trailing '/'), '.' or '..'.
      if (length === 0) return false;
      if (
        length <= 2 &&
        key.charCodeAt(segmentStart) === 0x2e &&
        (length === 1 || key.charCodeAt(i - 1) === 0x2e)
      ) {
        return false;
      }
      segmentStart = i + 1;
    } else if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

/**
 * Throws `InvalidKey` unless `key` is a valid object key. Every backend calls
 * this before any I/O.
 */
export function assertKey(key: unknown, operation?: string): asserts key is string {
  const problem = keyProblem(key);
  if (problem !== undefined) {
    throw new StorageError('InvalidKey', `Invalid key ${describeKey(key)}: ${problem}.`, {
      operation,
      key: typeof key === 'string' ? key : undefined,
    });
  }
}

/**
 * Throws `InvalidKey` unless `prefix` is a valid listing prefix: any string
 * (including '') that could start a valid key: no leading '/', no control
 * characters, at most 1024 bytes. A prefix need not end at a '/'.
 */
export function assertPrefix(prefix: unknown, operation = 'list'): asserts prefix is string {
  let problem: string | undefined;
  if (typeof prefix !== 'string') problem = `a prefix must be a string, got ${typeof prefix}`;
  else if (utf8Length(prefix) > MAX_KEY_BYTES) problem = `a prefix must be at most ${MAX_KEY_BYTES} bytes`;
  else if (CONTROL.test(prefix)) problem = 'a prefix must not contain NUL or control characters';
  else if (prefix.startsWith('/')) problem = "a prefix must not start with '/'";
  else if (hasLoneSurrogate(prefix)) problem = 'a prefix must be valid Unicode';
  else if (/(^|\/)\.{1,2}\//.test(prefix) || prefix.includes('//'))
    problem = "a prefix must not contain '.', '..' or empty segments";
  if (problem !== undefined) {
    throw new StorageError('InvalidKey', `Invalid prefix ${describeKey(prefix)}: ${problem}.`, { operation });
  }
}

/** Length of `s` in bytes of UTF-8, without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function hasLoneSurrogate(s: string): boolean {
  return !(s as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Compares two strings in the order of their UTF-8 bytes (the order every
 * backend lists in). JavaScript's `<` compares UTF-16 code units, which
 * disagrees for characters above U+FFFF against U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800-DFFF) encode code points above FFFF, which sort after
    // E000-FFFF in UTF-8; lift them above the BMP for the comparison.
    const xs = x >= 0xd800 && x <= 0xdfff ? x + 0x10000 : x;
    const ys = y >= 0xd800 && y <= 0xdfff ? y + 0x10000 : y;
    return xs - ys;
  }
  return a.length - b.length;
}

/** Joins a backend prefix ('' or ending in '/') and a key. */
export function joinKey(prefix: string, key: string): string {
  return prefix + key;
}

/**
 * Normalises a configured root prefix: '' stays '', otherwise strips leading
 * slashes and makes sure it ends with exactly one '/'. Throws `InvalidConfig`
 * when it contains a '.', '..' or empty segment.
 */
export function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return '';
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  const problem = keyProblem(trimmed);
  if (problem !== undefined) {
    throw new StorageError('InvalidConfig', `Invalid prefix option ${describeKey(prefix)}: ${problem}.`);
  }
  return `${trimmed}/`;
}

/** Quotes a key for a message, shortened so a huge key does not flood logs. */
export function describeKey(key: unknown): string {
  if (typeof key !== 'string') return String(key);
  const shown = key.length > 80 ? `${key.slice(0, 77)}...` : key;
  return JSON.stringify(shown);
}

/** Bytes of a string in UTF-8 (shared encoder). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
