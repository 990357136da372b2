import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { freshBucket, rawClient } from '../backends/s3/fixtures.js';
import { describeWithEmulator } from '../emulators/env.js';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr, stdin: Readable.from([]) }, new AbortController().signal);
  return { code, stdout: out, stderr: err };
}

describeWithEmulator('moto', 'stowage CLI against S3', (endpoint) => {
  let dir: string;
  let bucket: string;
  const saved = { ...process.env };
  const url = (key = '') =>
    `s3://${bucket}/${key}?endpoint=${encodeURIComponent(endpoint)}&forcePathStyle=true&region=us-east-1`;

  beforeAll(async () => {
    // The CLI takes credentials from the environment, like the AWS CLI.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    });
    bucket = await freshBucket(rawClient(endpoint), 'cli');
    dir = await mkdtemp(join(tmpdir(), 'stowage-cli-s3-'));
    await writeFile(join(dir, 'report.csv'), 'a,b\n1,2\n');
  });
  afterAll(async () => {
    process.env = saved;
    await rm(dir, { recursive: true, force: true });
  });

  it('lists buckets, copies up and down, stats, presigns and removes', async () => {
    const buckets = await run([
      'buckets',
      `s3://?endpoint=${encodeURIComponent(endpoint)}&forcePathStyle=true`,
    ]);
    expect(buckets.code, buckets.stderr).toBe(0);
    expect(buckets.stdout.split('\n')).toContain(bucket);

    expect((await run(['cp', join(dir, 'report.csv'), url('reports/2026.csv')])).code).toBe(0);
    const stat = await run(['stat', url('reports/2026.csv'), '--json']);
    expect(JSON.parse(stat.stdout)).toMatchObject({
      key: 'reports/2026.csv',
      size: 8,
      contentType: expect.stringMatching(/^text\/csv/),
    });

    const presigned = await run(['presign', url('reports/2026.csv'), '--expires', '5m']);
    expect(presigned.code).toBe(0);
    expect(await (await fetch(presigned.stdout.trim())).text()).toBe('a,b\n1,2\n');

    expect((await run(['cp', url('reports/2026.csv'), join(dir, 'back.csv')])).code).toBe(0);
    expect(await readFile(join(dir, 'back.csv'), 'utf8')).toBe('a,b\n1,2\n');

    const status = await run(['status', url(), '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ bucket, health: 'connected', objects: 1, bytes: 8 });

    expect((await run(['rm', '-r', url('reports/')])).code).toBe(0);
    const missing = await run(['cat', url('reports/2026.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^stowage: NotFound/);
  });
});
