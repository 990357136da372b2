import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { memory } from '../../../src/backends/memory/index.js';
import type { S3Backend } from '../../../src/backends/s3/index.js';
import { ForwardingBackend } from '../../../src/core/layer.js';
import { copy, copyObject, migrate } from '../../../src/migrate/index.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { backendFor, freshBucket, randomPrefix, rawClient } from './fixtures.js';

/** Counts the SDK commands a client sends, by name. */
function countCommands(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'stowageTestCounter' },
  );
  return counts;
}

describeWithEmulator('moto', 's3 server-side copy between buckets (serverSideCopyTo)', (endpoint) => {
  let bucketA: string;
  let bucketB: string;
  const open: S3Backend[] = [];
  const make = (...args: Parameters<typeof backendFor>) => {
    const backend = backendFor(...args);
    open.push(backend);
    return backend;
  };
  beforeAll(async () => {
    const client = rawClient(endpoint);
    bucketA = await freshBucket(client, 'ssc-a');
    bucketB = await freshBucket(client, 'ssc-b');
    client.destroy();
  });
  afterAll(async () => {
    await Promise.all(open.map((b) => b.close()));
  });

  it('copy() between two buckets on one client sends CopyObject and keeps headers and metadata', async () => {
    const client = rawClient(endpoint);
    const counts = countCommands(client);
    const p = randomPrefix();
    const from = make(endpoint, bucketA, { client, prefix: 'root-a/' });
    const to = make(endpoint, bucketB, { client, prefix: 'root-b/' });
    await from.write(`${p}doc.txt`, 'server side', {
      contentType: 'text/x-test',
      metadata: { owner: 'me' },
      cacheControl: 'max-age=60',
    });
    const read = vi.spyOn(from, 'read');
    const stream = vi.spyOn(from, 'stream');
    const write = vi.spyOn(to, 'write');
    counts.clear();
    const outcome = await copyObject(from, `${p}doc.txt`, to, `${p}copy/doc.txt`);
    expect(outcome.serverSide).toBe(true);
    expect(outcome.bytes).toBe(0);
    expect(counts.get('CopyObjectCommand')).toBe(1);
    expect(counts.get('PutObjectCommand')).toBeUndefined();
    expect(counts.get('GetObjectCommand')).toBeUndefined();
    expect(read).not.toHaveBeenCalled();
    expect(stream).not.toHaveBeenCalled();
    expect(write).not.toHaveBeenCalled();
    expect(Buffer.from(await to.read(`${p}copy/doc.txt`)).toString()).toBe('server side');
    expect(await to.stat(`${p}copy/doc.txt`)).toMatchObject({
      size: 11,
      contentType: 'text/x-test',
      metadata: { owner: 'me' },
      cacheControl: 'max-age=60',
    });
    expect(outcome.info).toMatchObject({ key: `${p}copy/doc.txt`, size: 11, contentType: 'text/x-test' });
    // The source is where it was, under its own bucket and prefix.
    expect(await from.exists(`${p}doc.txt`)).toBe(true);
    expect(await to.exists(`${p}doc.txt`)).toBe(false);
    client.destroy();
  });

  it('migrate() between two buckets (separate clients, same endpoint and credentials) moves no bytes', async () => {
    const p = randomPrefix();
    const from = make(endpoint, bucketA);
    const to = make(endpoint, bucketB);
    for (let i = 0; i < 5; i++) {
      await from.write(`${p}src/f${i}.bin`, `body ${i}`, { metadata: { n: String(i) } });
    }
    const stream = vi.spyOn(from, 'stream');
    const read = vi.spyOn(from, 'read');
    const report = await migrate({
      from,
      to,
      prefix: `${p}src/`,
      targetPrefix: `${p}dst/`,
      verify: 'size',
    });
    expect(report).toMatchObject({ copied: 5, verified: 5, failed: [], bytes: 0 });
    expect(stream).not.toHaveBeenCalled();
    expect(read).not.toHaveBeenCalled();
    for (let i = 0; i < 5; i++) {
      expect(Buffer.from(await to.read(`${p}dst/f${i}.bin`)).toString()).toBe(`body ${i}`);
      expect((await to.stat(`${p}dst/f${i}.bin`)).metadata).toEqual({ n: String(i) });
    }
  });

  it('honours ifNotExists across buckets', async () => {
    const p = randomPrefix();
    const from = make(endpoint, bucketA);
    const to = make(endpoint, bucketB);
    await from.write(`${p}a`, 'new');
    await to.write(`${p}taken`, 'old');
    await expect(copy(from, `${p}a`, to, `${p}taken`, { ifNotExists: true })).rejects.toMatchObject({
      code: 'AlreadyExists',
    });
    expect(Buffer.from(await to.read(`${p}taken`)).toString()).toBe('old');
    const outcome = await copyObject(from, `${p}a`, to, `${p}free`, { ifNotExists: true });
    expect(outcome.serverSide).toBe(true);
    expect(Buffer.from(await to.read(`${p}free`)).toString()).toBe('new');
  });

  it('reports a missing source as NotFound', async () => {
    const from = make(endpoint, bucketA);
    const to = make(endpoint, bucketB);
    await expect(from.serverSideCopyTo(to, `${randomPrefix()}missing`, 'x')).rejects.toMatchObject({
      code: 'NotFound',
    });
  });

  it('declines (undefined) other credentials, other endpoints, other services and wrapped targets', async () => {
    const p = randomPrefix();
    const from = make(endpoint, bucketA);
    await from.write(`${p}a`, 'a');
    const otherKeys = make(endpoint, bucketB, {
      credentials: { accessKeyId: 'other', secretAccessKey: 'test' },
    });
    const otherEndpoint = make(endpoint.replace('127.0.0.1', 'localhost'), bucketB);
    const wrapped = new ForwardingBackend(make(endpoint, bucketB));
    for (const target of [otherKeys, otherEndpoint, memory(), wrapped]) {
      expect(await from.serverSideCopyTo(target, `${p}a`, `${p}b`)).toBeUndefined();
    }
    // copy() then streams, and the result is the same.
    const mem = memory();
    const outcome = await copyObject(from, `${p}a`, mem, 'b');
    expect(outcome).toMatchObject({ serverSide: false, bytes: 1 });
    expect(Buffer.from(await mem.read('b')).toString()).toBe('a');
  });
});
