/**
 * `stowage/memory`: an in-memory backend for tests, caches and examples.
 * Zero dependencies; every capability it can honestly have.
 *
 * @example
 * ```ts
 * import { memory } from 'stowage/memory';
 * const storage = memory();
 * await storage.write('hello.txt', 'hi');
 * storage.reset(); // between tests
 * ```
 */
import { z } from 'zod';
import { parseOptions } from '../../core/config.js';
import { MemoryBackend } from './backend.js';
import { tableFor } from './store.js';

export { MEMORY_CAPABILITIES, MemoryBackend, type MemoryLimits, type MemorySnapshot } from './backend.js';

/** Options of {@link memory}. */
export interface MemoryOptions {
  /** Share the content with every `memory({ name })` of the same name in this process (`memory://name`). @default a private store */
  name?: string;
  /** Size limits. @default none */
  limits?: { maxObjectSize?: number; maxTotalBytes?: number };
}

/** The zod schema of {@link MemoryOptions}. */
export const memoryOptionsSchema = z
  .object({
    name: z.string().min(1).optional(),
    limits: z
      .object({
        maxObjectSize: z.number().int().nonnegative().optional(),
        maxTotalBytes: z.number().int().nonnegative().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * Creates an in-memory backend.
 *
 * @example
 * ```ts
 * const storage = memory({ limits: { maxTotalBytes: 64 * 1024 * 1024 } });
 * ```
 */
export function memory(options: MemoryOptions = {}): MemoryBackend {
  const parsed = parseOptions(memoryOptionsSchema, options, 'memory');
  return new MemoryBackend(tableFor(parsed.name), parsed.limits);
}
