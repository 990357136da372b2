/**
 * Every middleware of part A wrapped around the memory backend passes the
 * whole conformance kit: middleware must keep the contract.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import { layer } from '../../src/core/layer.js';
import { guard } from '../../src/middleware/guard.js';
import { observe } from '../../src/middleware/observe.js';
import { retry } from '../../src/middleware/retry.js';
import { scope } from '../../src/middleware/scope.js';
import { throttle } from '../../src/middleware/throttle.js';
import { timeout } from '../../src/middleware/timeout.js';
import { chaos } from '../../src/testing/chaos.js';
import { conformance } from '../../src/testing/conformance/index.js';

const runner = { describe, it, beforeAll, afterAll };
// `heavy: false` (no 1,100-key listing or 1,234-key deleteMany) where a
// middleware does not touch listing or deletion at scale; the suites that do
// (retry, throttle, scope, chaos under retry, the whole stack) run the heavy variants.
const noop = () => {};

conformance({ name: 'retry(memory)', create: () => layer(memory(), retry()), runner });
conformance({
  name: 'retry(memory) resuming streams',
  create: () => layer(memory(), retry({ resumeStreams: true })),
  heavy: false,
  runner,
});
conformance({
  name: 'timeout(memory)',
  create: () => layer(memory(), timeout({ ms: '20s', idleMs: '20s' })),
  heavy: false,
  runner,
});
conformance({
  name: 'throttle(memory)',
  create: () => layer(memory(), throttle({ concurrency: 16, opsPerSecond: 1e6, bytesPerSecond: '4GiB' })),
  runner,
});
conformance({ name: 'scope(memory)', create: () => layer(memory(), scope('tenants/acme')), runner });
conformance({
  name: 'guard(memory)',
  create: () => layer(memory(), guard({ maxSize: '64MiB', contentTypes: ['*/*'] })),
  heavy: false,
  runner,
});
conformance({
  name: 'observe(memory)',
  create: () => layer(memory(), observe({ onEvent: noop })),
  heavy: false,
  runner,
});
conformance({
  name: 'chaos(memory) without faults',
  create: () => layer(memory(), chaos({ seed: 1, errorRate: 0 })),
  heavy: false,
  runner,
});
conformance({
  name: 'retry(chaos(memory)) at 20% faults',
  create: () =>
    layer(
      memory(),
      retry({ retries: 12, minDelay: 0, maxDelay: 0, budget: false }),
      chaos({ seed: 7, errorRate: 0.2 }),
    ),
  runner,
});
conformance({
  name: 'the documented stack',
  create: () =>
    layer(
      memory(),
      guard({ maxSize: '64MiB' }),
      observe({ onEvent: noop }),
      retry(),
      timeout({ ms: '20s' }),
      throttle({ concurrency: 16 }),
      scope('tenants/acme'),
    ),
  runner,
});
