/**
 * Benchmark of `migrate` against rclone on the same moto S3 emulator, in one
 * run, plus peak RSS of `migrate` for growing object counts.
 *
 *   npx tsx bench/migrate/run.ts                       # full: 10,000 × 4 KiB, 256 MiB, RSS at 10k/50k/100k
 *   npx tsx bench/migrate/run.ts --objects 500 --big 16MiB --rss 1000,2000   # a quick dev run
 *
 * Options: --objects N, --size 4KiB, --big 256MiB (0 to skip), --concurrency 16,
 * --runs 1 (alternating stowage/rclone; medians reported), --rss 10000,50000,100000 ('' to skip),
 * --skip-rclone, --write (write bench/migrate/RESULTS.md).
 *
 * Needs `moto_server` and `rclone` on PATH (Debian: `apt-get install -y rclone`).
 * Both tools use their defaults except parallelism: rclone `--transfers` and
 * `--checkers` = our `concurrency`; for the large object both use 8 MiB parts,
 * 4 parts at once.
 */
import { execFile, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { local } from '../../src/backends/local/index.js';
import { s3 } from '../../src/backends/s3/index.js';
import type { StorageBackend } from '../../src/core/backend.js';
import { parseSize } from '../../src/core/units.js';
import { migrate } from '../../src/migrate/index.js';
import { emulator as moto } from '../../test/emulators/moto.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    size: { type: 'string', default: '4KiB' },
    big: { type: 'string', default: '256MiB' },
    concurrency: { type: 'string', default: '16' },
    runs: { type: 'string', default: '1' },
    rss: { type: 'string', default: '10000,50000,100000' },
    'skip-rclone': { type: 'boolean', default: false },
    provider: { type: 'string', default: 'aws' },
    write: { type: 'boolean', default: false },
  },
});
const objects = Number(values.objects);
const size = parseSize(values.size!, '--size');
const big = parseSize(values.big!, '--big');
const concurrency = Number(values.concurrency);
const runs = Number(values.runs);
const rssCounts = values.rss ? values.rss.split(',').map(Number) : [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

async function writeFiles(root: string, count: number, bytes: number): Promise<void> {
  const body = randomFillSync(Buffer.alloc(bytes));
  for (let start = 0; start < count; start += 1000) {
    const dir = join(root, `d${String(start / 1000).padStart(4, '0')}`);
    await mkdir(dir, { recursive: true });
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      batch.push(writeFile(join(dir, `f${String(i).padStart(7, '0')}.bin`), body));
    }
    await Promise.all(batch);
  }
}

async function writeBig(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(1 << 20);
  for (let done = 0; done < bytes; done += chunk.length) {
    randomFillSync(chunk);
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - done));
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error) => (e ? reject(e) : resolve())));
}

async function timeStowage(from: StorageBackend, to: StorageBackend, targetPrefix: string): Promise<number> {
  // The adapter loads its SDK lazily on first use: a one-off cost, kept out of the timing.
  await to.exists('warm-up');
  const started = performance.now();
  const report = await migrate({ from, to, targetPrefix, concurrency });
  const ms = performance.now() - started;
  if (report.failed.length > 0 || report.copied === 0) {
    throw new Error(`stowage run failed: ${JSON.stringify(report.failed.slice(0, 3))}`);
  }
  return ms;
}

async function timeRclone(
  source: string,
  dest: string,
  env: NodeJS.ProcessEnv,
  extra: string[] = [],
): Promise<number> {
  const started = performance.now();
  await run(
    'rclone',
    ['copy', source, dest, '--transfers', String(concurrency), '--checkers', String(concurrency), ...extra],
    {
      env,
      maxBuffer: 1 << 24,
    },
  );
  return performance.now() - started;
}

async function rss(mode: 'memory' | 'local', count: number, work: string): Promise<Record<string, number>> {
  const args = ['--expose-gc', '--import', 'tsx', join(here, 'rss-child.ts'), mode, String(count)];
  if (mode === 'local') {
    const from = join(work, `rss-from-${count}`);
    await writeFiles(from, count, 64);
    args.push(from, join(work, `rss-to-${count}`));
  }
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`rss child exited ${code}`))));
  });
  if (mode === 'local') {
    await rm(join(work, `rss-from-${count}`), { recursive: true, force: true });
    await rm(join(work, `rss-to-${count}`), { recursive: true, force: true });
  }
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
  console.log(line);
};

const work = await mkdtemp(join(tmpdir(), 'stowage-bench-migrate-'));
const server = await moto.start();
try {
  const rcloneVersion = values['skip-rclone']
    ? 'skipped'
    : (await run('rclone', ['--version'])).stdout.split('\n')[0];
  // A fresh object each time: the SDK client decorates the one it is given.
  const credentials = () => ({ accessKeyId: 'test', secretAccessKey: 'test' });
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: credentials(),
  });
  await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
  const target = s3({
    bucket: 'bench',
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: credentials(),
    provider: values.provider as 'aws' | 'generic',
  });
  // rclone's S3 backend rejects AWS_CA_BUNDLE with its own HTTP transport; the emulator is plain HTTP anyway.
  const { AWS_CA_BUNDLE: _caBundle, ...inherited } = process.env;
  const rcloneEnv = {
    ...inherited,
    RCLONE_CONFIG_MOTO_TYPE: 's3',
    RCLONE_CONFIG_MOTO_PROVIDER: 'Other',
    RCLONE_CONFIG_MOTO_ENDPOINT: server.endpoint,
    RCLONE_CONFIG_MOTO_ACCESS_KEY_ID: 'test',
    RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY: 'test',
    RCLONE_CONFIG_MOTO_REGION: 'us-east-1',
    RCLONE_CONFIG_MOTO_FORCE_PATH_STYLE: 'true',
  };

  say(`# migrate benchmark (${new Date().toISOString()})`);
  say();
  say(
    `Node ${process.version}, ${rcloneVersion}, moto_server at ${server.endpoint}, concurrency ${concurrency}, ${runs} run(s), medians.`,
  );
  say();
  say('| case | stowage | rclone | ratio (rclone time / stowage time) |');
  say('|---|---|---|---|');

  const small = join(work, 'small');
  await writeFiles(small, objects, size);
  const smallFrom = local({ root: small });
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(await timeStowage(smallFrom, target, `stowage-${i}/`));
    if (!values['skip-rclone']) theirs.push(await timeRclone(small, `moto:bench/rclone-${i}/`, rcloneEnv));
  }
  const rate = (ms: number) => (objects / (ms / 1000)).toFixed(0);
  const o = median(ours);
  const t = theirs.length ? median(theirs) : Number.NaN;
  say(
    `| ${objects} × ${values.size} local → S3 | ${rate(o)} obj/s (${(o / 1000).toFixed(1)} s) | ${theirs.length ? `${rate(t)} obj/s (${(t / 1000).toFixed(1)} s)` : '—'} | ${(t / o).toFixed(2)}× |`,
  );

  if (big > 0) {
    const bigDir = join(work, 'big');
    await mkdir(bigDir);
    await writeBig(join(bigDir, 'big.bin'), big);
    const bigTarget = s3({
      bucket: 'bench',
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: credentials(),
      partSize: '8MiB',
      concurrency: 4,
    });
    const oursBig: number[] = [];
    const theirsBig: number[] = [];
    for (let i = 0; i < runs; i++) {
      oursBig.push(await timeStowage(local({ root: bigDir }), bigTarget, `big-stowage-${i}/`));
      if (!values['skip-rclone']) {
        theirsBig.push(
          await timeRclone(bigDir, `moto:bench/big-rclone-${i}/`, rcloneEnv, [
            '--s3-chunk-size',
            '8M',
            '--s3-upload-concurrency',
            '4',
            '--s3-upload-cutoff',
            '8M',
          ]),
        );
      }
    }
    const ob = median(oursBig);
    const tb = theirsBig.length ? median(theirsBig) : Number.NaN;
    const speed = (ms: number) => `${mib(big / (ms / 1000))} MiB/s (${(ms / 1000).toFixed(1)} s)`;
    say(
      `| 1 × ${values.big} local → S3 | ${speed(ob)} | ${theirsBig.length ? speed(tb) : '—'} | ${(tb / ob).toFixed(2)}× |`,
    );
  }
  await server.stop();

  if (rssCounts.length > 0) {
    say();
    say(
      'Peak RSS of one `migrate` process (64-byte objects, concurrency 16; memory → memory holds both stores in the same process):',
    );
    say();
    say(
      '| objects | memory → memory: RSS before / peak | local → local: RSS before / peak | local → local time |',
    );
    say('|---|---|---|---|');
    for (const count of rssCounts) {
      const m = await rss('memory', count, work);
      const l = await rss('local', count, work);
      say(
        `| ${count} | ${mib(m.baselineRss!)} / ${mib(m.peakRss!)} MiB | ${mib(l.baselineRss!)} / ${mib(l.peakRss!)} MiB | ${(l.ms! / 1000).toFixed(1)} s |`,
      );
    }
  }
  if (values.write) await writeFile(join(here, 'RESULTS.md'), `${lines.join('\n')}\n`);
} finally {
  await server.stop().catch(() => {});
  await rm(work, { recursive: true, force: true });
}
