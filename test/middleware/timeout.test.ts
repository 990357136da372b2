/**
 * Deadlines and idle timeouts. The timers are short real ones; the tests
 * assert outcomes (which error, what was stored), never durations.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
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
import type { StorageError } from '../../src/core/errors.js';
import { ForwardingBackend, layer } from '../../src/core/layer.js';
import { timeout } from '../../src/middleware/timeout.js';

const prefix = () => `timeout-${Math.random().toString(36).slice(2, 10)}/`;

/** A stat that never answers until aborted; records the signal it got. */
class Hanging extends ForwardingBackend {
  signals: (AbortSignal | undefined)[] = [];
  override stat(_key: string, o?: StatOptions): Promise<ObjectInfo> {
    this.signals.push(o?.signal);
    return new Promise(() => {});
  }
}

async function consume(stream: Readable): Promise<{ data: Buffer; error?: StorageError }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of stream) chunks.push(c as Buffer);
    return { data: Buffer.concat(chunks) };
  } catch (e) {
    return { data: Buffer.concat(chunks), error: e as StorageError };
  }
}

describe('timeout', () => {
  it('fails a call past its deadline with a retryable Timeout and aborts the inner call', async () => {
    const inner = new Hanging(memory());
    const error = (await layer(inner, timeout({ ms: 30 }))
      .stat('k')
      .catch((e) => e)) as StorageError;
    expect(error.code).toBe('Timeout');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/stat of "k" did not finish within 30 ms/);
    expect(inner.signals[0]?.aborted).toBe(true);
  });

  it("gives Aborted, not Timeout, when the caller's own signal aborts", async () => {
    const storage = layer(memory(), timeout({ ms: 5000 }));
    const controller = new AbortController();
    class SlowStat extends ForwardingBackend {
      override stat(_k: string, o?: StatOptions): Promise<ObjectInfo> {
        return new Promise((_r, reject) =>
          o?.signal?.addEventListener('abort', () => reject(o.signal?.reason)),
        );
      }
    }
    const slow = layer(new SlowStat(memory()), timeout({ ms: 5000 }));
    const pending = slow.stat('k', { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.not.toMatchObject({ code: 'Timeout' });
    controller.abort();
    await expect(storage.stat('k', { signal: controller.signal })).rejects.toMatchObject({ code: 'Aborted' });
  });

  it('leaves fast calls alone', async () => {
    const storage = layer(memory(), timeout({ ms: '5s' }));
    const key = `${prefix()}k`;
    await storage.write(key, 'hello');
    expect(new TextDecoder().decode(await storage.read(key))).toBe('hello');
  });

  it('destroys a read stream that delivers no bytes for idleMs with Timeout', async () => {
    class Stalling extends ForwardingBackend {
      override async stream(): Promise<Readable> {
        const source = new Readable({ read() {} });
        source.push(Buffer.from('first'));
        return source; // then nothing, ever
      }
    }
    const stream = await layer(new Stalling(memory()), timeout({ ms: '5s', idleMs: 40 })).stream('k');
    const { data, error } = await consume(stream);
    expect(data.toString()).toBe('first');
    expect(error?.code).toBe('Timeout');
    expect(error?.message).toMatch(/delivered no bytes for 40 ms/);
  });

  it('does not count time the consumer spends not reading', async () => {
    const storage = layer(memory(), timeout({ ms: '5s', idleMs: 20 }));
    const key = `${prefix()}k`;
    await storage.write(key, 'patient reader');
    const stream = await storage.stream(key);
    await sleep(80);
    const { data, error } = await consume(stream);
    expect(error).toBeUndefined();
    expect(data.toString()).toBe('patient reader');
  });

  it('fails a write whose body source stops producing, and stores nothing', async () => {
    const inner = memory();
    const key = `${prefix()}k`;
    const source = new Readable({ read() {} });
    source.push(Buffer.from('some bytes, then silence'));
    const error = (await layer(inner, timeout({ ms: '5s', idleMs: 40 }))
      .write(key, source)
      .catch((e) => e)) as StorageError;
    expect(error.code).toBe('Timeout');
    expect(error.message).toMatch(/no progress on the body/);
    expect(await inner.exists(key)).toBe(false);
    expect(source.destroyed).toBe(true);
  });

  it('fails a write whose backend stops taking the body', async () => {
    class StuckUpload extends ForwardingBackend {
      override async write(_key: string, body: Body): Promise<ObjectInfo> {
        const reader = (body as Readable)[Symbol.asyncIterator]();
        await reader.next(); // one chunk, then the "connection" stalls
        return new Promise(() => {});
      }
    }
    const source = Readable.from(Array.from({ length: 100 }, () => Buffer.alloc(64 * 1024)));
    const error = (await layer(new StuckUpload(memory()), timeout({ ms: '5s', idleMs: 40 }))
      .write('k', source)
      .catch((e) => e)) as StorageError;
    expect(error.code).toBe('Timeout');
  });

  it('does not cut a streamed upload that keeps making progress past the deadline', async () => {
    const inner = memory();
    const key = `${prefix()}k`;
    async function* trickle() {
      // The first chunk comes at once: from then on only idleMs applies until the body ends.
      for (let i = 0; i < 8; i++) {
        yield Buffer.from(`${i}`);
        await sleep(30);
      }
    }
    const info = await layer(inner, timeout({ ms: 100, idleMs: 2000 })).write(key, trickle());
    expect(info.size).toBe(8);
    expect(new TextDecoder().decode(await inner.read(key))).toBe('01234567');
  });

  it('bounds each wait for a list entry, not the whole listing', async () => {
    const inner = memory();
    const p = prefix();
    for (let i = 0; i < 3; i++) await inner.write(`${p}${i}`, 'x');
    const storage = layer(inner, timeout({ ms: 30 }));
    const keys: string[] = [];
    for await (const e of storage.list(p)) {
      keys.push(e.key);
      await sleep(50); // the consumer's own time does not count
    }
    expect(keys).toHaveLength(3);

    class StallingList extends ForwardingBackend {
      override async *list(prefix?: string, o?: ListOptions): AsyncIterable<Entry> {
        let n = 0;
        for await (const e of super.list(prefix, o)) {
          if (n++ === 1) await new Promise(() => {});
          yield e;
        }
      }
    }
    const seen: string[] = [];
    const error = await (async () => {
      for await (const e of layer(new StallingList(inner), timeout({ ms: 30 })).list(p)) seen.push(e.key);
    })().catch((e) => e as StorageError);
    expect(seen).toHaveLength(1);
    expect(error).toMatchObject({ code: 'Timeout' });
  });

  it('passes a signal to the inner call for every operation', async () => {
    class Recording extends ForwardingBackend {
      signals: string[] = [];
      override read(key: string, o?: ReadOptions) {
        if (o?.signal) this.signals.push('read');
        return super.read(key, o);
      }
      override write(key: string, body: Body, o?: WriteOptions) {
        if (o?.signal) this.signals.push('write');
        return super.write(key, body, o);
      }
    }
    const inner = new Recording(memory());
    const storage = layer(inner, timeout({ ms: '5s' }));
    const key = `${prefix()}k`;
    await storage.write(key, 'x');
    await storage.read(key);
    expect(inner.signals).toEqual(['write', 'read']);
  });

  it('rejects invalid options with InvalidConfig naming the option', () => {
    expect(() => timeout({ ms: 'soon' })).toThrow(/`ms`/);
    expect(() => timeout({ idleMs: -1 })).toThrow(/idleMs/);
    expect(() => timeout({ ms: '0s' })).toThrow(/ms: must be above 0/);
  });
});
