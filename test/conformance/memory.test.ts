/** The whole conformance kit against the memory backend, with vitest. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import { conformance } from '../../src/testing/conformance/index.js';

conformance({ name: 'memory', create: () => memory(), runner: { describe, it, beforeAll, afterAll } });
