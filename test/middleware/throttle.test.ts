/**
 * Throttle math, checked with an injected clock: the tests assert the delays
 * asked for, never measured durations.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { ObjectInfo, StatOptions } from '../../src/core/backend.js';
import { collect } from '../../src/core/body.js';
import type { StorageError } from '../../src/core/errors.js';
import { ForwardingBackend, layer } from '../../src/core/layer.js';
import { type ThrottleClock, throttle } from '../../src/middleware/throttle.js';

const prefix = () => `throttle-${Math.random().toString(36).slice(2, 10)}/`;

/** A clock whose sleep advances time at once and records what was asked. */
function fakeClock(): ThrottleClock & { slept: number[]; total(): number } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    total: () => slept.reduce((a, b) => a + b, 0),
  };
}

/** A stat that waits until released, counting how many run at once. */
class Gated extends ForwardingBackend {
  running = 0;
  peak = 0;
  order: string[] = [];
  private waiting: (() => void)[] = [];
  override async stat(key: string, _o?: StatOptions): Promise<ObjectInfo> {
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    this.order.push(key);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running--;
    return { key, size: 0, lastModified: new Date(0), metadata: {} };
  }
  releaseAll(): void {
    for (const r of this.waiting.splice(0)) r();
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('throttle', () => {
  it('paces a 1 MiB write at 512 KiB/s to 2 s', async () => {
    const clock = fakeClock();
    const inner = memory();
    const storage = layer(inner, throttle({ bytesPerSecond: '512KiB', clock }));
    const key = `${prefix()}big`;
    const data = new Uint8Array(1024 * 1024).map((_, i) => i % 256);
    await storage.write(key, data);
    expect(clock.total()).toBeCloseTo(2000, 6);
    expect(Buffer.from(await inner.read(key)).equals(Buffer.from(data))).toBe(true);
  });

  it('paces streamed write bodies and read streams the same way', async () => {
    const clock = fakeClock();
    const storage = layer(memory(), throttle({ bytesPerSecond: 1000 * 1024, clock }));
    const key = `${prefix()}s`;
    await storage.write(key, Readable.from([Buffer.alloc(300 * 1024), Buffer.alloc(212 * 1024)]));
    expect(clock.total()).toBeCloseTo(512, 6);
    const read = await collect(await storage.stream(key));
    expect(read.byteLength).toBe(512 * 1024);
    expect(clock.total()).toBeCloseTo(1024, 6);
    await storage.read(key);
    expect(clock.total()).toBeCloseTo(1536, 6);
  });

  it('splits big chunks so pacing stays smooth', async () => {
    const clock = fakeClock();
    const storage = layer(memory(), throttle({ bytesPerSecond: 64 * 1024, clock }));
    await storage.write(`${prefix()}k`, new Uint8Array(256 * 1024));
    expect(clock.slept.length).toBe(4);
    for (const ms of clock.slept) expect(ms).toBeCloseTo(1000, 6);
  });

  it('spaces operations at opsPerSecond', async () => {
    const clock = fakeClock();
    const storage = layer(memory(), throttle({ opsPerSecond: 5, clock }));
    for (let i = 0; i < 10; i++) await storage.exists(`${prefix()}k`);
    // The first starts at once, each next one 200 ms after the one before.
    expect(clock.total()).toBeCloseTo(1800, 6);
  });

  it('limits operations in flight to the concurrency', async () => {
    const inner = new Gated(memory());
    const storage = layer(inner, throttle({ concurrency: 2 }));
    const calls = Array.from({ length: 5 }, (_, i) => storage.stat(`k${i}`));
    for (let round = 0; round < 3; round++) {
      await tick();
      inner.releaseAll();
      await tick();
    }
    await tick();
    inner.releaseAll();
    await Promise.all(calls);
    expect(inner.peak).toBe(2);
    expect(inner.order).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
  });

  it('holds a slot for a stream until the stream ends', async () => {
    const inner = memory();
    const key = `${prefix()}k`;
    await inner.write(key, 'streamed');
    const storage = layer(inner, throttle({ concurrency: 1 }));
    const stream = await storage.stream(key);
    let statDone = false;
    const stat = storage.stat(key).then(() => {
      statDone = true;
    });
    await tick();
    await tick();
    expect(statDone).toBe(false);
    expect(Buffer.from(await collect(stream)).toString()).toBe('streamed');
    await stat;
    expect(statDone).toBe(true);
    // Destroying a stream early releases its slot too.
    const early = await storage.stream(key);
    early.destroy();
    await storage.stat(key);
  });

  it('rejects with Aborted when aborted while waiting for a slot, and gives the slot back', async () => {
    const inner = new Gated(memory());
    const storage = layer(inner, throttle({ concurrency: 1 }));
    const first = storage.stat('a');
    const controller = new AbortController();
    const queued = storage.stat('b', { signal: controller.signal });
    controller.abort();
    const error = (await queued.catch((e) => e)) as StorageError;
    expect(error.code).toBe('Aborted');
    await tick();
    inner.releaseAll();
    await first;
    const third = storage.stat('c');
    await tick();
    inner.releaseAll();
    await third;
    expect(inner.order).toEqual(['a', 'c']);
  });

  it('shares its limits between every backend it wraps', async () => {
    const clock = fakeClock();
    const shared = throttle({ opsPerSecond: 10, clock });
    const a = layer(memory(), shared);
    const b = layer(memory(), shared);
    await a.exists('x');
    await b.exists('x');
    await a.exists('x');
    expect(clock.total()).toBeCloseTo(200, 6);
  });

  it('rejects invalid options with InvalidConfig naming the option', () => {
    expect(() => throttle({ concurrency: 0 })).toThrow(/concurrency/);
    expect(() => throttle({ opsPerSecond: -1 })).toThrow(/opsPerSecond/);
    expect(() => throttle({ bytesPerSecond: 'fast' })).toThrow(/bytesPerSecond/);
    expect(() => throttle({ burst: 1 } as never)).toThrow(/burst/);
  });
});
