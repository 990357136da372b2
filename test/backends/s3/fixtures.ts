/** Shared by the S3 test files: fresh buckets on an emulator and backends over them. */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { s3 } from '../../../src/backends/s3/index.js';
import type { S3Backend, S3Options } from '../../../src/backends/s3/index.js';
import { emulatorCredentials } from '../../emulators/env.js';
import type { EmulatorName } from '../../emulators/status.js';

/** A raw SDK client for an emulator (for setup and for checking what the adapter did). */
export function rawClient(endpoint: string, name: EmulatorName = 'moto'): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: emulatorCredentials(name),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Creates a bucket with a random name (versioned when asked) and returns its name. */
export async function freshBucket(client: S3Client, label = 'test', versioned = false): Promise<string> {
  const bucket = `stowage-${label}-${randomBytes(5).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  if (versioned) {
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  }
  return bucket;
}

/** An S3 backend over an emulator bucket. */
export function backendFor(
  endpoint: string,
  bucket: string,
  extra: Partial<S3Options> = {},
  name: EmulatorName = 'moto',
): S3Backend {
  return s3({
    bucket,
    endpoint,
    region: 'us-east-1',
    credentials: emulatorCredentials(name),
    provider: name === 'minio' ? 'minio' : 'aws',
    ...extra,
  });
}

/** A random key prefix for one test. */
export function randomPrefix(): string {
  return `t-${randomBytes(4).toString('hex')}/`;
}
