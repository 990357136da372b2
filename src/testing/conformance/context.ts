/**
 * The machinery every behaviour group shares: the backend under test (made
 * once, before the first test), one fresh random prefix per test with
 * best-effort cleanup afterwards, and a per-test deadline so a hung backend
 * fails a test instead of the run.
 */
import type { StorageBackend } from '../../core/backend.js';
import type { Capabilities } from '../../core/capabilities.js';
import { randomPrefix } from './fixtures.js';

/**
 * The test functions of your runner. Pass vitest's or jest's
 * `{ describe, it, beforeAll, afterAll }`, or node:test's
 * `{ describe, it, before, after }`.
 */
export interface ConformanceRunner {
  /** Groups tests (`describe` of vitest, jest and node:test). */
  describe: (name: string, body: () => void) => unknown;
  /**
   * Registers one test. The kit passes a function of no arguments (so jest
   * does not take it for a `done` callback) and the timeout in ms as the third
   * argument, which vitest and jest honour and node:test ignores (the kit
   * enforces its own deadline as well).
   */
  it: (name: string, body: () => Promise<void>, timeout?: number) => unknown;
  /** Runs once before the tests of a `describe` (vitest, jest). */
  beforeAll?: (body: () => Promise<void>, timeout?: number) => unknown;
  /** Runs once after the tests of a `describe` (vitest, jest). */
  afterAll?: (body: () => Promise<void>, timeout?: number) => unknown;
  /** node:test's name for `beforeAll`. */
  before?: (body: () => Promise<void>) => unknown;
  /** node:test's name for `afterAll`. */
  after?: (body: () => Promise<void>) => unknown;
}

/** What a kit test receives. */
export interface TestScope {
  /** The backend under test (shared by every test of the suite). */
  backend: StorageBackend;
  /** Its capabilities. */
  caps: Capabilities;
  /** This test's own prefix, e.g. `conf-lz3k9a-7f2c1d/`. Nothing else writes under it. */
  prefix: string;
  /** `prefix + name`: a key inside this test's prefix. */
  key: (name: string) => string;
  /** Whether heavy tests run (see `ConformanceOptions.heavy`). */
  heavy: boolean;
}

/** A kit test body. */
export type KitTest = (scope: TestScope) => Promise<void>;

/** What each behaviour group registers its tests with. */
export interface KitContext {
  /** Registers one test, named after the behaviour sentence it asserts. */
  it(name: string, body: KitTest): void;
  /** Groups tests. */
  describe(name: string, body: () => void): void;
}

/** Settings of one registration of the kit (after defaults). */
export interface KitSettings {
  runner: ConformanceRunner;
  create: () => StorageBackend | Promise<StorageBackend>;
  destroy?: (backend: StorageBackend) => Promise<void> | void;
  timeout: number;
  heavy: boolean;
  prefixLabel: string;
}

/**
 * Wires the runner's hooks to make the backend once and returns the context
 * the groups register with. Must be called inside the suite's `describe`.
 */
export function createContext(settings: KitSettings): KitContext {
  const { runner, timeout } = settings;
  let backend: StorageBackend | undefined;
  let creating: Promise<StorageBackend> | undefined;

  const ready = (): Promise<StorageBackend> => {
    creating ??= Promise.resolve()
      .then(() => settings.create())
      .then((b) => {
        if (b === null || typeof b !== 'object' || typeof b.write !== 'function') {
          throw new TypeError('conformance: `create` must return a StorageBackend.');
        }
        backend = b;
        return b;
      });
    return creating;
  };

  const beforeAll = runner.beforeAll ?? runner.before;
  const afterAll = runner.afterAll ?? runner.after;
  // Without a beforeAll hook the backend is made by the first test instead.
  if (beforeAll !== undefined) {
    beforeAll(async () => {
      await ready();
    }, timeout);
  }
  if (afterAll !== undefined) {
    afterAll(async () => {
      if (backend === undefined) return;
      const made = backend;
      backend = undefined;
      creating = undefined;
      if (settings.destroy !== undefined) await settings.destroy(made);
    }, timeout);
  }

  return {
    describe(name, body) {
      runner.describe(name, body);
    },
    it(name, body) {
      runner.it(
        name,
        async () => {
          const b = await ready();
          const prefix = randomPrefix(settings.prefixLabel);
          const scope: TestScope = {
            backend: b,
            caps: b.capabilities,
            prefix,
            key: (n) => prefix + n,
            heavy: settings.heavy,
          };
          try {
            await withDeadline(body(scope), timeout, name);
          } finally {
            await withDeadline(cleanup(b, prefix), timeout, `cleanup after "${name}"`).catch(() => {});
          }
        },
        // A little more than the kit's own deadline, so the kit's clearer message wins.
        timeout + 2_000,
      );
    },
  };
}

/** Deletes everything under `prefix`, ignoring failures (the test already has its verdict). */
async function cleanup(backend: StorageBackend, prefix: string): Promise<void> {
  try {
    const keys: string[] = [];
    for await (const entry of backend.list(prefix)) if (entry.type === 'object') keys.push(entry.key);
    if (keys.length > 0) await backend.deleteMany(keys);
  } catch {
    // Best effort: a read-only or failing backend leaves its test keys behind.
  }
}

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`conformance: "${what}" did not finish within ${ms} ms`)), ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
