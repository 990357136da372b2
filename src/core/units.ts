/**
 * Durations ('30s', '5m', 250) and sizes ('64MiB', '1GB', 1024) as options
 * accept them. Numbers are milliseconds and bytes.
 */
import { type ErrorCode, StorageError } from './errors.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/** A duration: milliseconds, or a string such as '250ms', '30s', '5m', '1h', '1d'. */
export type Duration = number | string;
/** A size: bytes, or a string such as '512KiB', '64MiB', '1GB', '10M'. */
export type Size = number | string;

/**
 * Parses a {@link Duration} into milliseconds. Throws a `StorageError` with
 * `code` (default `InvalidConfig`) naming the option when it is not one.
 */
export function parseDuration(value: Duration, option: string, code: ErrorCode = 'InvalidConfig'): number {
  return parseUnit(value, option, DURATION_UNITS, 'a duration such as 250, "30s", "5m" or "1h"', code);
}

/**
 * Parses a {@link Size} into bytes. Throws a `StorageError` with `code`
 * (default `InvalidConfig`) naming the option when it is not one.
 */
export function parseSize(value: Size, option: string, code: ErrorCode = 'InvalidConfig'): number {
  return Math.floor(
    parseUnit(value, option, SIZE_UNITS, 'a size such as 1048576, "512KiB", "64MiB" or "1GB"', code),
  );
}

function parseUnit(
  value: unknown,
  option: string,
  units: Record<string, number>,
  expected: string,
  code: ErrorCode,
): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
    if (match) {
      const unit = match[2]!.toLowerCase();
      const factor = unit === '' ? 1 : units[unit];
      if (factor !== undefined) return Number(match[1]) * factor;
    }
  }
  throw new StorageError(code, `Option \`${option}\` must be ${expected}; got ${JSON.stringify(value)}.`);
}
