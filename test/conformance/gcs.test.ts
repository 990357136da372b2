/**
 * The conformance kit against the gcs adapter on fake-gcs-server, in a fresh
 * bucket, with every capability the adapter declares there (versioning is
 * off: the emulator's filesystem backend keeps no old generations; the
 * versioned path is covered by test/backends/gcs/versions.test.ts).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { gcs } from '../../src/backends/gcs/index.js';
import { conformance } from '../../src/testing/index.js';
import { describeWithEmulator } from '../emulators/env.js';
import { fakeServiceAccount, freshBucket } from '../backends/gcs/helpers.js';

describeWithEmulator('gcs', 'gcs on fake-gcs-server', (endpoint) => {
  conformance({
    name: 'gcs (fake-gcs-server)',
    create: async () =>
      gcs({
        bucket: await freshBucket(endpoint, 'conf'),
        apiEndpoint: endpoint,
        // A throwaway key, so presigned URLs can be made (the emulator does not check them).
        credentials: fakeServiceAccount(),
        // Small chunks, so multi-chunk resumable uploads run in the kit too.
        partSize: '256KiB',
        simpleUploadThreshold: '256KiB',
      }),
    runner: { describe, it, beforeAll, afterAll },
  });
});
