import { afterAll, beforeAll, expect, it } from 'vitest';
import type { S3Backend } from '../../../src/backends/s3/index.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { backendFor, freshBucket, randomPrefix, rawClient } from './fixtures.js';

describeWithEmulator('moto', 's3 adapter on moto: presign and listBuckets', (endpoint) => {
  let backend: S3Backend;
  let bucket: string;
  beforeAll(async () => {
    bucket = await freshBucket(rawClient(endpoint), 'presign');
    backend = backendFor(endpoint, bucket, { prefix: 'root' });
  });
  afterAll(() => backend.close());

  it('presigns a PUT that uploads and a GET that downloads', async () => {
    const key = `${randomPrefix()}file.txt`;
    const put = await backend.presign(key, { method: 'PUT', expiresIn: '5m', contentType: 'text/plain' });
    expect(put.method).toBe('PUT');
    expect(put.url).not.toMatch(/x-amz-checksum/i);
    expect(put.expiresAt.getTime()).toBeGreaterThan(Date.now());
    const uploaded = await fetch(put.url, {
      method: 'PUT',
      headers: put.headers,
      body: 'from a presigned url',
    });
    expect(uploaded.status).toBe(200);
    expect(await backend.stat(key)).toMatchObject({ size: 20, contentType: 'text/plain' });
    const get = await backend.presign(key, { method: 'GET', expiresIn: 60 });
    const res = await fetch(get.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('from a presigned url');
  });

  it('lists buckets', async () => {
    const { listBuckets } = await import('../../../src/backends/s3/index.js');
    const buckets = await listBuckets({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    expect(buckets.map((b) => b.name)).toContain(bucket);
  });
});
