import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type {
  Body,
  Entry,
  ListOptions,
  ObjectInfo,
  ReadOptions,
  StatOptions,
  WriteOptions,
} from '../../src/core/backend.js';
import { bodyToBytes, collect } from '../../src/core/body.js';
import { StorageError } from '../../src/core/errors.js';
import { ForwardingBackend, layer } from '../../src/core/layer.js';
import { RetryBudget } from '../../src/core/retry-policy.js';
import { retry } from '../../src/middleware/retry.js';
import { chaos, mulberry32 } from '../../src/testing/chaos.js';

const prefix = () => `retry-${Math.random().toString(36).slice(2, 10)}/`;
const fast = { minDelay: 0, maxDelay: 0, budget: false } as const;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Fails the first `failures` calls of `stat`/`write` with `error()`, then forwards. */
class Flaky extends ForwardingBackend {
  calls = 0;
  constructor(
    next = memory(),
    private failures = 1,
    private error = () => new StorageError('Unavailable', 'down'),
  ) {
    super(next);
  }
  override async stat(key: string, o?: StatOptions): Promise<ObjectInfo> {
    if (++this.calls <= this.failures) throw this.error();
    return super.stat(key, o);
  }
}

/** Consumes the whole body, then fails the first `failures` writes (a failed commit). */
class FailingCommit extends ForwardingBackend {
  calls = 0;
  constructor(
    next = memory(),
    private failures = 1,
  ) {
    super(next);
  }
  override async write(key: string, body: Body, o?: WriteOptions): Promise<ObjectInfo> {
    if (++this.calls <= this.failures) {
      await bodyToBytes(body);
      throw new StorageError('Unavailable', 'connection reset at commit');
    }
    return super.write(key, body, o);
  }
}

describe('retry', () => {
  it('survives 500 mixed operations through chaos at 30% faults: nothing lost or corrupted', async () => {
    const inner = memory();
    const faults = chaos({ seed: 2024, errorRate: 0.3, midStreamFailureRate: 0.1 });
    const storage = layer(inner, retry({ retries: 12, ...fast }), faults);
    const model = new Map<string, string>();
    const p = prefix();
    const random = mulberry32(99);
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const keys = Array.from({ length: 20 }, (_, i) => `${p}${i % 4}/k${i}`);
    let streamFailures = 0;
    for (let op = 0; op < 500; op++) {
      const key = pick(keys);
      const kind = pick(['write', 'writeStream', 'read', 'stream', 'stat', 'list', 'delete']);
      if (kind === 'write' || kind === 'writeStream') {
        const value = `${key}#${op}:${'x'.repeat(Math.floor(random() * 3000))}`;
        const body =
          kind === 'write'
            ? value
            : (async function* () {
                const bytes = Buffer.from(value);
                for (let i = 0; i < bytes.length; i += 700) yield bytes.subarray(i, i + 700);
              })();
        const info = await storage.write(key, body);
        expect(info.size).toBe(Buffer.byteLength(value));
        model.set(key, value);
      } else if (kind === 'read') {
        if (model.has(key)) expect(text(await storage.read(key))).toBe(model.get(key));
        else await expect(storage.read(key)).rejects.toMatchObject({ code: 'NotFound' });
      } else if (kind === 'stream') {
        if (!model.has(key)) {
          await expect(storage.stream(key)).rejects.toMatchObject({ code: 'NotFound' });
          continue;
        }
        // Opening is retried; a failure part-way reaches the consumer, after correct bytes only.
        const stream = await storage.stream(key);
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          expect(Buffer.concat(chunks).toString()).toBe(model.get(key));
        } catch (e) {
          expect((e as StorageError).retryable).toBe(true);
          expect(model.get(key)!.startsWith(Buffer.concat(chunks).toString())).toBe(true);
          streamFailures++;
        }
      } else if (kind === 'stat') {
        if (model.has(key)) expect((await storage.stat(key)).size).toBe(Buffer.byteLength(model.get(key)!));
        else await expect(storage.stat(key)).rejects.toMatchObject({ code: 'NotFound' });
      } else if (kind === 'list') {
        const listed: string[] = [];
        for await (const e of storage.list(p)) listed.push(e.key);
        expect(listed).toEqual([...model.keys()].sort());
      } else {
        await storage.delete(key);
        model.delete(key);
      }
    }
    // The inner backend holds exactly the model.
    const stored = new Map<string, string>();
    for await (const e of inner.list(p)) stored.set(e.key, text(await inner.read(e.key)));
    expect(stored).toEqual(model);
    expect(faults.stats.errors).toBeGreaterThan(100);
    expect(faults.stats.midStreamFailures).toBeGreaterThan(5);
    expect(streamFailures).toBeGreaterThan(0);
  });

  it('replays a streamed body kept in memory when a failure comes after it was sent', async () => {
    const inner = new FailingCommit();
    const storage = layer(inner, retry(fast));
    const key = `${prefix()}doc`;
    const body = Readable.from(['part one, ', 'part two, ', 'part three'].map((s) => Buffer.from(s)));
    const info = await storage.write(key, body);
    expect(inner.calls).toBe(2);
    expect(info.size).toBe(30);
    expect(text(await inner.read(key))).toBe('part one, part two, part three');
  });

  it('does not retry a streamed body larger than maxBufferedBody, and says why; nothing truncated is stored', async () => {
    const inner = new FailingCommit();
    const storage = layer(inner, retry({ ...fast, maxBufferedBody: '1KiB' }));
    const key = `${prefix()}big`;
    const chunks = Array.from({ length: 8 }, () => Buffer.alloc(512, 1));
    const error = (await storage.write(key, Readable.from(chunks)).catch((e) => e)) as StorageError;
    expect(error.code).toBe('Unavailable');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/Not retried: .*maxBufferedBody \(1024 bytes\)/);
    expect(inner.calls).toBe(1);
    expect(await inner.exists(key)).toBe(false);
  });

  it('retries bytes, strings and Blobs as they are', async () => {
    const inner = new FailingCommit(memory(), 2);
    const storage = layer(inner, retry(fast));
    const key = `${prefix()}blob`;
    await storage.write(key, new Blob(['blob body']));
    expect(inner.calls).toBe(3);
    expect(text(await inner.read(key))).toBe('blob body');
  });

  it('keeps progress monotonic across attempts', async () => {
    const storage = layer(new FailingCommit(), retry(fast));
    const loaded: number[] = [];
    await storage.write(`${prefix()}p`, Readable.from([Buffer.alloc(100), Buffer.alloc(50)]), {
      onProgress: (p) => loaded.push(p.loaded),
    });
    expect(loaded.at(-1)).toBe(150);
    for (let i = 1; i < loaded.length; i++) expect(loaded[i]).toBeGreaterThanOrEqual(loaded[i - 1]!);
  });

  it('honours retryAfterMs (capped at maxDelay)', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
    };
    const inner = new Flaky(
      memory(),
      2,
      () => new StorageError('RateLimited', 'slow down', { retryAfterMs: 1234 }),
    );
    const key = `${prefix()}k`;
    await inner.write(key, 'x');
    await layer(inner, retry({ sleep, budget: false })).stat(key);
    expect(slept).toEqual([1234, 1234]);
    const capped = new Flaky(
      memory(),
      1,
      () => new StorageError('RateLimited', 'slow', { retryAfterMs: 60_000 }),
    );
    await capped.write(key, 'x');
    await layer(capped, retry({ sleep, maxDelay: '5s', budget: false })).stat(key);
    expect(slept.at(-1)).toBe(5000);
  });

  it('uses full-jitter exponential backoff between minDelay and the cap', async () => {
    const slept: number[] = [];
    const inner = new Flaky(memory(), 4);
    const key = `${prefix()}k`;
    await inner.write(key, 'x');
    await layer(
      inner,
      retry({
        retries: 4,
        minDelay: 100,
        maxDelay: 250,
        random: () => 0.999,
        budget: false,
        sleep: async (ms) => void slept.push(ms),
      }),
    ).stat(key);
    expect(slept).toEqual([99, 199, 249, 249]);
  });

  it('retries only retryable errors, and the final error says how many attempts were made', async () => {
    const notFound = new Flaky(memory(), 10, () => new StorageError('PermissionDenied', 'no'));
    await expect(layer(notFound, retry(fast)).stat('k')).rejects.toMatchObject({ code: 'PermissionDenied' });
    expect(notFound.calls).toBe(1);
    const down = new Flaky(memory(), 10);
    const error = (await layer(down, retry({ ...fast, retries: 3 }))
      .stat('k')
      .catch((e) => e)) as StorageError;
    expect(error.code).toBe('Unavailable');
    expect(error.message).toContain('after 4 attempts');
    expect(down.calls).toBe(4);
  });

  it('lets shouldRetry veto and reports each retry to onRetry', async () => {
    const seen: number[] = [];
    const inner = new Flaky(memory(), 10);
    await expect(
      layer(
        inner,
        retry({
          ...fast,
          shouldRetry: (_e, attempt) => attempt < 2,
          onRetry: (_e, attempt) => seen.push(attempt),
        }),
      ).stat('k'),
    ).rejects.toMatchObject({ code: 'Unavailable' });
    expect(seen).toEqual([1]);
    expect(inner.calls).toBe(2);
  });

  it('stops retrying when the budget is spent during an outage', async () => {
    const inner = new Flaky(memory(), Number.POSITIVE_INFINITY);
    const storage = layer(
      inner,
      retry({ retries: 3, minDelay: 0, budget: { ratio: 0, minPerSecond: 2, capacity: 0, now: () => 0 } }),
    );
    for (let i = 0; i < 10; i++)
      await expect(storage.stat('k')).rejects.toMatchObject({ code: 'Unavailable' });
    // 10 first attempts, and only the 2 retries the budget allowed, instead of 40 calls.
    expect(inner.calls).toBe(12);
  });

  it('shares a budget per wrapped backend, or across backends when one RetryBudget is passed', async () => {
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 1, capacity: 0, now: () => 0 });
    const a = new Flaky(memory(), Number.POSITIVE_INFINITY);
    const b = new Flaky(memory(), Number.POSITIVE_INFINITY);
    const m = retry({ minDelay: 0, budget });
    await expect(layer(a, m).stat('k')).rejects.toThrow();
    await expect(layer(b, m).stat('k')).rejects.toThrow();
    expect(a.calls + b.calls).toBe(3);
  });

  it('stops waiting and rejects with Aborted when the caller aborts during backoff', async () => {
    const inner = new Flaky(memory(), 10);
    const controller = new AbortController();
    const storage = layer(
      inner,
      retry({
        budget: false,
        sleep: (_ms, signal) =>
          new Promise((_resolve, reject) => {
            signal?.addEventListener('abort', () => reject(new StorageError('Aborted', 'aborted')));
            controller.abort();
          }),
      }),
    );
    await expect(storage.stat('k', { signal: controller.signal })).rejects.toMatchObject({ code: 'Aborted' });
    expect(inner.calls).toBe(1);
  });

  it('resumes a failing listing after the last key yielded: no entry repeated or lost', async () => {
    class BrokenList extends ForwardingBackend {
      opened: (string | undefined)[] = [];
      override async *list(prefix?: string, o?: ListOptions): AsyncIterable<Entry> {
        this.opened.push(o?.startAfter);
        let n = 0;
        for await (const e of super.list(prefix, o)) {
          if (this.opened.length < 3 && n === 2) throw new StorageError('Unavailable', 'page failed');
          n++;
          yield e;
        }
      }
    }
    const inner = memory();
    const p = prefix();
    for (let i = 0; i < 7; i++) await inner.write(`${p}${i}`, 'x');
    const broken = new BrokenList(inner);
    const keys: string[] = [];
    for await (const e of layer(broken, retry(fast)).list(p)) keys.push(e.key);
    expect(keys).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `${p}${i}`));
    expect(broken.opened).toEqual([undefined, `${p}1`, `${p}3`]);
    const limited: string[] = [];
    broken.opened = [];
    for await (const e of layer(broken, retry(fast)).list(p, { limit: 5 })) limited.push(e.key);
    expect(limited).toEqual([0, 1, 2, 3, 4].map((i) => `${p}${i}`));
  });

  it('retries deleteMany keys that failed with retryable errors', async () => {
    class FlakyDelete extends ForwardingBackend {
      failed = new Set<string>();
      override async delete(key: string): Promise<void> {
        if (!this.failed.has(key)) {
          this.failed.add(key);
          throw new StorageError('Unavailable', 'busy');
        }
        return super.delete(key);
      }
      override async deleteMany(keys: Iterable<string> | AsyncIterable<string>) {
        const errors: { key: string; error: StorageError }[] = [];
        let deleted = 0;
        for await (const key of keys) {
          try {
            await this.delete(key);
            deleted++;
          } catch (e) {
            errors.push({ key, error: e as StorageError });
          }
        }
        return { deleted, errors };
      }
    }
    const inner = memory();
    const p = prefix();
    await inner.write(`${p}a`, 'x');
    await inner.write(`${p}b`, 'x');
    const result = await layer(new FlakyDelete(inner), retry(fast)).deleteMany([`${p}a`, `${p}b`]);
    expect(result).toEqual({ deleted: 2, errors: [] });
    expect(inner.size).toBe(0);
  });

  it('rejects invalid options with InvalidConfig naming the option', () => {
    expect(() => retry({ retries: -1 })).toThrow(/retries/);
    expect(() => retry({ minDelay: 'soon' })).toThrow(/minDelay/);
    expect(() => retry({ maxBufferedBody: 'lots' })).toThrow(/maxBufferedBody/);
    expect(() => retry({ nope: 1 } as never)).toThrow(/nope/);
  });
});

describe('retry with resumeStreams', () => {
  const data = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));

  it('resumes streams that fail part-way from the next byte: every read is whole and exact', async () => {
    const inner = memory();
    const key = `${prefix()}big`;
    await inner.write(key, data);
    const faults = chaos({ seed: 31, errorRate: 0, midStreamFailureRate: 0.5, operations: ['stream'] });
    const storage = layer(inner, retry({ ...fast, retries: 20, resumeStreams: true }), faults);
    for (let i = 0; i < 20; i++) {
      const got = Buffer.from(await collect(await storage.stream(key)));
      expect(got.equals(data)).toBe(true);
    }
    const ranged = Buffer.from(
      await collect(await storage.stream(key, { range: { offset: 1000, length: 20_000 } })),
    );
    expect(ranged.equals(data.subarray(1000, 21_000))).toBe(true);
    expect(faults.stats.midStreamFailures).toBeGreaterThan(5);
  });

  it('keeps progress monotonic across reopenings, ending at the total', async () => {
    const inner = memory();
    const key = `${prefix()}p`;
    await inner.write(key, data);
    const storage = layer(
      inner,
      retry({ ...fast, retries: 20, resumeStreams: true }),
      chaos({ seed: 5, errorRate: 0, midStreamFailureRate: 0.7, operations: ['stream'] }),
    );
    const loaded: number[] = [];
    await collect(await storage.stream(key, { onProgress: (p) => loaded.push(p.loaded) }));
    expect(loaded.at(-1)).toBe(data.byteLength);
    for (let i = 1; i < loaded.length; i++) expect(loaded[i]).toBeGreaterThan(loaded[i - 1]!);
  });

  it('never splices two versions: a change before the reopen surfaces as PreconditionFailed', async () => {
    const inner = memory();
    const key = `${prefix()}v`;
    await inner.write(key, data);
    class FailOnceThenChange extends ForwardingBackend {
      opened = 0;
      override async stream(k: string, o?: ReadOptions): Promise<Readable> {
        const source = await super.stream(k, o);
        if (++this.opened > 1) return source;
        const broken = new PassThrough();
        source.once('data', (chunk: Buffer) => {
          broken.write(chunk.subarray(0, 100));
          source.destroy();
          void inner
            .write(key, 'a new version')
            .then(() => broken.destroy(new StorageError('Unavailable', 'reset')));
        });
        return broken;
      }
    }
    const storage = layer(new FailOnceThenChange(inner), retry({ ...fast, resumeStreams: true }));
    const error = (await collect(await storage.stream(key)).catch((e) => e)) as StorageError;
    expect(error.code).toBe('PreconditionFailed');
  });
});
