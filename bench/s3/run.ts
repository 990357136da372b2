/**
 * S3 benchmark: the stowage adapter vs the raw AWS SDK (lib-storage `Upload`,
 * `GetObject`, `PutObject`) vs opendal's s3 service, on the same emulator in
 * one run (MinIO when installed, else moto; `--target` picks). Each
 * (contender, task, run) is its own child process, so peak RSS is per
 * contender. Figures are medians of `--runs` runs, ratios against raw.
 *
 *   npx tsx bench/s3/run.ts [--target minio|moto] [--size 256MiB] [--runs 5]
 *                           [--chunk 64KiB] [--small 1000] [--out bench/s3/RESULTS.md]
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pLimit from 'p-limit';
import { parseSize } from '../../src/core/units.js';
import { emulator as minio, MINIO_TEST_PASSWORD, MINIO_TEST_USER } from '../../test/emulators/minio.js';
import { emulator as moto } from '../../test/emulators/moto.js';
import type { EmulatorHandle } from '../../test/emulators/types.js';
import type { Contender, Task, WorkerConfig } from './worker.js';

const run = promisify(execFile);
const MiB = 2 ** 20;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function runWorker(config: WorkerConfig): Promise<Sample> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'bench/s3/worker.ts', JSON.stringify(config)],
    {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Sample;
}

interface Sample {
  ms: number;
  bytes: number;
  ops: number;
  baseRssMiB: number;
  peakRssMiB: number;
}

async function main(): Promise<void> {
  const targetArg = arg('target', 'auto');
  const target = targetArg === 'auto' ? ((await minio.unavailable()) ? 'moto' : 'minio') : targetArg;
  if (target !== 'moto' && target !== 'minio') throw new Error('--target is minio or moto');
  const size = parseSize(arg('size', '256MiB'), 'size');
  const runs = Number(arg('runs', '5'));
  const chunk = parseSize(arg('chunk', '64KiB'), 'chunk');
  const smallCount = Number(arg('small', '1000'));
  const out = arg('out', 'bench/s3/RESULTS.md');
  const contenders: Contender[] = ['raw', 'stowage', 'opendal'];
  const tasks: Task[] = ['upload', 'download', 'small-put', 'small-get'];

  const emu = target === 'minio' ? minio : moto;
  const reason = await emu.unavailable();
  if (reason) throw new Error(reason);
  const handle: EmulatorHandle = await emu.start();
  const credentials =
    target === 'minio'
      ? { accessKeyId: MINIO_TEST_USER, secretAccessKey: MINIO_TEST_PASSWORD }
      : { accessKeyId: 'test', secretAccessKey: 'test' };
  console.log(
    `[bench] ${target} at ${handle.endpoint}; size ${size / MiB} MiB, ${runs} runs, chunk ${chunk} B`,
  );
  const results = new Map<string, Sample[]>();
  const memory = new Map<Contender, Sample>();
  try {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: handle.endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const bucket = `stowage-bench-${Date.now().toString(36)}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    // Objects the download tasks read, written once by the raw SDK.
    await new Upload({
      client,
      params: { Bucket: bucket, Key: 'fixture/big', Body: Buffer.alloc(size, 0x42) },
      partSize: 16 * MiB,
    }).done();
    const limit = pLimit(16);
    const small = Buffer.alloc(4096, 1);
    await Promise.all(
      Array.from({ length: smallCount }, (_, i) =>
        limit(() =>
          client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `fixture/small/${String(i).padStart(5, '0')}`,
              Body: small,
            }),
          ),
        ),
      ),
    );
    client.destroy();

    for (let r = 0; r < runs; r++) {
      for (const task of tasks) {
        // Rotate the order every run so no contender always goes first.
        const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]!);
        for (const contender of order) {
          const config: WorkerConfig = {
            contender,
            task,
            endpoint: handle.endpoint,
            bucket,
            provider: target === 'minio' ? 'minio' : 'aws',
            ...credentials,
            key:
              task === 'download'
                ? 'fixture/big'
                : task === 'small-get'
                  ? 'fixture/small/'
                  : task === 'upload'
                    ? `up/${contender}`
                    : `small/${contender}/`,
            size,
            chunk,
            partSize: 8 * MiB,
            concurrency: 4,
            smallCount,
            smallSize: 4096,
            smallConcurrency: 16,
          };
          const sample = await runWorker(config);
          const id = `${task}/${contender}`;
          results.set(id, [...(results.get(id) ?? []), sample]);
          console.log(
            `[bench] run ${r + 1} ${id}: ${sample.ms.toFixed(0)} ms, peak RSS ${sample.peakRssMiB.toFixed(0)} MiB`,
          );
        }
      }
    }
    // Memory bound: the whole object fed in 1 KiB chunks, once per contender.
    for (const contender of ['raw', 'stowage'] as Contender[]) {
      const sample = await runWorker({
        contender,
        task: 'upload',
        endpoint: handle.endpoint,
        bucket,
        provider: target === 'minio' ? 'minio' : 'aws',
        ...credentials,
        key: `mem/${contender}`,
        size,
        chunk: 1024,
        partSize: 8 * MiB,
        concurrency: 4,
        smallCount,
        smallSize: 4096,
        smallConcurrency: 16,
      });
      memory.set(contender, sample);
      console.log(
        `[bench] 1 KiB chunks ${contender}: ${sample.ms.toFixed(0)} ms, peak RSS ${sample.peakRssMiB.toFixed(0)} MiB`,
      );
    }
  } finally {
    await handle.stop();
  }

  const lines: string[] = [];
  const command = `npx tsx bench/s3/run.ts ${process.argv.slice(2).join(' ')}`.trim();
  lines.push(
    '# S3 adapter benchmark',
    '',
    `Command: \`${command}\``,
    '',
    `Target: ${target} on 127.0.0.1 (same machine), ${cpus().length} CPUs, Node ${process.version}. ` +
      `Big object ${size / MiB} MiB streamed in ${chunk / 1024} KiB chunks, 8 MiB parts, 4 parts in flight; ` +
      `${smallCount} × 4 KiB objects at concurrency 16. Medians of ${runs} runs; each run of each contender is a fresh process.`,
    '',
    '| task | contender | median | throughput | vs raw | peak RSS (MiB) | RSS growth during task (MiB) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const task of tasks) {
    const rawMs = median((results.get(`${task}/raw`) ?? []).map((s) => s.ms));
    for (const contender of contenders) {
      const samples = results.get(`${task}/${contender}`) ?? [];
      if (samples.length === 0) continue;
      const ms = median(samples.map((s) => s.ms));
      const bytes = samples[0]!.bytes;
      const ops = samples[0]!.ops;
      const throughput =
        ops > 1
          ? `${((ops / ms) * 1000).toFixed(0)} ops/s`
          : `${((bytes / MiB / ms) * 1000).toFixed(1)} MiB/s`;
      const peak = Math.max(...samples.map((s) => s.peakRssMiB));
      const growth = median(samples.map((s) => s.peakRssMiB - s.baseRssMiB));
      lines.push(
        `| ${task} | ${contender} | ${ms.toFixed(0)} ms | ${throughput} | ${(rawMs / ms).toFixed(2)}× | ${peak.toFixed(0)} | ${growth.toFixed(0)} |`,
      );
    }
  }
  const bound = (8 * MiB * (4 + 1)) / MiB + 64;
  lines.push(
    '',
    `Memory bound (issue: peak ≤ partSize × (concurrency + 1) + 64 MiB = ${bound} MiB above the baseline) for ${size / MiB} MiB fed in 1 KiB chunks:`,
    '',
    '| contender | time | peak RSS (MiB) | RSS growth (MiB) | within bound |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const [contender, sample] of memory) {
    const growth = sample.peakRssMiB - sample.baseRssMiB;
    lines.push(
      `| ${contender} | ${sample.ms.toFixed(0)} ms | ${sample.peakRssMiB.toFixed(0)} | ${growth.toFixed(0)} | ${growth <= bound ? 'yes' : 'no'} |`,
    );
  }
  lines.push(
    '',
    '"vs raw" is raw time / contender time (above 1 = faster than raw). Peak RSS is the largest',
    "VmHWM of the contender's processes; growth is peak minus the RSS measured just before the timed work",
    '(SDK loaded, one request made), a median over runs.',
    '',
  );
  await writeFile(out, lines.join('\n'));
  console.log(lines.join('\n'));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
