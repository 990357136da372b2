import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isStorageError } from '../../src/core/errors.js';
import { createStorage, parseStorageUrl } from '../../src/create.js';

describe('parseStorageUrl', () => {
  it.each([
    ['memory://', { backend: 'memory' }],
    ['memory://cache', { backend: 'memory', name: 'cache' }],
    ['file:///srv/data', { backend: 'local', root: '/srv/data' }],
    ['file:///srv/my%20data?fsync=true', { backend: 'local', root: '/srv/my data', fsync: true }],
    ['/abs/path', { backend: 'local', root: '/abs/path' }],
    ['./rel/dir', { backend: 'local', root: resolve('./rel/dir') }],
    ['s3://bucket', { backend: 's3', bucket: 'bucket' }],
    [
      's3://bucket/some/prefix?region=eu-west-1&endpoint=http://127.0.0.1:9000&forcePathStyle=true',
      {
        backend: 's3',
        bucket: 'bucket',
        prefix: 'some/prefix',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9000',
        forcePathStyle: true,
      },
    ],
    ['r2://acct123/bucket/pre', { backend: 'r2', accountId: 'acct123', bucket: 'bucket', prefix: 'pre' }],
    [
      'gs://bucket/p/q?projectId=proj',
      { backend: 'gcs', bucket: 'bucket', prefix: 'p/q', projectId: 'proj' },
    ],
    ['gcs://bucket', { backend: 'gcs', bucket: 'bucket' }],
    [
      'az://account/container/pre',
      { backend: 'azure', accountName: 'account', container: 'container', prefix: 'pre' },
    ],
    ['azure://account/container', { backend: 'azure', accountName: 'account', container: 'container' }],
  ])('%s', (url, expected) => {
    expect(parseStorageUrl(url)).toEqual(expected);
  });

  it.each([
    ['unknown scheme', 'ftp://host/x', /Unknown storage URL scheme "ftp:"/],
    ['empty', '', /non-empty/],
    ['r2 without bucket', 'r2://acct', /r2:\/\/<accountId>\/<bucket>/],
    ['az without container', 'az://acct', /az:\/\/<account>\/<container>/],
  ])('rejects %s with InvalidConfig', (_name, url, message) => {
    expect(() => parseStorageUrl(url)).toThrow(
      expect.objectContaining({ code: 'InvalidConfig', message: expect.stringMatching(message) }),
    );
  });

  it.each([
    's3://bucket?secretAccessKey=abc123',
    's3://bucket?accessKeyId=AKIA',
    'az://acct/c?sig=abc&sv=2022',
    'az://acct/c?sasToken=sv%3D1',
    'az://acct/c?connectionString=x',
    'gs://b?privateKey=x',
  ])('refuses a secret query parameter: %s', (url) => {
    try {
      parseStorageUrl(url);
      expect.unreachable();
    } catch (e) {
      expect(isStorageError(e, 'InvalidConfig')).toBe(true);
      expect((e as Error).message).toMatch(/Refusing the secret query parameter/);
      expect((e as Error).message).not.toMatch(/abc123|AKIA/);
    }
  });

  it('refuses credentials in the authority', () => {
    expect(() => parseStorageUrl('s3://AKIA:secretvalue@bucket/x')).toThrow(
      expect.objectContaining({ code: 'InvalidConfig', message: expect.not.stringContaining('secretvalue') }),
    );
  });
});

describe('createStorage', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('builds a memory backend from memory://name, sharing the store by name', async () => {
    const name = `create-test-${Date.now()}`;
    const a = await createStorage(`memory://${name}`);
    const b = await createStorage({ backend: 'memory', name });
    expect(a.kind).toBe('memory');
    await a.write('k', 'shared');
    expect(Buffer.from(await b.read('k')).toString()).toBe('shared');
    const other = await createStorage('memory://');
    expect(await other.exists('k')).toBe(false);
  });

  it('builds a local backend from file:// and from a plain path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-create-'));
    dirs.push(dir);
    const viaUrl = await createStorage(pathToFileURL(dir).href);
    const viaPath = await createStorage(dir);
    expect(viaUrl.kind).toBe('local');
    await viaUrl.write('a/b.txt', 'on disk');
    expect(Buffer.from(await viaPath.read('a/b.txt')).toString()).toBe('on disk');
    await viaUrl.close();
    await viaPath.close();
  });

  it('merges overrides over the URL', async () => {
    const backend = await createStorage('memory://', { limits: { maxObjectSize: 3 } });
    await expect(backend.write('k', 'four')).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('rejects an unknown backend with InvalidConfig', async () => {
    await expect(createStorage({ backend: 'ftp' as never })).rejects.toMatchObject({
      code: 'InvalidConfig',
      message: expect.stringContaining('backend: expected one of memory, local, s3, r2, gcs, azure'),
    });
    await expect(createStorage(null as never)).rejects.toMatchObject({ code: 'InvalidConfig' });
    await expect(createStorage('ftp://x')).rejects.toMatchObject({ code: 'InvalidConfig' });
  });

  it('rejects bad options with InvalidConfig naming the zod path', async () => {
    await expect(createStorage({ backend: 'memory', limits: { maxObjectSize: -1 } })).rejects.toMatchObject({
      code: 'InvalidConfig',
      message: expect.stringContaining('limits.maxObjectSize'),
    });
    await expect(createStorage({ backend: 'memory', nmae: 'typo' })).rejects.toMatchObject({
      code: 'InvalidConfig',
      message: expect.stringContaining('`nmae`'),
    });
  });
});
