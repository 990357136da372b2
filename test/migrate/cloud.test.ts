/**
 * Migrations across the emulator-backed adapters: local → S3 (moto),
 * S3 → GCS (fake-gcs-server), GCS → Azure (Azurite), Azure → local, and a
 * sync between S3 and local. Each suite runs when its emulators are up (run
 * with test/emulators/vitest.emulators.config.ts) and is skipped with its
 * reason otherwise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { azure } from '../../src/backends/azure/index.js';
import { gcs } from '../../src/backends/gcs/index.js';
import { local } from '../../src/backends/local/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { migrate, sync } from '../../src/migrate/index.js';
import { freshContainer } from '../backends/azure/helpers.js';
import { fakeServiceAccount, freshBucket as freshGcsBucket } from '../backends/gcs/helpers.js';
import { backendFor, freshBucket as freshS3Bucket, rawClient } from '../backends/s3/fixtures.js';
import { azuriteConnectionString } from '../emulators/azurite.js';
import { describeWithEmulator } from '../emulators/env.js';
import { contents } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const path of dirs) await rm(path, { recursive: true, force: true });
});
async function localDir(): Promise<StorageBackend> {
  const root = await mkdtemp(join(tmpdir(), 'stowage-cloud-'));
  dirs.push(root);
  return local({ root });
}

async function s3Backend(endpoint: string): Promise<StorageBackend> {
  return backendFor(endpoint, await freshS3Bucket(rawClient(endpoint), 'migrate'));
}
async function gcsBackend(endpoint: string): Promise<StorageBackend> {
  return gcs({
    bucket: await freshGcsBucket(endpoint, 'migrate'),
    apiEndpoint: endpoint,
    credentials: fakeServiceAccount(),
  });
}
async function azureBackend(endpoint: string): Promise<StorageBackend> {
  return azure({
    container: await freshContainer(endpoint, 'migrate'),
    connectionString: azuriteConnectionString(endpoint),
  });
}

/** A workspace like seed 001's: YAML personas, nested folders, one larger file. */
async function workspace(backend: StorageBackend): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await backend.write(`personas/p-${String(i).padStart(2, '0')}.yaml`, `name: persona ${i}\n`, {
      contentType: 'application/yaml',
      metadata: { source: 'workspace' },
    });
  }
  await backend.write('exports/big.bin', new Uint8Array(3 * 1024 * 1024).fill(7));
}

async function expectSameObjects(a: StorageBackend, b: StorageBackend, prefix = ''): Promise<void> {
  expect(await contents(b, prefix)).toEqual(await contents(a, prefix));
}

describeWithEmulator('moto', 'migrate local → S3', (s3) => {
  it('dry run, then migrate with checksum verification, then nothing left to do', async () => {
    const from = await localDir();
    const to = await s3Backend(s3);
    await workspace(from);
    const plan = await migrate({ from, to, dryRun: true });
    expect(plan.planned).toBe(31);
    expect(await contents(to)).toEqual({});
    const report = await migrate({ from, to, verify: 'checksum', concurrency: 8 });
    expect(report).toMatchObject({ copied: 31, verified: 31, failed: [] });
    await expectSameObjects(from, to);
    expect(await to.stat('personas/p-03.yaml')).toMatchObject({
      contentType: 'application/yaml',
      metadata: { source: 'workspace' },
    });
    expect((await migrate({ from, to })).skipped).toBe(31);
  });

  it('syncs S3 and a local directory both ways', async () => {
    const a = await s3Backend(s3);
    const b = await localDir();
    await a.write('music/a.mp3', 'aaa');
    await b.write('music/b.mp3', 'bbbb');
    const state = { store: b, key: '.stowage-sync' };
    await sync({ a, b, direction: 'both', state });
    await b.delete('music/a.mp3');
    await a.write('music/b.mp3', 'changed on s3');
    const report = await sync({ a, b, direction: 'both', state });
    expect(report.a.deleted).toBe(1);
    expect(report.b.updated).toBe(1);
    expect(await contents(a)).toEqual({ 'music/b.mp3': 'changed on s3' });
  });
});

describeWithEmulator('moto', 'migrate S3 → GCS', (s3) => {
  describeWithEmulator('gcs', 'on fake-gcs-server', (gcsEndpoint) => {
    it('copies a workspace between clouds', async () => {
      const from = await s3Backend(s3);
      const to = await gcsBackend(gcsEndpoint);
      await workspace(from);
      const report = await migrate({ from, to, targetPrefix: 'moved/', verify: 'checksum' });
      expect(report).toMatchObject({ copied: 31, verified: 31, failed: [] });
      expect(Object.values(await contents(to, 'moved/'))).toEqual(Object.values(await contents(from)));
    });
  });
});

describeWithEmulator('gcs', 'migrate GCS → Azure → local', (gcsEndpoint) => {
  describeWithEmulator('azurite', 'on Azurite', (azuriteEndpoint) => {
    it('copies, verifies, and deletes extraneous blobs', async () => {
      const source = await gcsBackend(gcsEndpoint);
      const middle = await azureBackend(azuriteEndpoint);
      await workspace(source);
      await middle.write('stale.txt', 'old');
      const first = await migrate({ from: source, to: middle, deleteExtraneous: true, maxDelete: 1 });
      expect(first).toMatchObject({ copied: 31, deleted: 1, failed: [] });
      await expectSameObjects(source, middle);
      const target = await localDir();
      const second = await migrate({ from: middle, to: target, verify: 'checksum' });
      expect(second).toMatchObject({ copied: 31, verified: 31, failed: [] });
      await expectSameObjects(middle, target);
    });
  });
});
