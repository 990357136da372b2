/**
 * The conformance kit against the gcs adapter on fake-gcs-server, in fresh
 * buckets, with every capability the adapter declares there:
 *
 * - the whole kit on the shared emulator (filesystem backend, versioning off);
 * - the groups that exercise versions again with `versioning: true`, on a
 *   fake-gcs-server of its own with the memory backend (the only one that
 *   keeps old generations) and a versioned bucket.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { gcs } from '../../src/backends/gcs/index.js';
import { conformance } from '../../src/testing/index.js';
import { fakeServiceAccount, freshBucket } from '../backends/gcs/helpers.js';
import { describeWithEmulator } from '../emulators/env.js';
import { startFakeGcs } from '../emulators/fake-gcs.js';
import type { EmulatorHandle } from '../emulators/types.js';

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

  let versioned: EmulatorHandle | undefined;
  conformance({
    name: 'gcs (fake-gcs-server, versioned bucket)',
    groups: ['errors', 'conditional', 'read'],
    create: async () => {
      versioned = await startFakeGcs({ backend: 'memory' });
      return gcs({
        bucket: await freshBucket(versioned.endpoint, 'confv', true),
        apiEndpoint: versioned.endpoint,
        versioning: true,
      });
    },
    destroy: async (backend) => {
      await backend.close();
      await versioned?.stop();
    },
    runner: { describe, it, beforeAll, afterAll },
  });
});
