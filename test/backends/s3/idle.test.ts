/** The adapter's own idle timeout: a stalled connection fails with Timeout instead of hanging. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { S3Backend } from '../../../src/backends/s3/index.js';
import { isStorageError } from '../../../src/core/errors.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { type FaultProxy, startFaultProxy } from '../../emulators/fault-proxy.js';
import { backendFor, freshBucket, randomPrefix, rawClient } from './fixtures.js';

describeWithEmulator('moto', 's3 adapter: idle timeout', (endpoint) => {
  let proxy: FaultProxy;
  let backend: S3Backend;
  beforeAll(async () => {
    const bucket = await freshBucket(rawClient(endpoint), 'idle');
    proxy = await startFaultProxy({ target: endpoint, faults: {}, latencyMs: 3000 });
    backend = backendFor(proxy.endpoint, bucket, { idleTimeout: '300ms', maxAttempts: 1 });
  });
  afterAll(async () => {
    await backend?.close();
    await proxy?.stop();
  });

  it('a request whose socket stays idle longer than idleTimeout rejects with a retryable Timeout', async () => {
    const key = `${randomPrefix()}slow`;
    await backend.write(key, 'x');
    proxy.setFaults({ latency: 1 });
    const error = await backend.read(key).catch((e: unknown) => e);
    expect(isStorageError(error, 'Timeout')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    proxy.setFaults({});
  });
});
