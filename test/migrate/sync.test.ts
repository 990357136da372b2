import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { sync } from '../../src/migrate/index.js';
import { conflictName } from '../../src/migrate/sync-plan.js';
import type { SyncOptions } from '../../src/migrate/types.js';
import { contents, dump, tick } from './helpers.js';

function setup(direction: SyncOptions['direction'] = 'both', extra: Partial<SyncOptions> = {}) {
  const a = memory();
  const b = memory();
  const store = memory();
  const run = (more: Partial<SyncOptions> = {}) =>
    sync({ a, b, direction, state: { store, key: 'state/sync' }, ...extra, ...more });
  return { a, b, store, run };
}

const text = async (backend: StorageBackend, key: string) => Buffer.from(await backend.read(key)).toString();

describe('sync both ways', () => {
  it('creates on each side, then propagates modifications and deletions', async () => {
    const { a, b, run } = setup();
    await a.write('x.mp3', 'x1');
    await a.write('y.mp3', 'y1');
    await b.write('z.mp3', 'z1');
    const first = await run();
    expect(first.a).toEqual({ created: 1, updated: 0, deleted: 0 });
    expect(first.b).toEqual({ created: 2, updated: 0, deleted: 0 });
    expect(await contents(a)).toEqual(await contents(b));

    await a.write('x.mp3', 'x2-longer');
    await b.delete('y.mp3');
    await b.write('z.mp3', 'z2-longer');
    const second = await run();
    expect(second.b.updated).toBe(1);
    expect(second.a).toEqual({ created: 0, updated: 1, deleted: 1 });
    expect(second.conflicts).toEqual([]);
    expect(await contents(a)).toEqual({ 'x.mp3': 'x2-longer', 'z.mp3': 'z2-longer' });
    expect(await contents(b)).toEqual(await contents(a));

    const third = await run();
    expect(third).toMatchObject({
      a: { created: 0, updated: 0, deleted: 0 },
      b: { created: 0, updated: 0, deleted: 0 },
    });
    expect(third.unchanged).toBe(2);
  });

  it('treats same-size files present on both sides at the first sync as the same', async () => {
    const { a, b, run } = setup();
    await a.write('song.flac', 'same');
    await b.write('song.flac', 'same');
    const report = await run();
    expect(report.unchanged).toBe(1);
    expect(report.conflicts).toEqual([]);
  });

  it.each([
    ['newer', 'b-new!'],
    ['a', 'a-new'],
    ['b', 'b-new!'],
  ] as const)('resolves a conflict with policy %s', async (policy, expected) => {
    const { a, b, run } = setup('both', { conflict: policy });
    await a.write('k.txt', 'v1');
    await run();
    await a.write('k.txt', 'a-new');
    await tick();
    await b.write('k.txt', 'b-new!');
    const report = await run();
    expect(report.conflicts).toEqual([
      expect.objectContaining({
        key: 'k.txt',
        kind: 'both-changed',
        winner: expected === 'a-new' ? 'a' : 'b',
      }),
    ]);
    expect(await text(a, 'k.txt')).toBe(expected);
    expect(await text(b, 'k.txt')).toBe(expected);
  });

  it('keeps both versions under a conflict name', async () => {
    const now = () => new Date('2026-01-02T03:04:05.678Z');
    const { a, b, run } = setup('both', { conflict: 'keep-both', now });
    await a.write('dir/k.txt', 'v1');
    await run();
    await a.write('dir/k.txt', 'a-new');
    await tick();
    await b.write('dir/k.txt', 'b-new!');
    const report = await run();
    const renamed = 'dir/k.conflict-a-20260102T030405Z.txt';
    expect(report.conflicts).toEqual([
      { key: 'dir/k.txt', kind: 'both-changed', winner: 'b', renamedTo: renamed },
    ]);
    for (const side of [a, b]) {
      expect(await text(side, 'dir/k.txt')).toBe('b-new!');
      expect(await text(side, renamed)).toBe('a-new');
    }
    const next = await run();
    expect(next.conflicts).toEqual([]);
    expect(next.a.created + next.b.created + next.a.updated + next.b.updated).toBe(0);
  });

  it('keeps a change over a deletion on the other side', async () => {
    const { a, b, run } = setup('both', { conflict: 'b' });
    await a.write('k', 'v1');
    await run();
    await a.write('k', 'changed');
    await b.delete('k');
    const report = await run();
    expect(report.conflicts).toEqual([expect.objectContaining({ kind: 'changed-deleted', winner: 'a' })]);
    expect(await text(b, 'k')).toBe('changed');
  });

  it('dry run writes nothing, not even the state', async () => {
    const { a, b, store, run } = setup();
    await a.write('x', '1');
    await b.write('y', '2');
    const before = [await dump(a), await dump(b), await dump(store)];
    const report = await run({ dryRun: true });
    expect([await dump(a), await dump(b), await dump(store)]).toEqual(before);
    expect(report.dryRun).toBe(true);
    expect(report.plan).toEqual([
      { action: 'copy', from: 'a', side: 'b', key: 'x' },
      { action: 'copy', from: 'b', side: 'a', key: 'y' },
    ]);
    expect(report.b.created).toBe(1);
  });

  it('saves the state as a manifest and JSON Lines parts', async () => {
    const { a, b, store, run } = setup();
    for (let i = 0; i < 10_050; i++) {
      const key = `lib/${String(i).padStart(5, '0')}.mp3`;
      await a.write(key, 'x');
      await b.write(key, 'x');
    }
    const report = await run();
    expect(report.unchanged).toBe(10_050);
    const manifest = JSON.parse(await text(store, 'state/sync'));
    expect(manifest).toMatchObject({ format: 'stowage.sync.state', entries: 10_050 });
    expect(manifest.parts).toHaveLength(2);
    const firstLine = (await text(store, manifest.parts[1])).split('\n')[0]!;
    expect(JSON.parse(firstLine).k).toBe('lib/10000.mp3');
    await a.delete('lib/00007.mp3');
    const next = await run();
    expect(next.b.deleted).toBe(1);
    const after = JSON.parse(await text(store, 'state/sync'));
    expect(after.entries).toBe(10_049);
    // Old parts are removed once the new state is in place.
    expect(Object.keys(await dump(store)).length).toBe(1 + after.parts.length);
  });

  it('keeps the state in a side without syncing it', async () => {
    const a = memory();
    const b = memory();
    await a.write('x', '1');
    await sync({ a, b, direction: 'both', state: { store: a, key: '.stowage-sync' } });
    await sync({ a, b, direction: 'both', state: { store: a, key: '.stowage-sync' } });
    expect(Object.keys(await dump(b))).toEqual(['x']);
  });
});

describe('sync state placement', () => {
  it('never syncs the state, even through another backend object over the same store', async () => {
    const name = `sync-${Math.random().toString(36).slice(2)}`;
    const a = memory({ name });
    const b = memory();
    await a.write('x', '1');
    const state = { store: memory({ name }), key: '.stowage-sync' };
    await sync({ a, b, direction: 'both', state });
    await a.write('y', '2'); // a new key through `a` refreshes its key list, which now has the state
    await sync({ a, b, direction: 'both', state });
    expect(Object.keys(await dump(b))).toEqual(['x', 'y']);
    // (Listed through the store's own object: each memory() instance caches its sorted key list.)
    expect(
      Object.keys(await dump(state.store)).filter((k) => k.startsWith('.stowage-sync')).length,
    ).toBeGreaterThan(0);
  });
});

describe('sync one way', () => {
  it('propagates the source and leaves changes made only on the destination alone', async () => {
    const { a, b, run } = setup('a-to-b');
    await a.write('keep', '1');
    await a.write('gone', '1');
    await a.write('edited-on-b', '1');
    await run();
    await a.delete('gone');
    await b.write('b-only', 'mine');
    await b.write('edited-on-b', 'local edit');
    const report = await run();
    expect(report.b.deleted).toBe(1);
    expect(report.a).toEqual({ created: 0, updated: 0, deleted: 0 });
    expect(await contents(b)).toEqual({ 'b-only': 'mine', 'edited-on-b': 'local edit', keep: '1' });
    expect(await contents(a)).toEqual({ 'edited-on-b': '1', keep: '1' });
  });

  it('b-to-a copies from b', async () => {
    const { a, b, run } = setup('b-to-a');
    await b.write('k', 'from b');
    await a.write('a-only', 'stays');
    const report = await run();
    expect(report.a.created).toBe(1);
    expect(await contents(a)).toEqual({ 'a-only': 'stays', k: 'from b' });
    expect(await contents(b)).toEqual({ k: 'from b' });
  });

  it('names conflicts after the losing side, keeping the extension', () => {
    const at = new Date('2026-05-06T07:08:09Z');
    expect(conflictName('music/a.flac', 'b', at)).toBe('music/a.conflict-b-20260506T070809Z.flac');
    expect(conflictName('README', 'a', at)).toBe('README.conflict-a-20260506T070809Z');
    expect(conflictName('.hidden', 'a', at)).toBe('.hidden.conflict-a-20260506T070809Z');
  });
});
