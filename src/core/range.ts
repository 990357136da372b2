/** Range arithmetic shared by backends that slice bytes themselves. */
import type { ByteRange } from './backend.js';
import { StorageError } from './errors.js';

/**
 * Resolves a validated range against an object's size into `[start, end)`.
 * Offset 0 is always valid (an empty object yields nothing); otherwise an
 * offset at or past the end throws `InvalidArgument`; a length past the end is
 * clipped.
 */
export function resolveRange(range: ByteRange | undefined, size: number): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size };
  const { offset, length } = range;
  if (offset > 0 && offset >= size) {
    throw new StorageError(
      'InvalidArgument',
      `The range starts at byte ${offset} but the object has only ${size} bytes; ask for an offset below ${size}.`,
    );
  }
  const end = length === undefined ? size : Math.min(size, offset + length);
  return { start: offset, end: Math.max(offset, end) };
}

/**
 * Throws `InvalidArgument` unless `range` is `{ offset, length? }` with
 * non-negative safe integers. Checked before any I/O.
 */
export function assertRange(range: ByteRange): void {
  if (range === null || typeof range !== 'object') {
    throw new StorageError('InvalidArgument', '`range` must be { offset, length? }.');
  }
  if (!Number.isSafeInteger(range.offset) || range.offset < 0) {
    throw new StorageError(
      'InvalidArgument',
      `\`range.offset\` must be a non-negative integer; got ${range.offset}.`,
    );
  }
  if (range.length !== undefined && (!Number.isSafeInteger(range.length) || range.length < 0)) {
    throw new StorageError(
      'InvalidArgument',
      `\`range.length\` must be a non-negative integer; got ${range.length}.`,
    );
  }
}
