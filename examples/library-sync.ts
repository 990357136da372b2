/**
 * Seed 003: keep a music library and its backup in step both ways, with a
 * bandwidth limit, a saved state (so deletions propagate and conflicts are
 * found) and a dry-run preview.
 *
 *   npx tsx examples/library-sync.ts
 *
 * Uses two temporary directories; point `a` or `b` at `s3({ … })` or
 * `createStorage('s3://bucket/music')` for the cloud version of the seed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local } from 'stowage/local';
import { type SyncReport, sync } from 'stowage/migrate';

const work = await mkdtemp(join(tmpdir(), 'stowage-library-'));

function summary(label: string, r: SyncReport): void {
  console.log(
    `${label}: library +${r.a.created} ~${r.a.updated} -${r.a.deleted}, backup +${r.b.created} ~${r.b.updated} -${r.b.deleted}, ` +
      `${r.unchanged} unchanged, ${r.conflicts.length} conflict(s), ${r.failed.length} failed, ${r.bytes} bytes in ${r.ms} ms`,
  );
  for (const c of r.conflicts)
    console.log(
      `  conflict ${c.key} (${c.kind}): kept ${c.winner}${c.renamedTo ? `, other copy at ${c.renamedTo}` : ''}`,
    );
}

try {
  const library = local({ root: join(work, 'music') });
  const backup = local({ root: join(work, 'backup') });
  // The state lives beside the library (its key is never synced).
  const options = {
    a: library,
    b: backup,
    direction: 'both' as const,
    conflict: 'keep-both' as const,
    bandwidth: '10MiB', // bytes per second over all transfers
    state: { store: library, key: '.stowage-sync-state' },
  };

  for (let i = 1; i <= 5; i++)
    await library.write(`Artist ${i}/Album/01 - Track.mp3`, new Uint8Array(256 * 1024).fill(i));
  await backup.write('Old Artist/Live.mp3', new Uint8Array(100_000));

  const preview = await sync({ ...options, dryRun: true });
  summary('dry run', preview);
  summary('first sync', await sync(options));

  // Changes on both sides, then one key edited on both (a conflict).
  await library.delete('Artist 1/Album/01 - Track.mp3');
  await backup.write('Artist 2/Album/02 - New.mp3', new Uint8Array(64 * 1024));
  await library.write('Artist 3/Album/01 - Track.mp3', 'retagged in the library');
  await new Promise((resolve) => setTimeout(resolve, 20));
  await backup.write('Artist 3/Album/01 - Track.mp3', 'retagged on the backup');
  summary('second sync', await sync(options));
  summary('third sync', await sync(options));
} finally {
  await rm(work, { recursive: true, force: true });
}
