/**
 * Option validation shared by every factory: one zod schema per adapter or
 * middleware, one message format for every problem.
 */
import type { z } from 'zod';
import { StorageError } from './errors.js';

/**
 * Validates `input` against `schema`, or throws `InvalidConfig` listing each
 * problem with its path: `[stowage] [s3] Invalid options: bucket: Required`.
 * Values are never echoed, so a secret in a wrong field stays out of the message.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, who: string): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(options)';
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown option(s) ${(issue as { keys: string[] }).keys.map((k) => `\`${k}\``).join(', ')}`
        : issue.message;
    return `${path}: ${message}`;
  });
  throw new StorageError('InvalidConfig', `[stowage] [${who}] Invalid options: ${problems.join('; ')}.`, {
    backend: who,
  });
}
