/**
 * The whole conformance kit against the memory backend, with vitest; and a
 * few groups under node:test in a child process, to prove the kit works with
 * that runner's `before`/`after` too.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import { conformance } from '../../src/testing/conformance/index.js';

conformance({ name: 'memory', create: () => memory(), runner: { describe, it, beforeAll, afterAll } });

describe('the kit under node:test', () => {
  const file = fileURLToPath(new URL('./memory.node-runner.ts', import.meta.url));
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 60_000,
    });

  it('registers and passes the keys, read, list and conditional groups on memory', () => {
    const result = run({ STOWAGE_KIT_BROKEN: '0' });
    expect(result.stdout).toMatch(/# pass [1-9]\d*/);
    expect(result.stdout).toContain('# fail 0');
    expect(result.stdout).toContain('ok 1 - read: an absent key rejects with NotFound');
    expect(result.status).toBe(0);
  });

  it('fails the run when the backend breaks a sentence of the contract', () => {
    const result = run({ STOWAGE_KIT_BROKEN: '1' });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/not ok \d+ - exists: resolves false for an absent key/);
  });
});
