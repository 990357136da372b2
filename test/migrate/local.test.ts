import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { local } from '../../src/backends/local/index.js';
import { memory } from '../../src/backends/memory/index.js';
import { layer } from '../../src/core/layer.js';
import { migrate, sync } from '../../src/migrate/index.js';
import { chaos } from '../../src/testing/chaos.js';
import { contents, dump, Recording, seed } from './helpers.js';

const dirs: string[] = [];
async function dir(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'stowage-migrate-'));
  dirs.push(path);
  return path;
}
afterEach(async () => {
  for (const path of dirs.splice(0)) await rm(path, { recursive: true, force: true });
});

describe('migrate with the local backend', () => {
  it('local → memory → local round-trips content and metadata', async () => {
    const source = local({ root: await dir() });
    await seed(source, 25, 'docs/');
    await source.write('docs/meta.json', '{}', { contentType: 'application/json', metadata: { team: 'a' } });
    const middle = memory();
    expect((await migrate({ from: source, to: middle, verify: 'checksum' })).copied).toBe(26);
    const target = local({ root: await dir() });
    const report = await migrate({ from: middle, to: target, prefix: 'docs/', targetPrefix: 'restored/' });
    expect(report).toMatchObject({ copied: 26, verified: 26, failed: [] });
    expect(await target.stat('restored/meta.json')).toMatchObject({
      contentType: 'application/json',
      metadata: { team: 'a' },
    });
    const restored = await contents(target, 'restored/');
    expect(Object.values(restored)).toEqual(Object.values(await contents(source, 'docs/')));
    // A second run finds everything in place (target files are newer than the source).
    expect(
      (await migrate({ from: middle, to: target, prefix: 'docs/', targetPrefix: 'restored/' })).skipped,
    ).toBe(26);
  });

  it('local → local with the checkpoint in the target, deleting extraneous files', async () => {
    const from = local({ root: await dir() });
    const to = local({ root: await dir() });
    await seed(from, 10);
    await to.write('k/old', 'x');
    const report = await migrate({
      from,
      to,
      deleteExtraneous: true,
      checkpoint: { store: to, key: '.migration.json' },
      verify: 'checksum',
    });
    expect(report).toMatchObject({ copied: 10, deleted: 1, verified: 10 });
    expect(Object.keys(await dump(to))).toEqual(Object.keys(await dump(from)));
  });

  it('syncs two local directories both ways with a bandwidth limit', async () => {
    const a = local({ root: await dir() });
    const b = local({ root: await dir() });
    await a.write('artist/song1.mp3', new Uint8Array(20_000));
    await b.write('artist/song2.mp3', new Uint8Array(30_000));
    const state = { store: a, key: '.stowage-sync' };
    const first = await sync({ a, b, direction: 'both', state, bandwidth: '10MiB' });
    expect(first.a.created + first.b.created).toBe(2);
    expect(first.bytes).toBe(50_000);
    await b.delete('artist/song1.mp3');
    const second = await sync({ a, b, direction: 'both', state, bandwidth: '10MiB' });
    expect(second.a.deleted).toBe(1);
    expect(Object.keys(await dump(a)).filter((k) => !k.startsWith('.stowage-sync'))).toEqual([
      'artist/song2.mp3',
    ]);
    expect(await a.exists('artist/song1.mp3')).toBe(false);
    expect(Object.keys(await dump(b))).toEqual(['artist/song2.mp3']);
  });
});

describe('migrate under fault injection', () => {
  it('copies everything through retryable errors and broken streams', async () => {
    const source = memory();
    const target = memory();
    await seed(source, 60);
    // Each attempt is stat + stream + write: ~40% of attempts fail; 16 attempts make a failure ~1e-6 per object.
    const faults = chaos({ seed: 7, errorRate: 0.1, midStreamFailureRate: 0.1 });
    const report = await migrate({
      from: layer(source, faults),
      to: layer(target, faults),
      concurrency: 6,
      retries: { retries: 15, minDelay: 1, maxDelay: 5 },
    });
    expect(faults.stats.errors + faults.stats.midStreamFailures).toBeGreaterThan(0);
    expect(report.failed).toEqual([]);
    expect(report.copied).toBe(60);
    expect(await contents(target)).toEqual(await contents(source));
  });

  it('lists an object that keeps failing and copies the rest', async () => {
    const source = memory();
    await seed(source, 10);
    const target = new Recording(memory());
    let attempts = 0;
    target.beforeWrite = (key) => {
      if (key === 'k/0003') {
        attempts++;
        throw Object.assign(new Error('boom'), {});
      }
    };
    const report = await migrate({ from: source, to: target, retries: { retries: 2, minDelay: 1 } });
    expect(report.copied).toBe(9);
    expect(report.failed).toEqual([expect.objectContaining({ key: 'k/0003', code: 'Unknown' })]);
    // Non-retryable: tried once.
    expect(attempts).toBe(1);
  });
});
