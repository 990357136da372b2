import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import { collect } from '../../src/core/body.js';
import type { StorageError } from '../../src/core/errors.js';
import { layer } from '../../src/core/layer.js';
import { chaos, mulberry32 } from '../../src/testing/chaos.js';

const prefix = () => `chaos-${Math.random().toString(36).slice(2, 10)}/`;

async function outcomes(seed: number): Promise<string[]> {
  const storage = layer(memory(), chaos({ seed, errorRate: 0.5 }));
  const p = prefix();
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    try {
      await storage.write(`${p}k${i % 5}`, `v${i}`);
      seen.push('ok');
    } catch (e) {
      seen.push((e as StorageError).code);
    }
  }
  return seen;
}

describe('chaos', () => {
  it('is deterministic: the same seed injects the same faults', async () => {
    const a = await outcomes(123);
    expect(await outcomes(123)).toEqual(a);
    expect(await outcomes(124)).not.toEqual(a);
    expect(a).toContain('ok');
    expect(a.some((o) => o !== 'ok')).toBe(true);
  });

  it('mulberry32 yields numbers in [0, 1) and repeats for a seed', () => {
    const r1 = mulberry32(9);
    const r2 = mulberry32(9);
    for (let i = 0; i < 100; i++) {
      const x = r1();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      expect(r2()).toBe(x);
    }
  });

  it('injects only the given codes, retryable as each code is, and counts them', async () => {
    const faults = chaos({ seed: 5, errorRate: 1, codes: ['PermissionDenied', 'Unavailable'] });
    const inner = memory();
    const storage = layer(inner, faults);
    const codes = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const error = (await storage.write(`${prefix()}x`, 'data').catch((e) => e)) as StorageError;
      codes.add(error.code);
      expect(error.retryable).toBe(error.code === 'Unavailable');
      expect(error.message).toContain('[chaos]');
    }
    expect([...codes].sort()).toEqual(['PermissionDenied', 'Unavailable']);
    expect(faults.stats.errors).toBe(30);
    expect((faults.stats.byCode.PermissionDenied ?? 0) + (faults.stats.byCode.Unavailable ?? 0)).toBe(30);
    // Injected before the call reached the backend: nothing was written.
    expect(inner.size).toBe(0);
  });

  it('disturbs only the listed operations', async () => {
    const storage = layer(memory(), chaos({ seed: 1, errorRate: 1, operations: ['read'] }));
    const key = `${prefix()}a`;
    await storage.write(key, 'hello');
    expect(await storage.stat(key)).toMatchObject({ size: 5 });
    await expect(storage.read(key)).rejects.toMatchObject({ name: 'StorageError' });
  });

  it('makes read streams fail part-way with a retryable error, after a prefix of the right bytes', async () => {
    const inner = memory();
    const key = `${prefix()}big`;
    const data = new Uint8Array(10_000).map((_, i) => i % 251);
    await inner.write(key, data);
    const faults = chaos({ seed: 3, errorRate: 0, midStreamFailureRate: 1 });
    const stream = await layer(inner, faults).stream(key);
    const received: Buffer[] = [];
    const error = await new Promise<StorageError>((resolve) => {
      stream.on('data', (c: Buffer) => received.push(c));
      stream.on('error', (e) => resolve(e as StorageError));
      stream.on('end', () => resolve(undefined as never));
    });
    expect(error.code).toBe('Unavailable');
    expect(error.retryable).toBe(true);
    const got = Buffer.concat(received);
    expect(got.byteLength).toBeLessThan(data.byteLength);
    expect(got.equals(Buffer.from(data.subarray(0, got.byteLength)))).toBe(true);
    expect(faults.stats.midStreamFailures).toBe(1);
  });

  it('makes write bodies fail part-way and leaves the inner backend untouched', async () => {
    const inner = memory();
    const key = `${prefix()}doc`;
    await inner.write(key, 'previous');
    const storage = layer(inner, chaos({ seed: 11, errorRate: 0, midStreamFailureRate: 1 }));
    for (const body of [
      'new content',
      new Uint8Array(5000).fill(7),
      Readable.from([Buffer.from('abc'), Buffer.from('def')]),
    ]) {
      await expect(storage.write(key, body)).rejects.toMatchObject({ code: 'Unavailable' });
      expect(new TextDecoder().decode(await inner.read(key))).toBe('previous');
    }
    await expect(storage.write(`${prefix()}new`, 'x')).rejects.toMatchObject({ code: 'Unavailable' });
    expect(inner.size).toBe(1);
  });

  it('breaks listings part-way', async () => {
    const inner = memory();
    const p = prefix();
    for (let i = 0; i < 6; i++) await inner.write(`${p}${i}`, 'x');
    const storage = layer(inner, chaos({ seed: 2, errorRate: 0, midStreamFailureRate: 1 }));
    const keys: string[] = [];
    await expect(
      (async () => {
        for await (const e of storage.list(p)) keys.push(e.key);
      })(),
    ).rejects.toMatchObject({ code: 'Unavailable' });
    expect(keys.length).toBeLessThan(6);
  });

  it('adds latency through the injected sleep, and records it', async () => {
    const slept: number[] = [];
    const faults = chaos({
      seed: 8,
      errorRate: 0,
      latencyMs: '50ms',
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    const storage = layer(memory(), faults);
    for (let i = 0; i < 10; i++) await storage.exists(`${prefix()}x`);
    expect(slept.length).toBeGreaterThan(0);
    for (const ms of slept) expect(ms).toBeLessThan(50);
    expect(faults.stats.latencyMs).toBe(slept.reduce((a, b) => a + b, 0));
    expect(faults.stats.operations).toBe(10);
  });

  it('passes data through untouched when no fault is drawn', async () => {
    const storage = layer(memory(), chaos({ seed: 1, errorRate: 0 }));
    const key = `${prefix()}k`;
    await storage.write(key, Readable.from([Buffer.from('he'), Buffer.from('llo')]));
    expect(new TextDecoder().decode(await collect(await storage.stream(key)))).toBe('hello');
  });

  it('rejects invalid options with InvalidConfig naming the option', () => {
    expect(() => chaos({ seed: 1, errorRate: 2 })).toThrow(/errorRate/);
    expect(() => chaos({ seed: 1, codes: ['Nope' as never] })).toThrow(/codes/);
    expect(() => chaos({} as never)).toThrow(/seed/);
    try {
      chaos({ seed: 1.5 });
    } catch (e) {
      expect((e as StorageError).code).toBe('InvalidConfig');
    }
  });
});
