/**
 * Seed 001: move a team workspace from local disk to S3 — dry run first,
 * then the migration with a progress line and checksum verification, and a
 * checkpoint so Ctrl+C (or a crash) can be resumed by running it again.
 *
 *   npx tsx examples/migrate-workspace.ts
 *
 * Without settings it migrates a generated workspace from a temporary
 * directory into memory. To target a real bucket, set STOWAGE_MIGRATE_TARGET
 * to a storage URL (`s3://bucket/prefix?region=eu-west-2`, `gs://…`,
 * `az://…`, or a directory); with STOWAGE_EXAMPLE_S3_ENDPOINT (a moto or
 * MinIO endpoint) it creates a bucket there and migrates into it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type StorageBackend } from 'stowage';
import { local } from 'stowage/local';
import { memory } from 'stowage/memory';
import { type MigrateProgress, migrate } from 'stowage/migrate';

const work = await mkdtemp(join(tmpdir(), 'stowage-workspace-'));

async function openTarget(): Promise<StorageBackend> {
  const url = process.env.STOWAGE_MIGRATE_TARGET;
  if (url) return createStorage(url);
  const endpoint = process.env.STOWAGE_EXAMPLE_S3_ENDPOINT;
  if (!endpoint) return memory();
  const { s3 } = await import('stowage/s3');
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const bucket = `workspace-${Date.now()}`;
  const credentials = () => ({ accessKeyId: 'test', secretAccessKey: 'test' });
  const admin = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: credentials(),
  });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  return s3({
    bucket,
    endpoint,
    region: 'us-east-1',
    credentials: credentials(),
    prefix: 'product-research/',
  });
}

function progressLine(p: MigrateProgress): string {
  const total = p.objectsTotal === undefined ? '?' : p.objectsTotal.toLocaleString();
  const percent = p.objectsTotal ? Math.floor((p.objectsDone / p.objectsTotal) * 100) : 0;
  const speed = `${(p.bytesPerSecond / 1048576).toFixed(1)} MB/s`;
  const eta = p.etaMs === undefined ? '' : ` ETA ${Math.ceil(p.etaMs / 1000)} s`;
  return `${p.phase.padEnd(9)} ${percent}% (${p.objectsDone.toLocaleString()}/${total}) ${speed}${eta}${p.current ? `  ${p.current}` : ''}`;
}

try {
  // A workspace like the seed's: personas, exports, one larger file.
  const source = local({ root: join(work, 'workspace') });
  for (let i = 0; i < 200; i++) {
    await source.write(`personas/customer-${i}.yaml`, `name: Customer ${i}\nsegment: ${i % 5}\n`, {
      contentType: 'application/yaml',
    });
  }
  await source.write('exports/all.json', JSON.stringify({ generated: new Date().toISOString() }));
  const target = await openTarget();
  const checkpoint = { store: local({ root: join(work, 'state') }), key: 'migration.json' };

  // 1. Dry run: writes nothing anywhere (not even the checkpoint) and lists the plan.
  const plan = await migrate({ from: source, to: target, dryRun: true, precount: true });
  console.log(`Phase 1: Inventory\n  ${plan.planned} objects to copy, ${plan.skipped} already there`);
  for (const action of plan.plan?.slice(0, 3) ?? [])
    console.log(`  would ${action.action} ${action.key} (${action.size} B)`);

  // 2. The migration: progress at least every 250 ms, Ctrl+C stops cleanly and keeps the checkpoint.
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  let last = 0;
  const migration = migrate({
    from: source,
    to: target,
    verify: 'checksum',
    precount: true,
    concurrency: 8,
    checkpoint,
    signal: controller.signal,
    onProgress: (p) => {
      if (Date.now() - last > 500 || p.objectsDone === p.objectsTotal) {
        last = Date.now();
        console.log(`  ${progressLine(p)}`);
      }
    },
  });
  const report = await migration;
  console.log(
    `Phase 3: Verification\n  copied ${report.copied}, skipped ${report.skipped}, verified ${report.verified}, ` +
      `failed ${report.failed.length}, ${report.bytes} bytes in ${report.ms} ms${report.aborted ? ' (interrupted: run again to resume)' : ''}`,
  );
  for (const failure of report.failed) console.log(`  ${failure.key}: ${failure.code} ${failure.message}`);

  // 3. Running it again copies nothing: everything is in place.
  const again = await migrate({ from: source, to: target, checkpoint });
  console.log(`Second run: ${again.copied} copied, ${again.skipped} skipped`);
  if (report.failed.length > 0 || again.copied !== 0) process.exitCode = 1;
  await target.close();
} finally {
  await rm(work, { recursive: true, force: true });
}
