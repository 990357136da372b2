/**
 * Streaming a file larger than 500 MB with progress, in bounded memory:
 * upload from disk into a backend, download it back, verify the SHA-256.
 *
 *   npx tsx examples/streaming-large-file.ts            # 600 MB on local disk
 *   EXAMPLE_SIZE_MB=2048 npx tsx examples/streaming-large-file.ts
 *
 * With STOWAGE_EXAMPLE_S3_ENDPOINT set (e.g. a moto or MinIO endpoint), the
 * same code uploads to S3 with multipart.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Progress, StorageBackend } from 'stowage';
import { local } from 'stowage/local';

const sizeMb = Number(process.env.EXAMPLE_SIZE_MB ?? 600);
const size = sizeMb * 1024 * 1024;
const work = await mkdtemp(join(tmpdir(), 'stowage-large-'));
const source = join(work, 'source.bin');

async function openBackend(): Promise<StorageBackend> {
  const endpoint = process.env.STOWAGE_EXAMPLE_S3_ENDPOINT;
  if (!endpoint) return local({ root: join(work, 'store') });
  const { s3 } = await import('stowage/s3');
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const bucket = `large-${Date.now()}`;
  const admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  admin.destroy();
  // moto emulates AWS; use provider: 'minio' or 'generic' for other S3-compatible servers.
  return s3({ bucket, endpoint, forcePathStyle: true, region: 'us-east-1', credentials, provider: 'aws' });
}

function reporter(label: string) {
  let lastPercent = -1;
  return (p: Progress) => {
    const percent = Math.floor((p.loaded / (p.total ?? size)) * 100);
    if (percent % 10 === 0 && percent !== lastPercent) {
      lastPercent = percent;
      console.log(`${label}: ${percent}% (${(p.loaded / 1048576).toFixed(0)} MiB)`);
    }
  };
}

try {
  // Make a source file of random data without holding it in memory.
  const expected = createHash('sha256');
  const chunk = randomBytes(1024 * 1024);
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < sizeMb; i++) {
          expected.update(chunk);
          yield chunk;
        }
      })(),
    ),
    createWriteStream(source),
  );

  const storage = await openBackend();
  const rssBefore = process.memoryUsage().rss;
  await storage.write('big/file.bin', createReadStream(source, { highWaterMark: 1024 * 1024 }), {
    size,
    contentType: 'application/octet-stream',
    onProgress: reporter('upload'),
  });
  const actual = createHash('sha256');
  const download = await storage.stream('big/file.bin', { onProgress: reporter('download') });
  for await (const piece of download) actual.update(piece);
  const rssGrowth = (process.memoryUsage().rss - rssBefore) / 1048576;

  const ok = actual.digest('hex') === expected.digest('hex');
  console.log(
    `sha256 ${ok ? 'matches' : 'DIFFERS'}; RSS grew by ${rssGrowth.toFixed(0)} MiB for a ${sizeMb} MiB object`,
  );
  await storage.close();
  if (!ok) process.exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
}
