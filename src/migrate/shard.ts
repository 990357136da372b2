/**
 * Sharding: several processes (or machines) share one migration by each
 * taking the keys whose stable hash falls in its shard. The hash is FNV-1a
 * (32-bit) over the UTF-8 bytes of the key relative to the source prefix, so
 * every process agrees without talking to the others, whatever its platform.
 */
import { StorageError } from '../core/errors.js';

const encoder = new TextEncoder();

/** FNV-1a, 32-bit, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    // hash *= 16777619, kept in 32 bits.
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A shard: this process takes the keys with `hash % count === index`. */
export interface Shard {
  /** This process's shard, 0-based. */
  index: number;
  /** How many shards there are in all. */
  count: number;
}

/** Throws `InvalidArgument` unless `shard` is `{ index, count }` with 0 <= index < count. */
export function checkShard(shard: Shard | undefined): void {
  if (shard === undefined) return;
  const { index, count } = shard ?? {};
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new StorageError(
      'InvalidArgument',
      `\`shard\` must be { index, count } with integers 0 <= index < count; got ${JSON.stringify(shard)}.`,
    );
  }
}

/** Whether the relative key `key` belongs to `shard` (always true without one). */
export function inShard(key: string, shard: Shard | undefined): boolean {
  if (shard === undefined || shard.count === 1) return true;
  return fnv1a32(key) % shard.count === shard.index;
}
