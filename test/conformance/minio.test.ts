/**
 * The conformance kit against the s3 adapter on MinIO (provider 'minio',
 * a versioned bucket with `versioning: true`: every capability claimed),
 * when MinIO is installed (`npm run emulators:install -- --with-minio`) or
 * STOWAGE_TEST_MINIO_ENDPOINT is set; skipped with the reason otherwise.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { conformance } from '../../src/testing/index.js';
import { backendFor, freshBucket, rawClient } from '../backends/s3/fixtures.js';
import { describeWithEmulator } from '../emulators/env.js';

describeWithEmulator('minio', 's3 on MinIO', (endpoint) => {
  conformance({
    name: 's3 (minio)',
    create: async () =>
      backendFor(
        endpoint,
        await freshBucket(rawClient(endpoint, 'minio'), 'conf', true),
        { versioning: true },
        'minio',
      ),
    runner: { describe, it, beforeAll, afterAll },
    // The heavy variants (1,100 listed keys, 1,234 deleted) run on moto; MinIO gets the light ones.
    heavy: false,
  });
});
