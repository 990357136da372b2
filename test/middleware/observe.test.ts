import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { PresignedRequest, PresignOptions, StorageBackend } from '../../src/core/backend.js';
import { collect } from '../../src/core/body.js';
import { ForwardingBackend, layer } from '../../src/core/layer.js';
import { type ObserveEvent, observe } from '../../src/middleware/observe.js';

const prefix = () => `observe-${Math.random().toString(36).slice(2, 10)}/`;

function observed(inner: StorageBackend = memory()) {
  const events: ObserveEvent[] = [];
  let t = 0;
  const storage = layer(inner, observe({ onEvent: (e) => events.push(e), now: () => (t += 5) }));
  return { storage, events, inner };
}

describe('observe', () => {
  it('emits exactly one event per operation, with op, key, backend, ms, bytes, ok', async () => {
    const { storage, events } = observed();
    const p = prefix();
    await storage.write(`${p}a`, 'hello');
    await storage.read(`${p}a`);
    await storage.stat(`${p}a`);
    await storage.exists(`${p}a`);
    await storage.copy(`${p}a`, `${p}b`);
    await storage.move(`${p}b`, `${p}c`);
    await storage.delete(`${p}c`);
    await storage.deleteMany([`${p}a`]);
    await storage.close();
    expect(events.map((e) => e.op)).toEqual([
      'write',
      'read',
      'stat',
      'exists',
      'copy',
      'move',
      'delete',
      'deleteMany',
      'close',
    ]);
    expect(events[0]).toEqual({ op: 'write', key: `${p}a`, backend: 'memory', ms: 5, bytes: 5, ok: true });
    expect(events[1]).toMatchObject({ op: 'read', bytes: 5, ok: true });
    expect(events[4]).toMatchObject({ op: 'copy', key: `${p}a`, to: `${p}b`, bytes: 5 });
    expect(events[7]).toMatchObject({ op: 'deleteMany', count: 1, ok: true });
    expect(events[7]?.key).toBeUndefined();
  });

  it('reports failures with their code', async () => {
    const { storage, events } = observed();
    await expect(storage.read(`${prefix()}missing`)).rejects.toMatchObject({ code: 'NotFound' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ op: 'read', ok: false, code: 'NotFound' });
    expect(events[0]?.bytes).toBeUndefined();
  });

  it('counts an inner call that throws or rejects with no reason as a failure', async () => {
    class NoReason extends ForwardingBackend {
      override stat(): never {
        throw undefined;
      }
      override exists(): Promise<boolean> {
        return Promise.reject(undefined);
      }
    }
    const { storage, events } = observed(new NoReason(memory()));
    await expect(storage.stat('k')).rejects.toBeUndefined();
    await expect(storage.exists('k')).rejects.toBeUndefined();
    expect(events).toEqual([
      expect.objectContaining({ op: 'stat', key: 'k', ok: false, code: 'Unknown' }),
      expect.objectContaining({ op: 'exists', key: 'k', ok: false, code: 'Unknown' }),
    ]);
  });

  it('reports a stream once, when it ends, with the bytes delivered', async () => {
    const { storage, events, inner } = observed();
    const key = `${prefix()}s`;
    await inner.write(key, 'x'.repeat(3000));
    const stream = await storage.stream(key);
    expect(events).toHaveLength(0);
    expect((await collect(stream)).byteLength).toBe(3000);
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([expect.objectContaining({ op: 'stream', key, bytes: 3000, ok: true })]);
  });

  it('reports a stream destroyed early once, and a stream that fails with its code', async () => {
    const { storage, events, inner } = observed();
    const key = `${prefix()}s`;
    await inner.write(key, 'data');
    const stream = await storage.stream(key);
    stream.destroy();
    await new Promise((r) => setImmediate(r));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ op: 'stream', ok: true, bytes: 0 });
    await expect(storage.stream(`${prefix()}missing`)).rejects.toMatchObject({ code: 'NotFound' });
    expect(events[1]).toMatchObject({ op: 'stream', ok: false, code: 'NotFound' });
  });

  it('reports a listing once when iteration ends, also when the consumer stops early', async () => {
    const { storage, events, inner } = observed();
    const p = prefix();
    for (let i = 0; i < 5; i++) await inner.write(`${p}${i}`, 'x');
    for await (const _ of storage.list(p)) {
      // consume all
    }
    for await (const _ of storage.list(p)) break;
    await expect(storage.list('/bad')[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: 'InvalidKey',
    });
    expect(events).toEqual([
      expect.objectContaining({ op: 'list', key: p, count: 5, ok: true }),
      expect.objectContaining({ op: 'list', key: p, count: 1, ok: true }),
      expect.objectContaining({ op: 'list', key: '/bad', count: 0, ok: false, code: 'InvalidKey' }),
    ]);
  });

  it('never lets a throwing or rejecting onEvent break the operation', async () => {
    const key = `${prefix()}k`;
    const throwing = layer(
      memory(),
      observe({
        onEvent: () => {
          throw new Error('logger down');
        },
      }),
    );
    await throwing.write(key, 'x');
    expect((await throwing.read(key)).byteLength).toBe(1);
    const rejecting = layer(
      memory(),
      observe({ onEvent: (async () => Promise.reject(new Error('async logger down'))) as never }),
    );
    await rejecting.write(key, 'x');
  });

  it('puts no secret in events: a presigned URL never appears', async () => {
    class Signing extends ForwardingBackend {
      override async presign(key: string, o: PresignOptions): Promise<PresignedRequest> {
        return {
          url: `https://bucket.example/${key}?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA123`,
          method: o.method,
          headers: { authorization: 'secret' },
          expiresAt: new Date(),
        };
      }
    }
    const { storage, events } = observed(new Signing(memory()) as never);
    await storage.presign('file.txt', { method: 'GET', expiresIn: 60 });
    expect(events).toHaveLength(1);
    const text = JSON.stringify(events);
    expect(text).not.toMatch(/deadbeef|AKIA123|secret|https:/);
    expect(Object.keys(events[0]!).sort()).toEqual(['backend', 'key', 'ms', 'ok', 'op']);
  });

  it('rejects a missing onEvent with InvalidConfig', () => {
    expect(() => observe({} as never)).toThrow(/onEvent/);
  });
});
