/**
 * One benchmark task for one contender, in its own process (so peak RSS is
 * the contender's alone). Prints one JSON line: { ms, bytes, ops, baseRssMiB, peakRssMiB }.
 *
 *   tsx bench/s3/worker.ts '<json WorkerConfig>'
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pLimit from 'p-limit';
import { s3 } from '../../src/backends/s3/index.js';
import { drain } from '../streams.js';

export type Contender = 'stowage' | 'raw' | 'opendal';
export type Task = 'upload' | 'download' | 'small-put' | 'small-get';

export interface WorkerConfig {
  contender: Contender;
  task: Task;
  endpoint: string;
  bucket: string;
  provider: 'aws' | 'minio';
  accessKeyId: string;
  secretAccessKey: string;
  /** Object key (big tasks) or key prefix (small tasks). */
  key: string;
  size: number;
  chunk: number;
  partSize: number;
  concurrency: number;
  smallCount: number;
  smallSize: number;
  smallConcurrency: number;
}

const MiB = 2 ** 20;

/** `size` bytes in `chunk`-sized views of one constant buffer (no allocation per chunk). */
function source(size: number, chunk: number): Readable {
  const pool = Buffer.alloc(Math.max(chunk, 1), 0x5a);
  for (let i = 0; i < pool.length; i++) pool[i] = (i * 131) & 0xff;
  let sent = 0;
  return new Readable({
    highWaterMark: chunk * 16,
    read() {
      while (sent < size) {
        const n = Math.min(chunk, size - sent);
        sent += n;
        if (!this.push(pool.subarray(0, n))) return;
      }
      this.push(null);
    },
  });
}

/**
 * Peak RSS of this process in bytes: VmHWM of the current address space.
 * (`resourceUsage().maxRSS` is no good here: Linux carries the parent's peak
 * across fork + exec, so every child would report at least the parent's.)
 */
function peakRss(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {}
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as WorkerConfig;
  const credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
  // Same checksum behaviour for the adapter and the raw SDK.
  const checksum = config.provider === 'aws' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
  const keys = Array.from(
    { length: config.smallCount },
    (_, i) => `${config.key}${String(i).padStart(5, '0')}`,
  );
  const small = Buffer.alloc(config.smallSize, 7);
  let run: () => Promise<{ bytes: number; ops: number }>;

  if (config.contender === 'stowage') {
    const backend = s3({
      bucket: config.bucket,
      endpoint: config.endpoint,
      region: 'us-east-1',
      credentials,
      provider: config.provider,
      partSize: config.partSize,
      concurrency: config.concurrency,
    });
    await backend.exists('warm-up'); // load the SDK and open a connection outside the timing
    const limit = pLimit(config.smallConcurrency);
    run = {
      upload: async () => ({
        bytes: (await backend.write(config.key, source(config.size, config.chunk))).size,
        ops: 1,
      }),
      download: async () => ({ bytes: await drain(await backend.stream(config.key)), ops: 1 }),
      'small-put': async () => {
        await Promise.all(keys.map((k) => limit(() => backend.write(k, small))));
        return { bytes: keys.length * small.length, ops: keys.length };
      },
      'small-get': async () => {
        const sizes = await Promise.all(
          keys.map((k) => limit(async () => (await backend.read(k)).byteLength)),
        );
        return { bytes: sizes.reduce((a, b) => a + b, 0), ops: keys.length };
      },
    }[config.task];
  } else if (config.contender === 'raw') {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: config.endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: checksum,
      responseChecksumValidation: checksum,
    });
    await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: 'warm-up' })).catch(() => {});
    const limit = pLimit(config.smallConcurrency);
    run = {
      upload: async () => {
        const upload = new Upload({
          client,
          params: { Bucket: config.bucket, Key: config.key, Body: source(config.size, config.chunk) },
          partSize: config.partSize,
          queueSize: config.concurrency,
        });
        await upload.done();
        return { bytes: config.size, ops: 1 };
      },
      download: async () => {
        const out = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: config.key }));
        return { bytes: await drain(out.Body as Readable), ops: 1 };
      },
      'small-put': async () => {
        await Promise.all(
          keys.map((k) =>
            limit(() => client.send(new PutObjectCommand({ Bucket: config.bucket, Key: k, Body: small }))),
          ),
        );
        return { bytes: keys.length * small.length, ops: keys.length };
      },
      'small-get': async () => {
        const sizes = await Promise.all(
          keys.map((k) =>
            limit(async () => {
              const out = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: k }));
              return (await out.Body!.transformToByteArray()).byteLength;
            }),
          ),
        );
        return { bytes: sizes.reduce((a, b) => a + b, 0), ops: keys.length };
      },
    }[config.task];
  } else {
    const { Operator } = await import('opendal');
    const op = new Operator('s3', {
      bucket: config.bucket,
      endpoint: config.endpoint,
      region: 'us-east-1',
      access_key_id: config.accessKeyId,
      secret_access_key: config.secretAccessKey,
      disable_config_load: 'true',
      disable_ec2_metadata: 'true',
    });
    await op.exists('warm-up');
    const limit = pLimit(config.smallConcurrency);
    run = {
      upload: async () => {
        const writer = await op.writer(config.key, {
          chunk: BigInt(config.partSize),
          concurrent: config.concurrency,
        });
        for await (const chunk of source(config.size, config.chunk)) await writer.write(chunk as Buffer);
        await writer.close();
        return { bytes: config.size, ops: 1 };
      },
      download: async () => {
        const reader = await op.reader(config.key);
        return { bytes: await drain(reader.createReadStream()), ops: 1 };
      },
      'small-put': async () => {
        await Promise.all(keys.map((k) => limit(() => op.write(k, small))));
        return { bytes: keys.length * small.length, ops: keys.length };
      },
      'small-get': async () => {
        const sizes = await Promise.all(keys.map((k) => limit(async () => (await op.read(k)).byteLength)));
        return { bytes: sizes.reduce((a, b) => a + b, 0), ops: keys.length };
      },
    }[config.task];
  }

  const baseRssMiB = process.memoryUsage().rss / MiB;
  const started = performance.now();
  const { bytes, ops } = await run();
  const ms = performance.now() - started;
  const peakRssMiB = peakRss() / MiB;
  process.stdout.write(`${JSON.stringify({ ms, bytes, ops, baseRssMiB, peakRssMiB })}\n`);
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
