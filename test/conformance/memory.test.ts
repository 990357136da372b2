/**
 * The whole conformance kit against the memory backend, with vitest; and a
 * few groups under node:test in a child process, to prove the kit works with
 * that runner's `before`/`after` too.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import {
  CONFORMANCE_GROUPS,
  conformance,
  fixtures,
  randomPrefix,
} from '../../src/testing/conformance/index.js';

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

describe('kit fixtures', () => {
  it('randomPrefix is fresh, labelled and a valid prefix', () => {
    const a = randomPrefix();
    const b = randomPrefix('mine');
    expect(a).toMatch(/^conf-[a-z0-9]+-[0-9a-f]{10}\/$/);
    expect(b.startsWith('mine-')).toBe(true);
    expect(a).not.toBe(randomPrefix());
  });

  it('readableOf, webStreamOf and chunked yield the bytes in chunks of the given size', async () => {
    const bytes = fixtures.randomBytes(1000);
    expect(Buffer.from(await fixtures.readAll(fixtures.readableOf(bytes, 7)))).toEqual(Buffer.from(bytes));
    expect(Buffer.from(await fixtures.readAll(fixtures.webStreamOf(bytes, 300) as never))).toEqual(
      Buffer.from(bytes),
    );
    const sizes: number[] = [];
    for await (const chunk of fixtures.chunked(bytes, 300)) sizes.push(chunk.byteLength);
    expect(sizes).toEqual([300, 300, 300, 100]);
  });

  it('slowStream stops producing once destroyed', async () => {
    let produced = 0;
    const stream = fixtures.slowStream({
      chunkSize: 10,
      chunks: 1000,
      delayMs: 1,
      onChunk: (n) => (produced = n),
    });
    for await (const _ of stream) if (produced >= 3) break;
    const atBreak = produced;
    await new Promise((r) => setTimeout(r, 30));
    expect(produced).toBeLessThanOrEqual(atBreak + 1);
  });

  it('erroringStream yields its bytes, then fails', async () => {
    const error = new Error('planned');
    let received = 0;
    await expect(
      (async () => {
        for await (const chunk of fixtures.erroringStream({
          bytesBeforeError: 5000,
          chunkSize: 1000,
          error,
        })) {
          received += (chunk as Buffer).byteLength;
        }
      })(),
    ).rejects.toBe(error);
    expect(received).toBe(5000);
  });

  it('mapLimit keeps at most `limit` tasks in flight and keeps order', async () => {
    let running = 0;
    let peak = 0;
    const out = await fixtures.mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      return n * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('conformance() refuses bad options with a TypeError naming them', () => {
    const runner = { describe, it };
    expect(() => conformance({ name: '', create: () => memory(), runner })).toThrow(/`name`/);
    expect(() => conformance({ name: 'x', create: undefined as never, runner })).toThrow(/`create`/);
    expect(() => conformance({ name: 'x', create: () => memory(), runner: {} as never })).toThrow(/`runner`/);
    expect(() =>
      conformance({ name: 'x', create: () => memory(), runner, groups: ['nope' as never] }),
    ).toThrow(/unknown group "nope"/);
    expect(CONFORMANCE_GROUPS).toContain('keys');
  });
});
