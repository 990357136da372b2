/**
 * The conformance kit against the s3 adapter on moto, in a fresh bucket per
 * suite, with every capability the `aws` provider declares:
 *
 * - the whole kit on an unversioned bucket (conditional writes included:
 *   moto honours If-None-Match / If-Match on PutObject);
 * - the `errors` group (which holds the version tests) on a versioned bucket
 *   with `versioning: true`. Only that group: moto, unlike S3, keeps listing a
 *   folder whose last key is hidden by a delete marker in a versioned bucket;
 * - the kit under a root prefix with every body going through multipart
 *   (threshold 1 byte) and the `generic` provider (no conditional writes:
 *   moto ignores If-Match on CompleteMultipartUpload, AWS honours it; the kit
 *   then checks those options reject with Unsupported). ifNotExists on
 *   multipart is covered in test/backends/s3/multipart.test.ts.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { conformance } from '../../src/testing/index.js';
import { backendFor, freshBucket, rawClient } from '../backends/s3/fixtures.js';
import { describeWithEmulator } from '../emulators/env.js';

const runner = { describe, it, beforeAll, afterAll };

describeWithEmulator('moto', 's3 on moto', (endpoint) => {
  conformance({
    name: 's3 (moto)',
    create: async () => backendFor(endpoint, await freshBucket(rawClient(endpoint), 'conf')),
    runner,
  });
});

describeWithEmulator('moto', 's3 on moto, versioned bucket', (endpoint) => {
  conformance({
    name: 's3 (moto, versioned)',
    create: async () =>
      backendFor(endpoint, await freshBucket(rawClient(endpoint), 'confv', true), { versioning: true }),
    runner,
    groups: ['errors'],
  });
});

describeWithEmulator('moto', 's3 on moto, under a prefix, multipart from 1 byte', (endpoint) => {
  conformance({
    name: 's3 (moto, prefix, multipart)',
    create: async () =>
      backendFor(endpoint, await freshBucket(rawClient(endpoint), 'confmp'), {
        prefix: 'nested/root',
        partSize: '5MiB',
        multipartThreshold: 1,
        provider: 'generic',
      }),
    runner,
    heavy: false,
  });
});
