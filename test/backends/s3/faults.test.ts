/**
 * Through the fault proxy at 20 % faults (connection resets in request and
 * response bodies, 503 SlowDown, 429 Retry-After, 500) plus latency, `retry`
 * + `timeout` around the s3 adapter complete 500 mixed operations, and
 * afterwards (faults off) every object holds exactly what was last written.
 */
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { S3Backend } from '../../../src/backends/s3/index.js';
import type { StorageBackend } from '../../../src/core/backend.js';
import { isStorageError } from '../../../src/core/errors.js';
import { layer } from '../../../src/core/layer.js';
import { retry } from '../../../src/middleware/retry.js';
import { timeout } from '../../../src/middleware/timeout.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { type FaultProxy, seededRandom, startFaultProxy } from '../../emulators/fault-proxy.js';
import { backendFor, freshBucket, randomPrefix, rawClient } from './fixtures.js';

const OPERATIONS = 500;
const KEYS = 40;

describeWithEmulator('moto', 's3 adapter through the fault proxy', (endpoint) => {
  let proxy: FaultProxy;
  let adapter: S3Backend;
  let storage: StorageBackend;
  beforeAll(async () => {
    const bucket = await freshBucket(rawClient(endpoint), 'faults');
    proxy = await startFaultProxy({
      target: endpoint,
      seed: 20,
      faults: {
        resetRequest: 0.04,
        resetResponse: 0.04,
        slowDown: 0.04,
        tooManyRequests: 0.04,
        serverError: 0.04,
        latency: 0.1,
      },
      latencyMs: 5,
      retryAfterSeconds: 0,
    });
    // SDK retries off: the retry middleware must do the work.
    adapter = backendFor(proxy.endpoint, bucket, { maxAttempts: 1 });
    storage = layer(
      adapter,
      retry({ retries: 10, minDelay: '2ms', maxDelay: '40ms', budget: false }),
      timeout({ ms: '15s', idleMs: '10s' }),
    );
  });
  afterAll(async () => {
    await adapter?.close();
    await proxy?.stop();
  });

  it('completes 500 mixed operations at 20 % faults with nothing lost or corrupted', async () => {
    const prefix = randomPrefix();
    const random = seededRandom(7);
    const keys = Array.from({ length: KEYS }, (_, i) => `${prefix}k${String(i).padStart(2, '0')}`);
    const expected = new Map<string, Buffer>();
    const chains = new Map<string, Promise<void>>();
    const limit = pLimit(8);
    const counts = { write: 0, read: 0, stat: 0, delete: 0, list: 0 };
    const failures: string[] = [];

    const bodyFor = (n: number) => {
      const size = 1 + Math.floor(random() * 48 * 1024);
      const out = Buffer.alloc(size);
      for (let i = 0; i < size; i++) out[i] = (n * 31 + i * 7) & 0xff;
      return out;
    };
    const ops: Promise<void>[] = [];
    for (let n = 0; n < OPERATIONS; n++) {
      const key = keys[Math.floor(random() * keys.length)]!;
      const roll = random();
      const kind =
        roll < 0.4 ? 'write' : roll < 0.7 ? 'read' : roll < 0.8 ? 'stat' : roll < 0.9 ? 'delete' : 'list';
      const body = kind === 'write' ? bodyFor(n) : undefined;
      // Operations on one key run in order; different keys run in parallel.
      const previous = chains.get(key) ?? Promise.resolve();
      const op = previous.then(() =>
        limit(async () => {
          counts[kind]++;
          try {
            if (kind === 'write') {
              await storage.write(key, body!);
              expected.set(key, body!);
            } else if (kind === 'read') {
              const want = expected.get(key);
              if (want === undefined) {
                await expect(storage.read(key)).rejects.toSatisfy((e) => isStorageError(e, 'NotFound'));
              } else {
                const got = Buffer.from(await storage.read(key));
                if (Buffer.compare(got, want) !== 0) failures.push(`read ${key}: content differs`);
              }
            } else if (kind === 'stat') {
              const want = expected.get(key);
              if (want === undefined) expect(await storage.exists(key)).toBe(false);
              else expect((await storage.stat(key)).size).toBe(want.length);
            } else if (kind === 'delete') {
              await storage.delete(key);
              expected.delete(key);
            } else {
              for await (const entry of storage.list(prefix)) expect(entry.key.startsWith(prefix)).toBe(true);
            }
          } catch (e) {
            failures.push(`${kind} ${key}: ${(e as Error).message}`);
          }
        }),
      );
      chains.set(key, op);
      ops.push(op);
    }
    await Promise.all(ops);
    expect(failures).toEqual([]);
    const injected = Object.values(proxy.stats.faults).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(50);
    expect(proxy.stats.faults.resetResponse).toBeGreaterThan(0);
    expect(proxy.stats.faults.resetRequest).toBeGreaterThan(0);

    // Faults off: the bucket holds exactly the last write of each key.
    proxy.setFaults({});
    const listed = [];
    for await (const entry of storage.list(prefix)) listed.push(entry.key);
    expect(listed.sort()).toEqual([...expected.keys()].sort());
    for (const [key, want] of expected) {
      const got = Buffer.from(await storage.read(key));
      expect(createHash('sha256').update(got).digest('hex')).toBe(
        createHash('sha256').update(want).digest('hex'),
      );
    }
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(OPERATIONS);
  }, 180_000);
});
