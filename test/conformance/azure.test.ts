/**
 * The conformance kit against the azure adapter on Azurite, in a fresh
 * container, with every capability the adapter declares there (versioning is
 * off: Azurite does not keep blob versions).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { azure } from '../../src/backends/azure/index.js';
import { conformance } from '../../src/testing/index.js';
import { freshContainer } from '../backends/azure/helpers.js';
import { azuriteConnectionString } from '../emulators/azurite.js';
import { describeWithEmulator } from '../emulators/env.js';

describeWithEmulator('azurite', 'azure on Azurite', (endpoint) => {
  conformance({
    name: 'azure (Azurite)',
    create: async () =>
      azure({
        container: await freshContainer(endpoint, 'conf'),
        connectionString: azuriteConnectionString(endpoint),
        // Small blocks, so multi-block uploads run in the kit too.
        blockSize: '256KiB',
        singleUploadThreshold: '256KiB',
      }),
    runner: { describe, it, beforeAll, afterAll },
  });
});
