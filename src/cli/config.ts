/**
 * The optional `stowage.config.json`: named backends per workspace (like
 * rclone remotes) and an on-disk cache. Looked up in the current directory,
 * or given with `--config FILE`.
 *
 * ```json
 * {
 *   "backends": {
 *     "work": { "backend": "s3", "bucket": "company-personas", "prefix": "product-research/", "region": "eu-west-2" },
 *     "home": "file:///srv/personas"
 *   },
 *   "cache": { "dir": ".stowage-cache", "ttl": "1h", "maxSize": "1GiB" }
 * }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { BACKENDS } from '../create.js';
import { parseOptions } from '../core/config.js';
import { StorageError } from '../core/errors.js';

/** Default file name looked up in the working directory. */
export const CONFIG_FILE = 'stowage.config.json';

const backendEntry = z.union([z.string().min(1), z.object({ backend: z.enum(BACKENDS) }).passthrough()]);

/** The zod schema of `stowage.config.json`. */
export const cliConfigSchema = z
  .object({
    $schema: z.string().optional(),
    backends: z
      .record(z.string().regex(/^[A-Za-z][\w-]*$/, 'names are letters, digits, - and _'), backendEntry)
      .default({}),
    cache: z
      .object({
        dir: z.string().min(1),
        ttl: z.union([z.string(), z.number()]).optional(),
        maxSize: z.union([z.string(), z.number()]).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A parsed `stowage.config.json`. */
export type CliConfig = z.output<typeof cliConfigSchema>;

/**
 * Reads the config file: `path` when given (must exist), else
 * `./stowage.config.json` when present, else an empty config.
 */
export async function loadConfig(path?: string, cwd = process.cwd()): Promise<CliConfig> {
  const file = resolve(cwd, path ?? CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (path === undefined && (e as NodeJS.ErrnoException).code === 'ENOENT') return { backends: {} };
    throw new StorageError('InvalidConfig', `Cannot read the config file ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new StorageError(
      'InvalidConfig',
      `The config file ${file} is not valid JSON: ${(e as Error).message}`,
    );
  }
  return parseOptions(cliConfigSchema, json, 'config');
}
