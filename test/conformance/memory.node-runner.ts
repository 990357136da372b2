/**
 * A few kit groups under node:test's `describe/it/before/after`, to prove the
 * kit is runner-agnostic. Run by memory.test.ts as
 * `node --import tsx --test test/conformance/memory.node-runner.ts`.
 * With STOWAGE_KIT_BROKEN=1 the backend breaks one sentence of the contract
 * (`exists` of an absent key resolves true), and the run must fail.
 */
import { after, before, describe, it } from 'node:test';
import { memory } from '../../src/backends/memory/index.js';
import type { Signal } from '../../src/core/backend.js';
import { ForwardingBackend } from '../../src/core/layer.js';
import { conformance } from '../../src/testing/conformance/index.js';

class ExistsAlwaysTrue extends ForwardingBackend {
  override async exists(_key: string, _options?: Signal): Promise<boolean> {
    return true;
  }
}

conformance({
  name: 'memory under node:test',
  create: () => (process.env.STOWAGE_KIT_BROKEN === '1' ? new ExistsAlwaysTrue(memory()) : memory()),
  runner: { describe, it, before, after },
  groups: ['keys', 'read', 'list', 'conditional'],
  heavy: false,
});
