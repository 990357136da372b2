import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { Entry, ListOptions } from '../../src/core/backend.js';
import { StorageError } from '../../src/core/errors.js';
import { ForwardingBackend } from '../../src/core/layer.js';
import { migrate } from '../../src/migrate/index.js';
import type { MigrateProgress } from '../../src/migrate/types.js';
import { contents, dump, Recording, seed, tick } from './helpers.js';

const PHASES = ['inventory', 'transfer', 'verify', 'delete'];

describe('migrate', () => {
  it('copies everything, keeps metadata, then skips on a second run', async () => {
    const from = memory();
    const to = memory();
    await seed(from, 40);
    await from.write('k/meta', 'm', { metadata: { tag: 'x' }, contentType: 'text/x' });
    const report = await migrate({ from, to });
    expect(report).toMatchObject({
      planned: 41,
      copied: 41,
      skipped: 0,
      failed: [],
      verified: 41,
      dryRun: false,
    });
    expect(await contents(to)).toEqual(await contents(from));
    expect(await to.stat('k/meta')).toMatchObject({ metadata: { tag: 'x' }, contentType: 'text/x' });
    const again = await migrate({ from, to });
    expect(again).toMatchObject({ planned: 0, copied: 0, skipped: 41, verified: 41 });
  });

  it('maps prefix to targetPrefix and applies the filter', async () => {
    const from = memory();
    const to = memory();
    await from.write('src/a.txt', 'a');
    await from.write('src/b.log', 'b');
    await from.write('src/sub/c.txt', 'c');
    await from.write('other/d.txt', 'd');
    const report = await migrate({
      from,
      to,
      prefix: 'src/',
      targetPrefix: 'dst/',
      filter: (e) => e.key.endsWith('.txt'),
    });
    expect(report.copied).toBe(2);
    expect(Object.keys(await dump(to))).toEqual(['dst/a.txt', 'dst/sub/c.txt']);
  });

  it('decides by each compare mode', async () => {
    const from = memory();
    const to = memory();
    await to.write('same', 'abc');
    await from.write('same', 'abc'); // same size; the source is newer by more than the 1 s window:
    const from5sLater = new (class extends ForwardingBackend {
      override async *list(prefix?: string, options?: ListOptions): AsyncIterable<Entry> {
        for await (const entry of super.list(prefix, options)) {
          if (entry.type === 'object' && entry.key === 'same') {
            yield { ...entry, lastModified: new Date(entry.lastModified.getTime() + 5000) };
          } else yield entry;
        }
      }
    })(from);
    await from.write('samesize', 'xyz');
    await to.write('samesize', 'XYZ'); // same size, target newer, other content
    const run = async (compare: 'size' | 'size+mtime' | 'etag' | 'checksum' | 'always') =>
      (await migrate({ from: from5sLater, to, compare, dryRun: true })).plan?.map((p) => p.key).sort();
    expect(await run('size')).toEqual([]);
    expect(await run('size+mtime')).toEqual(['same']);
    expect(await run('etag')).toEqual(['samesize']);
    expect(await run('checksum')).toEqual(['samesize']);
    expect(await run('always')).toEqual(['same', 'samesize']);
  });

  it('verifies by size and by checksum, reporting mismatches', async () => {
    const from = memory();
    const to = memory();
    await seed(from, 5);
    expect((await migrate({ from, to, verify: 'checksum' })).verified).toBe(5);
    // Corrupt a target object to the same size: size verification passes, checksum does not.
    await to.write('k/0001', 'VALUE 1');
    const bySize = await migrate({ from, to, compare: 'size', verify: 'size' });
    expect(bySize).toMatchObject({ verified: 5, failed: [] });
    const byChecksum = await migrate({ from, to, compare: 'size', verify: 'checksum' });
    expect(byChecksum.verified).toBe(4);
    expect(byChecksum.failed).toEqual([expect.objectContaining({ key: 'k/0001', code: 'IntegrityError' })]);
  });

  it('dry run writes nothing anywhere and reports the plan', async () => {
    const from = memory();
    const to = memory();
    const store = memory();
    await seed(from, 10);
    await to.write('extra', 'x');
    const before = [await dump(from), await dump(to), await dump(store)];
    const report = await migrate({
      from,
      to,
      dryRun: true,
      deleteExtraneous: true,
      checkpoint: { store, key: 'cp.json' },
    });
    expect([await dump(from), await dump(to), await dump(store)]).toEqual(before);
    expect(report).toMatchObject({ dryRun: true, planned: 10, copied: 0, extraneous: 1 });
    expect(report.plan).toHaveLength(11);
    expect(report.plan?.find((p) => p.action === 'copy')).toMatchObject({
      action: 'copy',
      key: 'k/0000',
      target: 'k/0000',
      reason: 'missing',
    });
    expect(report.plan?.find((p) => p.action === 'delete')).toMatchObject({ key: 'extra' });
  });

  it('deletes extraneous objects, within maxDelete', async () => {
    const from = memory();
    const to = memory();
    await seed(from, 3);
    await seed(to, 3, 'old/');
    const refused = await migrate({ from, to, deleteExtraneous: true, maxDelete: 2 });
    expect(refused.deleted).toBe(0);
    expect(refused.extraneous).toBe(3);
    expect(refused.deleteSkipped).toMatch(/maxDelete/);
    expect(Object.keys(await dump(to, 'old/'))).toHaveLength(3);
    const done = await migrate({ from, to, deleteExtraneous: true, maxDelete: 3 });
    expect(done.deleted).toBe(3);
    expect(Object.keys(await dump(to))).toEqual(Object.keys(await dump(from)));
  });

  it('does not delete when a copy failed', async () => {
    const from = memory();
    const to = new Recording(memory());
    await seed(from, 3);
    await to.write('stale', 's');
    to.beforeWrite = (key) => {
      if (key === 'k/0001') throw new StorageError('PermissionDenied', 'no');
    };
    const report = await migrate({ from, to, deleteExtraneous: true });
    expect(report.failed).toEqual([expect.objectContaining({ key: 'k/0001', code: 'PermissionDenied' })]);
    expect(report.copied).toBe(2);
    expect(report.deleted).toBe(0);
    expect(report.deleteSkipped).toMatch(/failed/);
    expect(await to.exists('stale')).toBe(true);
  });

  it('splits the work between shards with no overlap', async () => {
    const from = memory();
    await seed(from, 200);
    const targets = [new Recording(memory()), new Recording(memory())];
    const reports = await Promise.all(
      targets.map((to, index) => migrate({ from, to, shard: { index, count: 2 } })),
    );
    const [first, second] = targets.map((t) => t.writes);
    expect(first!.length + second!.length).toBe(200);
    expect(new Set([...first!, ...second!]).size).toBe(200);
    expect(reports[0]!.copied + reports[1]!.copied).toBe(200);
    expect(() => migrate({ from, to: targets[0]!, shard: { index: 2, count: 2 } })).toThrow(/shard/);
  });

  it('reports progress with phases in order and monotonic counters', async () => {
    const from = memory();
    const to = memory();
    await seed(from, 30);
    await to.write('zz-extra', 'x');
    const events: MigrateProgress[] = [];
    const migration = migrate({ from, to, deleteExtraneous: true, precount: true, concurrency: 4 });
    migration.on('progress', (p) => events.push(p));
    await migration;
    const phases = events.map((e) => PHASES.indexOf(e.phase));
    expect(phases).toEqual([...phases].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.phase))).toEqual(new Set(PHASES));
    for (const phase of PHASES) {
      const ofPhase = events.filter((e) => e.phase === phase);
      for (let i = 1; i < ofPhase.length; i++) {
        expect(ofPhase[i]!.objectsDone).toBeGreaterThanOrEqual(ofPhase[i - 1]!.objectsDone);
        expect(ofPhase[i]!.bytesDone).toBeGreaterThanOrEqual(ofPhase[i - 1]!.bytesDone);
      }
    }
    const lastTransfer = events.filter((e) => e.phase === 'transfer').at(-1)!;
    expect(lastTransfer).toMatchObject({ objectsDone: 30, objectsTotal: 30 });
    expect(lastTransfer.bytesDone).toBe(lastTransfer.bytesTotal);
  });

  it('pauses and resumes', async () => {
    const from = memory();
    const to = memory();
    await seed(from, 10);
    const migration = migrate({ from, to });
    migration.pause();
    await tick(30);
    expect(migration.paused).toBe(true);
    expect(to.size).toBe(0);
    migration.resume();
    expect((await migration).copied).toBe(10);
  });

  it('pause holds the delete phase too', async () => {
    const from = memory();
    const to = memory();
    await seed(from, 3);
    await seed(to, 3, 'old/');
    const migration = migrate({ from, to, deleteExtraneous: true });
    let settled = false;
    migration.on('progress', (p) => {
      // The verify phase's last event: the transfer is done, the delete phase comes next.
      if (p.phase === 'verify' && p.objectsDone === 3 && !migration.paused) migration.pause();
    });
    void migration.then(() => (settled = true));
    while (!migration.paused) await tick(1);
    await tick(50);
    expect(settled).toBe(false);
    expect(Object.keys(await dump(to, 'old/'))).toHaveLength(3);
    migration.resume();
    const report = await migration;
    expect(report).toMatchObject({ copied: 3, deleted: 3, failed: [] });
    expect(Object.keys(await dump(to))).toEqual(Object.keys(await dump(from)));
  });

  it('aborts cleanly, saves a checkpoint, and a new run resumes from it', async () => {
    const from = memory();
    const inner = memory();
    const store = memory();
    await seed(from, 60);
    const controller = new AbortController();
    const to = new Recording(inner);
    to.beforeWrite = async () => {
      await tick(1);
      if (to.writes.length >= 20) controller.abort();
    };
    const checkpoint = { store, key: 'mig/cp.json' };
    const first = await migrate({
      from,
      to,
      concurrency: 4,
      checkpoint,
      signal: controller.signal,
      compare: 'always',
    });
    expect(first.aborted).toBe(true);
    expect(first.copied).toBeLessThan(60);
    const saved = JSON.parse(Buffer.from(await store.read('mig/cp.json')).toString());
    expect(saved.lowWater).toMatch(/^k\//);

    const resumed = new Recording(inner);
    const second = await migrate({ from, to: resumed, concurrency: 4, checkpoint, compare: 'always' });
    expect(second.aborted).toBeUndefined();
    expect(second.resumedAfter).toBe(saved.lowWater);
    expect(await contents(inner)).toEqual(await contents(from));
    const twice = resumed.writes.filter((k) => to.writes.includes(k));
    expect(twice.length).toBeLessThanOrEqual(4);
    expect(await store.exists('mig/cp.json')).toBe(false);
  });

  it('retries a failed object from the checkpoint on resume', async () => {
    const from = memory();
    const inner = memory();
    const store = memory();
    await seed(from, 10);
    const to = new Recording(inner);
    const controller = new AbortController();
    to.beforeWrite = (key) => {
      if (key === 'k/0002') throw new StorageError('PermissionDenied', 'denied');
      if (key === 'k/0008') controller.abort();
    };
    const first = await migrate({
      from,
      to,
      concurrency: 1,
      checkpoint: { store, key: 'cp' },
      signal: controller.signal,
    });
    expect(first.failed.map((f) => f.key)).toEqual(['k/0002']);
    const saved = JSON.parse(Buffer.from(await store.read('cp')).toString());
    expect(saved.failed).toEqual(['k/0002']);
    const second = await migrate({ from, to: inner, concurrency: 1, checkpoint: { store, key: 'cp' } });
    expect(second.failed).toEqual([]);
    expect(await contents(inner)).toEqual(await contents(from));
  });

  it('rejects invalid options at once', () => {
    const m = memory();
    expect(() => migrate({ from: m, to: m })).toThrow(/overlap/);
    expect(() => migrate({ from: m, to: memory(), compare: 'nope' as never })).toThrow(/compare/);
    expect(() => migrate({ from: m, to: memory(), concurrency: 0 })).toThrow(/concurrency/);
    expect(() => migrate({ from: {} as never, to: m })).toThrow(/from/);
  });
});
