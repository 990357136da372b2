/**
 * `chaos`: deterministic, seeded fault injection for tests. Wrap a backend in
 * it to check that your code (or a `retry` layer) survives errors, latency and
 * streams that break half-way. The same seed and the same sequence of calls
 * inject the same faults, so a failing run can be replayed.
 *
 * Faults are injected *before* a call reaches the inner backend (the request
 * "never arrived"), and a write whose body fails mid-way fails inside the
 * inner write, which by contract stores nothing: the inner backend is left
 * untouched by every injected failure.
 *
 * @example
 * ```ts
 * import { layer } from 'stowage';
 * import { memory } from 'stowage/memory';
 * import { retry } from 'stowage/middleware';
 * import { chaos } from 'stowage/testing';
 *
 * const faults = chaos({ seed: 42, errorRate: 0.3, midStreamFailureRate: 0.1 });
 * const storage = layer(memory(), retry({ retries: 8, minDelay: 0 }), faults);
 * await storage.write('a.txt', 'hello');        // succeeds despite the faults
 * console.log(faults.stats);                    // what was injected
 * ```
 */
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { z } from 'zod';
import type {
  Body,
  CopyOptions,
  DeleteManyResult,
  DeleteOptions,
  Entry,
  ListOptions,
  ObjectInfo,
  PresignedRequest,
  PresignOptions,
  ReadOptions,
  Signal,
  StatOptions,
  StorageBackend,
  WriteOptions,
} from '../core/backend.js';
import { prepareBody } from '../core/body.js';
import { parseOptions } from '../core/config.js';
import { ERROR_CODES, type ErrorCode, StorageError, toStorageError } from '../core/errors.js';
import { assertKey } from '../core/keys.js';
import { ForwardingBackend, type Middleware } from '../core/layer.js';
import { type Duration, parseDuration } from '../core/units.js';

/** Operations chaos can disturb (`close` never is). */
export const CHAOS_OPERATIONS = [
  'read',
  'stream',
  'write',
  'stat',
  'exists',
  'list',
  'delete',
  'deleteMany',
  'copy',
  'move',
  'presign',
] as const;

/** One of {@link CHAOS_OPERATIONS}. */
export type ChaosOperation = (typeof CHAOS_OPERATIONS)[number];

/** Options of {@link chaos}. */
export interface ChaosOptions {
  /** Seed of the pseudo-random sequence; the same seed replays the same faults. */
  readonly seed: number;
  /** Probability (0..1) that an operation fails with one of `codes`. @default 0.1 */
  readonly errorRate?: number;
  /** Codes of injected errors, picked at random; each is retryable as its code is by default. @default ['Unavailable', 'RateLimited', 'Timeout'] */
  readonly codes?: readonly ErrorCode[];
  /** Each operation waits a random time between 0 and this. @default 0 */
  readonly latencyMs?: Duration;
  /** Probability (0..1) that a read stream or a write body fails after part of its bytes. @default 0 */
  readonly midStreamFailureRate?: number;
  /** Operations that may be disturbed. @default every operation but `close` */
  readonly operations?: readonly ChaosOperation[];
  /** `retryAfterMs` carried by injected `RateLimited` errors. @default none */
  readonly retryAfterMs?: number;
  /** How to wait for injected latency, for tests with a fake clock. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a {@link chaos} middleware has injected so far. */
export interface ChaosStats {
  /** Operations that passed through. */
  operations: number;
  /** Errors injected, all codes together. */
  errors: number;
  /** Errors injected, by code. */
  byCode: Partial<Record<ErrorCode, number>>;
  /** Read streams and write bodies made to fail part-way. */
  midStreamFailures: number;
  /** Total injected latency in ms. */
  latencyMs: number;
}

/** The middleware {@link chaos} returns: also exposes what it injected. */
export interface ChaosMiddleware extends Middleware {
  /** Live counters of injected faults (shared by every backend it wraps). */
  readonly stats: ChaosStats;
}

const chaosSchema = z
  .object({
    seed: z.number().int(),
    errorRate: z.number().min(0).max(1).optional(),
    codes: z.array(z.enum(ERROR_CODES)).min(1).optional(),
    latencyMs: z.union([z.number().nonnegative(), z.string()]).optional(),
    midStreamFailureRate: z.number().min(0).max(1).optional(),
    operations: z.array(z.enum(CHAOS_OPERATIONS)).optional(),
    retryAfterMs: z.number().nonnegative().optional(),
    sleep: z.function().optional(),
  })
  .strict();

/**
 * mulberry32: a tiny, fast, well-distributed 32-bit PRNG. Deterministic for a
 * seed, which is all fault injection needs (it is not for cryptography).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ChaosSettings {
  errorRate: number;
  codes: readonly ErrorCode[];
  latencyMs: number;
  midStreamFailureRate: number;
  operations: ReadonlySet<ChaosOperation>;
  retryAfterMs: number | undefined;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  stats: ChaosStats;
}

/**
 * Injects seeded, reproducible faults: errors by code, latency, and read
 * streams or write bodies that fail part-way. For tests only.
 *
 * @example
 * ```ts
 * const storage = layer(memory(), retry(), chaos({ seed: 1, errorRate: 0.3 }));
 * ```
 */
export function chaos(options: ChaosOptions): ChaosMiddleware {
  const parsed = parseOptions(chaosSchema, options, 'chaos');
  const stats: ChaosStats = { operations: 0, errors: 0, byCode: {}, midStreamFailures: 0, latencyMs: 0 };
  const settings: ChaosSettings = {
    errorRate: parsed.errorRate ?? 0.1,
    codes: parsed.codes ?? ['Unavailable', 'RateLimited', 'Timeout'],
    latencyMs: parsed.latencyMs === undefined ? 0 : parseDuration(parsed.latencyMs, 'latencyMs'),
    midStreamFailureRate: parsed.midStreamFailureRate ?? 0,
    operations: new Set(parsed.operations ?? CHAOS_OPERATIONS),
    retryAfterMs: parsed.retryAfterMs,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: mulberry32(parsed.seed),
    stats,
  };
  const middleware: Middleware = (next) => new ChaosBackend(next, settings);
  return Object.assign(middleware, { stats }) as ChaosMiddleware;
}

class ChaosBackend extends ForwardingBackend {
  constructor(
    next: StorageBackend,
    private readonly settings: ChaosSettings,
  ) {
    super(next);
  }

  /** Latency, then maybe an error; runs before the call reaches the inner backend. */
  private async disturb(operation: ChaosOperation, key: string | undefined): Promise<void> {
    const s = this.settings;
    if (!s.operations.has(operation)) return;
    s.stats.operations++;
    if (s.latencyMs > 0) {
      const ms = Math.floor(s.random() * s.latencyMs);
      s.stats.latencyMs += ms;
      if (ms > 0) await s.sleep(ms);
    }
    if (s.errorRate > 0 && s.random() < s.errorRate) throw this.injected(operation, key);
  }

  private injected(operation: string, key: string | undefined, midStream = false): StorageError {
    const s = this.settings;
    const code = midStream ? 'Unavailable' : s.codes[Math.floor(s.random() * s.codes.length)]!;
    if (midStream) s.stats.midStreamFailures++;
    else {
      s.stats.errors++;
      s.stats.byCode[code] = (s.stats.byCode[code] ?? 0) + 1;
    }
    const what = midStream ? 'connection reset part-way through the body' : code;
    return new StorageError(code, `[chaos] injected ${what} on ${operation}.`, {
      backend: this.kind,
      operation,
      key,
      retryAfterMs: code === 'RateLimited' ? s.retryAfterMs : undefined,
    });
  }

  private failsMidStream(operation: ChaosOperation): boolean {
    const s = this.settings;
    return s.operations.has(operation) && s.midStreamFailureRate > 0 && s.random() < s.midStreamFailureRate;
  }

  /** A pass-through that delivers part of the first chunk, then fails. */
  private breaker(operation: string, key: string): Transform {
    const cut = this.settings.random();
    let failed = false;
    const fail = (callback: TransformCallback) => {
      failed = true;
      callback(this.injected(operation, key, true));
    };
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        if (failed) return callback();
        const keep = Math.floor(cut * chunk.byteLength);
        if (keep > 0) this.push(chunk.subarray(0, keep));
        fail(callback);
      },
      flush(callback) {
        // An empty body fails at its end instead.
        if (!failed) fail(callback);
        else callback();
      },
    });
  }

  override async read(key: string, options?: ReadOptions): Promise<Uint8Array> {
    await this.disturb('read', key);
    return super.read(key, options);
  }

  override async stream(key: string, options?: ReadOptions): Promise<Readable> {
    await this.disturb('stream', key);
    const source = await super.stream(key, options);
    if (!this.failsMidStream('stream')) return source;
    const broken = this.breaker('stream', key);
    pipeline(source, broken, () => {});
    return broken;
  }

  override async write(key: string, body: Body, options?: WriteOptions): Promise<ObjectInfo> {
    await this.disturb('write', key);
    if (!this.failsMidStream('write')) return super.write(key, body, options);
    let prepared: ReturnType<typeof prepareBody>;
    try {
      assertKey(key, 'write');
      prepared = prepareBody(body, options?.size);
    } catch (e) {
      throw toStorageError(e, { backend: this.kind, operation: 'write', key });
    }
    const broken = this.breaker('write', key);
    pipeline(prepared.stream(), broken, () => {});
    return super.write(key, broken, { ...options, size: prepared.size });
  }

  override async stat(key: string, options?: StatOptions): Promise<ObjectInfo> {
    await this.disturb('stat', key);
    return super.stat(key, options);
  }

  override async exists(key: string, options?: Signal): Promise<boolean> {
    await this.disturb('exists', key);
    return super.exists(key, options);
  }

  override list(prefix?: string, options?: ListOptions): AsyncIterable<Entry> {
    return { [Symbol.asyncIterator]: () => this.listEntries(prefix, options) };
  }

  private async *listEntries(prefix: string | undefined, options?: ListOptions): AsyncGenerator<Entry> {
    const s = this.settings;
    // Decide up front whether and after how many entries this listing breaks,
    // so failures also happen part-way (what resuming listings must survive).
    let failAfter = Number.POSITIVE_INFINITY;
    if (s.operations.has('list')) {
      await this.disturb('list', prefix);
      if (s.midStreamFailureRate > 0 && s.random() < s.midStreamFailureRate) {
        failAfter = Math.floor(s.random() * 4);
      }
    }
    let yielded = 0;
    for await (const entry of super.list(prefix, options)) {
      if (yielded >= failAfter) throw this.injected('list', prefix, true);
      yield entry;
      yielded++;
    }
    if (failAfter !== Number.POSITIVE_INFINITY) throw this.injected('list', prefix, true);
  }

  override async delete(key: string, options?: DeleteOptions): Promise<void> {
    await this.disturb('delete', key);
    return super.delete(key, options);
  }

  override async deleteMany(
    keys: Iterable<string> | AsyncIterable<string>,
    options?: Signal,
  ): Promise<DeleteManyResult> {
    await this.disturb('deleteMany', undefined);
    return super.deleteMany(keys, options);
  }

  override async copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    await this.disturb('copy', from);
    return super.copy(from, to, options);
  }

  override async move(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    await this.disturb('move', from);
    return super.move(from, to, options);
  }

  override async presign(key: string, options: PresignOptions): Promise<PresignedRequest> {
    await this.disturb('presign', key);
    return super.presign(key, options);
  }
}
