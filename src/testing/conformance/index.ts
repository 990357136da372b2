/**
 * The conformance kit: the contract's behaviour suite (DESIGN §2 and the
 * "Behaviour" doc comments of `StorageBackend`), registered with any test
 * runner against any backend. Every stowage backend and middleware runs it;
 * third-party adapters can too.
 */
import type { StorageBackend } from '../../core/backend.js';
import { abortTests } from './abort.js';
import { conditionalTests } from './conditional.js';
import { type ConformanceRunner, createContext, type KitContext } from './context.js';
import { copyTests } from './copy.js';
import { deleteTests } from './delete.js';
import { errorTests } from './errors.js';
import { keyTests } from './keys.js';
import { listTests } from './list.js';
import { metadataTests } from './metadata.js';
import { presignTests } from './presign.js';
import { progressTests } from './progress.js';
import { readTests } from './read.js';
import { streamTests } from './stream.js';
import { writeTests } from './write.js';

export type { ConformanceRunner, TestScope } from './context.js';
export {
  type ErroringStreamOptions,
  fixtures,
  randomPrefix,
  type SlowStreamOptions,
} from './fixtures.js';

/** The behaviour groups of the kit, in the order they are registered. */
export const CONFORMANCE_GROUPS = [
  'keys',
  'write',
  'read',
  'stream',
  'conditional',
  'metadata',
  'list',
  'delete',
  'copy',
  'abort',
  'progress',
  'presign',
  'errors',
] as const;

/** One of {@link CONFORMANCE_GROUPS}. */
export type ConformanceGroup = (typeof CONFORMANCE_GROUPS)[number];

const REGISTER: Record<ConformanceGroup, (kit: KitContext) => void> = {
  keys: keyTests,
  write: writeTests,
  read: readTests,
  stream: streamTests,
  conditional: conditionalTests,
  metadata: metadataTests,
  list: listTests,
  delete: deleteTests,
  copy: copyTests,
  abort: abortTests,
  progress: progressTests,
  presign: presignTests,
  errors: errorTests,
};

/** The default teardown: `close()` twice, since `close` must be idempotent. */
async function closeTwice(backend: StorageBackend): Promise<void> {
  await backend.close();
  await backend.close();
}

/** Options of {@link conformance}. */
export interface ConformanceOptions {
  /** Name of the suite, e.g. 'memory' or 's3 (moto)'; the top-level `describe` is `conformance: <name>`. */
  readonly name: string;
  /**
   * Makes the backend under test. Called once, before the first test; the
   * tests share it, each in its own random prefix (`conf-<random>/`), so
   * several suites may share one bucket.
   */
  readonly create: () => StorageBackend | Promise<StorageBackend>;
  /**
   * Tears the backend down after the last test (e.g. close it, delete a temp
   * directory). Each test already deletes what it wrote, best effort.
   * @default calls `backend.close()` twice (close must be idempotent)
   */
  readonly destroy?: (backend: StorageBackend) => Promise<void> | void;
  /**
   * Your runner's `describe` and `it`, plus `beforeAll`/`afterAll` (vitest,
   * jest) or `before`/`after` (node:test).
   */
  readonly runner: ConformanceRunner;
  /**
   * Deadline of each test in ms (the kit enforces it itself, and passes it to
   * vitest/jest as the test timeout).
   * @default 60000
   */
  readonly timeout?: number;
  /**
   * Run the heavy variants: 1,100 keys listed in pages of 100, 1,234 keys in
   * one `deleteMany`. Turn off for slow or rate-limited backends; the light
   * variants (a few hundred keys) still run.
   * @default true
   */
  readonly heavy?: boolean;
  /**
   * Only these behaviour groups (e.g. while developing an adapter).
   * @default every group in {@link CONFORMANCE_GROUPS}
   */
  readonly groups?: readonly ConformanceGroup[];
  /**
   * First part of each test's random prefix.
   * @default 'conf'
   */
  readonly prefixLabel?: string;
}

/**
 * Registers the whole behaviour suite against a backend. Call it at the top
 * level of a test file; it adds one `describe` with one test per behaviour
 * sentence of the contract. Tests of a capability the backend declares
 * `false` assert that the option rejects with `Unsupported` (nothing is
 * skipped silently).
 *
 * @example vitest
 * ```ts
 * import { afterAll, beforeAll, describe, it } from 'vitest';
 * import { conformance } from 'stowage/testing';
 * import { memory } from 'stowage/memory';
 *
 * conformance({ name: 'memory', create: () => memory(), runner: { describe, it, beforeAll, afterAll } });
 * ```
 *
 * @example jest (globals)
 * ```ts
 * import { conformance } from 'stowage/testing';
 * import { myBackend } from '../src/index.js';
 *
 * conformance({
 *   name: 'my-backend',
 *   create: () => myBackend({ bucket: 'test' }),
 *   runner: { describe, it, beforeAll, afterAll },
 * });
 * ```
 *
 * @example node:test (`node --test --import tsx`)
 * ```ts
 * import { after, before, describe, it } from 'node:test';
 * import { conformance } from 'stowage/testing';
 * import { local } from 'stowage/local';
 *
 * conformance({
 *   name: 'local',
 *   create: () => local({ root: '/tmp/stowage-conformance' }),
 *   runner: { describe, it, before, after },
 * });
 * ```
 */
export function conformance(options: ConformanceOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('conformance() needs options: { name, create, runner }.');
  }
  const { name, create, runner } = options;
  if (typeof name !== 'string' || name === '')
    throw new TypeError('conformance: `name` must be a non-empty string.');
  if (typeof create !== 'function')
    throw new TypeError('conformance: `create` must be a function returning a backend.');
  if (
    runner === null ||
    typeof runner !== 'object' ||
    typeof runner.describe !== 'function' ||
    typeof runner.it !== 'function'
  ) {
    throw new TypeError(
      'conformance: `runner` must have `describe` and `it` (and `beforeAll`/`afterAll` or `before`/`after`).',
    );
  }
  const timeout = options.timeout ?? 60_000;
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new TypeError('conformance: `timeout` must be a positive number of ms.');
  const groups = options.groups ?? CONFORMANCE_GROUPS;
  for (const group of groups) {
    if (!(group in REGISTER)) {
      throw new TypeError(
        `conformance: unknown group ${JSON.stringify(group)}; groups are ${CONFORMANCE_GROUPS.join(', ')}.`,
      );
    }
  }
  runner.describe(`conformance: ${name}`, () => {
    const kit = createContext({
      runner,
      create,
      destroy: options.destroy ?? closeTwice,
      timeout,
      heavy: options.heavy ?? true,
      prefixLabel: options.prefixLabel ?? 'conf',
    });
    for (const group of CONFORMANCE_GROUPS) if (groups.includes(group)) REGISTER[group](kit);
  });
}
