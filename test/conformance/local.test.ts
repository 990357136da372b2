/** The whole conformance kit against the local-disk backend, in a fresh temp directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { local } from '../../src/backends/local/index.js';
import { conformance } from '../../src/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'stowage-local-conformance-'));

conformance({
  name: 'local',
  create: () => local({ root }),
  destroy: async (backend) => {
    await backend.close();
    rmSync(root, { recursive: true, force: true });
  },
  runner: { describe, it, beforeAll, afterAll },
});
