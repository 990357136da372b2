/**
 * The cache and encryption middleware wrapped around the memory backend pass
 * the whole conformance kit: they keep the contract.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { local } from '../../src/backends/local/index.js';
import { memory } from '../../src/backends/memory/index.js';
import { layer } from '../../src/core/layer.js';
import { cache } from '../../src/middleware/cache.js';
import { encryption } from '../../src/middleware/encryption.js';
import { conformance } from '../../src/testing/conformance/index.js';

const runner = { describe, it, beforeAll, afterAll };
const keys = { k1: randomBytes(32), k2: randomBytes(32) };

conformance({ name: 'cache(memory)', create: () => layer(memory(), cache()), runner });
conformance({
  name: 'cache lfu, tiny, ttl 0 (always revalidating)',
  create: () => layer(memory(), cache({ strategy: 'lfu', maxSize: '64KiB', ttl: 0 })),
  runner,
});
conformance({
  name: 'cache fifo in a memory store',
  create: () => layer(memory(), cache({ store: memory(), strategy: 'fifo' })),
  runner,
});

let cacheRoot = '';
conformance({
  name: 'cache in a local store',
  create: async () => {
    cacheRoot = await mkdtemp(join(tmpdir(), 'stowage-cache-conf-'));
    return layer(memory(), cache({ store: local({ root: cacheRoot }) }));
  },
  destroy: async (backend) => {
    await backend.close();
    await rm(cacheRoot, { recursive: true, force: true });
  },
  runner,
});

conformance({
  name: 'encryption(memory)',
  create: () => layer(memory(), encryption({ keys, currentKey: 'k2' }, { chunkSize: '1KiB' })),
  runner,
});
conformance({
  name: 'encryption(memory) with a tenant and the default chunk size',
  create: () => layer(memory(), encryption({ keys, currentKey: 'k1' }, { tenant: 'acme' })),
  runner,
});
conformance({
  name: 'cache(encryption(memory))',
  create: () => layer(memory(), cache(), encryption({ keys, currentKey: 'k1' }, { chunkSize: '4KiB' })),
  runner,
});
