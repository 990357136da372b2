/**
 * Azure-specific features on Azurite: SAS presigning, both copy paths, access
 * tiers, metadata-name encoding, UTF-8 listing order, batch deletes and their
 * fallback, listContainers, and a root prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azure, listContainers } from '../../../src/backends/azure/index.js';
import { toUtf8Order } from '../../../src/backends/azure/list.js';
import type { Entry } from '../../../src/core/backend.js';
import { isStorageError } from '../../../src/core/errors.js';
import { compareKeys } from '../../../src/core/keys.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, azuriteConnectionString } from '../../emulators/azurite.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { freshContainer, rawService } from './helpers.js';
import { type ProxyAction, type SeenRequest, startProxy, type TestProxy } from './proxy.js';

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('toUtf8Order', () => {
  const entries = (keys: string[]) =>
    (async function* () {
      for (const key of keys) yield { type: 'prefix', key } as Entry;
    })();
  it('reorders a UTF-16-sorted listing into UTF-8 byte order', async () => {
    const keys = ['a', 'b\u{1F600}', 'b\u{1F600}x', 'b\uE000', 'b\uFFFD', 'c', 'd\u{10000}/', 'd\uE001'];
    const utf16 = [...keys].sort();
    const out = (await all(toUtf8Order(entries(utf16)))).map((e) => e.key);
    expect(out).toEqual([...keys].sort(compareKeys));
  });
  it('passes a listing already in UTF-8 order through unchanged', async () => {
    const keys = ['a', 'b\uE000', 'b\u{1F600}', 'c\u{1F600}', 'c\u{1F601}', 'z'].sort(compareKeys);
    expect((await all(toUtf8Order(entries(keys)))).map((e) => e.key)).toEqual(keys);
  });
});

describeWithEmulator('azurite', 'azure features', (endpoint) => {
  let container: string;
  let proxy: TestProxy;
  let decide: (r: SeenRequest) => ProxyAction = () => 'forward';
  beforeAll(async () => {
    container = await freshContainer(endpoint, 'features');
    proxy = await startProxy(endpoint, (r) => decide(r));
  });
  afterAll(async () => {
    await proxy?.stop();
  });
  const backend = (options: Record<string, unknown> = {}) =>
    azure({ container, connectionString: azuriteConnectionString(proxy.endpoint), ...options });
  const raw = () => rawService(endpoint).getContainerClient(container);

  it('presigns a GET that fetches the bytes, and a PUT that uploads them', async () => {
    const storage = backend();
    await storage.write('signed/get.txt', 'signed hello');
    const get = await storage.presign('signed/get.txt', { method: 'GET', expiresIn: '10m' });
    expect(get.url).toMatch(/[?&]sig=/);
    expect(get.expiresAt.getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
    expect(await (await fetch(get.url)).text()).toBe('signed hello');

    const put = await storage.presign('signed/put.txt', {
      method: 'PUT',
      expiresIn: 600,
      contentType: 'text/plain',
    });
    expect(put.headers['x-ms-blob-type']).toBe('BlockBlob');
    const response = await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'uploaded' });
    expect(response.status).toBe(201);
    const info = await storage.stat('signed/put.txt');
    expect(info.contentType).toBe('text/plain');
    expect(new TextDecoder().decode(await storage.read('signed/put.txt'))).toBe('uploaded');
  });

  it('a presigned GET cannot write, and a bare SAS cannot presign', async () => {
    const storage = backend();
    await storage.write('signed/ro.txt', 'ro');
    const get = await storage.presign('signed/ro.txt', { method: 'GET', expiresIn: 60 });
    const denied = await fetch(get.url, {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
      body: 'x',
    });
    expect(denied.status).toBe(403);
    const sasOnly = azure({
      container,
      accountName: AZURITE_ACCOUNT,
      endpoint,
      sasToken: new URL(get.url).search,
    });
    const error = await sasOnly
      .presign('signed/ro.txt', { method: 'GET', expiresIn: 60 })
      .catch((e: unknown) => e);
    expect(isStorageError(error, 'Unsupported')).toBe(true);
  });

  it('works with accountName + accountKey + endpoint, and SAS-token reads', async () => {
    const storage = azure({ container, accountName: AZURITE_ACCOUNT, accountKey: AZURITE_KEY, endpoint });
    await storage.write('auth/key.txt', 'by key');
    const get = await storage.presign('auth/key.txt', { method: 'GET', expiresIn: 60 });
    const sasReader = azure({
      container,
      accountName: AZURITE_ACCOUNT,
      endpoint,
      sasToken: new URL(get.url).search,
    });
    expect(new TextDecoder().decode(await sasReader.read('auth/key.txt'))).toBe('by key');
  });

  it('copies small objects with Copy Blob From URL, and with the polled Copy Blob past the threshold', async () => {
    for (const syncCopyThreshold of [256 * 1024 * 1024, 0]) {
      // Azurite cannot reach a copy source through the proxy for an asynchronous copy: go direct then.
      const storage =
        syncCopyThreshold > 0
          ? backend({ syncCopyThreshold })
          : azure({
              container,
              connectionString: azuriteConnectionString(endpoint),
              syncCopyThreshold,
              copyPollInterval: 50,
            });
      const from = `copy/src-${syncCopyThreshold}.txt`;
      const to = `copy/dst-${syncCopyThreshold}.txt`;
      await storage.write(from, 'copied', {
        contentType: 'text/x-test',
        metadata: { 'content-hash': 'abc' },
      });
      const before = proxy.requests.length;
      const info = await storage.copy(from, to);
      if (syncCopyThreshold > 0) {
        const copyRequest = proxy.requests
          .slice(before)
          .find((r) => r.headers['x-ms-copy-source'] !== undefined);
        // Copy Blob From URL: synchronous, with a read SAS on the source.
        expect(copyRequest?.headers['x-ms-requires-sync']).toBe('true');
        expect(String(copyRequest?.headers['x-ms-copy-source'])).toMatch(/[?&]sig=/);
      }
      expect(info.contentType).toBe('text/x-test');
      expect(info.metadata).toEqual({ 'content-hash': 'abc' });
      expect(new TextDecoder().decode(await storage.read(to))).toBe('copied');
    }
  });

  it('move deletes the source only if it is still the copied version', async () => {
    const storage = backend();
    await storage.write('move/a.txt', 'a');
    const info = await storage.move('move/a.txt', 'move/b.txt');
    expect(info.size).toBe(1);
    expect(await storage.exists('move/a.txt')).toBe(false);
    expect(await storage.exists('move/b.txt')).toBe(true);
  });

  it('access tiers are the storage class, case-insensitive; an inferred tier is not reported', async () => {
    const storage = backend();
    const written = await storage.write('tier/cool.txt', 'x', { storageClass: 'cool' });
    expect(written.storageClass).toBe('Cool');
    expect((await storage.stat('tier/cool.txt')).storageClass).toBe('Cool');
    await storage.write('tier/default.txt', 'x');
    expect((await storage.stat('tier/default.txt')).storageClass).toBeUndefined();
    const copied = await storage.copy('tier/default.txt', 'tier/copied.txt', { storageClass: 'Cold' });
    expect(['Cold', 'Cool']).toContain(copied.storageClass); // Azurite may not know Cold
  });

  it('stores non-identifier metadata names encoded, and reads them back as given', async () => {
    const storage = backend();
    await storage.write('meta/a.txt', 'x', { metadata: { 'content-hash': 'h', owner: 'me' } });
    const props = await raw().getBlobClient('meta/a.txt').getProperties();
    expect(props.metadata).toEqual({ stw_content_2dhash: 'h', owner: 'me' });
    expect((await storage.stat('meta/a.txt')).metadata).toEqual({ 'content-hash': 'h', owner: 'me' });
    const listed = await all(storage.list('meta/'));
    expect(listed[0]).toMatchObject({ type: 'object', metadata: { 'content-hash': 'h', owner: 'me' } });
  });

  it('lists in UTF-8 byte order although Azurite sorts by UTF-16, flat and by folder', async () => {
    const storage = backend();
    const keys = [
      'order/\u{1F600}.txt',
      'order/\uE000.txt',
      'order/\uFFFD/x.txt',
      'order/a.txt',
      'order/\u{1F600}/y.txt',
    ];
    for (const key of keys) await storage.write(key, 'x');
    const flat = (await all(storage.list('order/', { pageSize: 2 }))).map((e) => e.key);
    expect(flat).toEqual([...keys].sort(compareKeys));
    const folders = (await all(storage.list('order/', { recursive: false }))).map((e) => e.key);
    expect(folders).toEqual([
      'order/a.txt',
      'order/\uE000.txt',
      'order/\uFFFD/',
      'order/\u{1F600}.txt',
      'order/\u{1F600}/',
    ]);
  });

  it('deleteMany uses one Blob Batch request for many keys', async () => {
    const storage = backend();
    const keys = Array.from({ length: 20 }, (_, i) => `batch/${i}.txt`);
    for (const key of keys) await storage.write(key, 'x');
    const before = proxy.requests.length;
    const result = await storage.deleteMany([...keys, 'batch/absent.txt']);
    expect(result).toEqual({ deleted: 21, errors: [] });
    const batches = proxy.requests
      .slice(before)
      .filter((r) => r.method === 'POST' && r.url.includes('comp=batch'));
    expect(batches).toHaveLength(1);
    expect(await all(storage.list('batch/'))).toEqual([]);
  });

  it('deleteMany falls back to single deletes when the service refuses batches', async () => {
    const storage = backend();
    const keys = Array.from({ length: 5 }, (_, i) => `nobatch/${i}.txt`);
    for (const key of keys) await storage.write(key, 'x');
    decide = (r) =>
      r.url.includes('comp=batch') ? { respond: 400, errorCode: 'InvalidQueryParameterValue' } : 'forward';
    const before = proxy.requests.length;
    const result = await storage.deleteMany(keys);
    decide = () => 'forward';
    expect(result).toEqual({ deleted: 5, errors: [] });
    expect(proxy.requests.slice(before).filter((r) => r.method === 'DELETE')).toHaveLength(5);
    expect(await all(storage.list('nobatch/'))).toEqual([]);
  });

  it('with versioning declared, a version id is sent as versionid on reads, stats and deletes', async () => {
    const storage = backend({ versioning: true });
    await storage.write('versions/a.txt', 'x');
    const before = proxy.requests.length;
    // Azurite keeps no versions, so the answers are errors; what matters is what was asked.
    await storage.stat('versions/a.txt', { version: '2026-01-01T00:00:00.0000000Z' }).catch(() => undefined);
    await storage.read('versions/a.txt', { version: '2026-01-01T00:00:00.0000000Z' }).catch(() => undefined);
    await storage
      .delete('versions/a.txt', { version: '2026-01-01T00:00:00.0000000Z' })
      .catch(() => undefined);
    const asked = proxy.requests.slice(before).map((r) => `${r.method} ${decodeURIComponent(r.url)}`);
    expect(
      asked.some((u) => u.startsWith('HEAD') && u.includes('versionid=2026-01-01T00:00:00.0000000Z')),
    ).toBe(true);
    expect(
      asked.some((u) => u.startsWith('GET') && u.includes('versionid=2026-01-01T00:00:00.0000000Z')),
    ).toBe(true);
    expect(
      asked.some((u) => u.startsWith('DELETE') && u.includes('versionid=2026-01-01T00:00:00.0000000Z')),
    ).toBe(true);
    // (Azurite ignores versionid on Delete Blob and deletes the current blob: never declare versioning on Azurite.)
  });

  it('confines a backend to its prefix', async () => {
    const tenant = backend({ prefix: 'tenant-a' });
    await tenant.write('x.txt', 'inside');
    expect((await raw().getBlobClient('tenant-a/x.txt').downloadToBuffer()).toString()).toBe('inside');
    expect((await all(tenant.list())).map((e) => e.key)).toEqual(['x.txt']);
  });

  it('listContainers lists the account containers, by prefix', async () => {
    const containers = await listContainers({
      connectionString: azuriteConnectionString(endpoint),
      prefix: 'features-',
    });
    expect(containers.map((c) => c.name)).toContain(container);
    expect(containers.every((c) => c.name.startsWith('features-') && c.lastModified instanceof Date)).toBe(
      true,
    );
  });
});
