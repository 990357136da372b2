/**
 * Benchmark of `migrate` against rclone on moto S3, in one run, plus peak RSS
 * of `migrate` for growing object counts.
 *
 *   npx tsx bench/migrate/run.ts                       # full: 10,000 × 4 KiB ×5, 1 GiB ×5, RSS at 10k/50k/100k
 *   npx tsx bench/migrate/run.ts --objects 500 --big 16MiB --runs 1 --rss 1000,2000   # a quick dev run
 *
 * Options: --objects N (0 to skip), --size 4KiB, --big 1GiB (0 to skip), --concurrency 16,
 * --runs 5 (medians), --big-runs 3, --count 500 (objects of the request-counting run; 0 to skip),
 * --rss 10000,50000,100000 ('' to skip), --skip-rclone, --write (write bench/migrate/RESULTS.md).
 *
 * Fairness: every measured run (each contender, each repetition) gets its own
 * fresh moto_server with one empty bucket, and the order alternates (stowage
 * first on even runs, rclone first on odd ones), so neither tool inherits a
 * fuller or warmer server. Both tools use their defaults except parallelism:
 * rclone `--transfers` and `--checkers` = our `concurrency`; for the large
 * object both use 8 MiB parts, 4 parts at once.
 *
 * Needs `moto_server` and `rclone` on PATH (Debian: `apt-get install -y rclone`).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { local } from '../../src/backends/local/index.js';
import { s3 } from '../../src/backends/s3/index.js';
import { parseSize } from '../../src/core/units.js';
import { migrate } from '../../src/migrate/index.js';
import { writeBig, writeFiles } from './files.js';
import { freshMoto } from './moto.js';
import { countingProxy, perObject } from './requests.js';
import { rssTable } from './rss.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    size: { type: 'string', default: '4KiB' },
    big: { type: 'string', default: '1GiB' },
    concurrency: { type: 'string', default: '16' },
    runs: { type: 'string', default: '5' },
    'big-runs': { type: 'string', default: '3' },
    count: { type: 'string', default: '500' },
    rss: { type: 'string', default: '10000,50000,100000' },
    'skip-rclone': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const objects = Number(values.objects);
const size = parseSize(values.size!, '--size');
const big = parseSize(values.big!, '--big');
const concurrency = Number(values.concurrency);
const runs = Number(values.runs);
const bigRuns = Number(values['big-runs']);
const countObjects = Number(values.count);
const rssCounts = values.rss ? values.rss.split(',').map(Number) : [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

/** rclone's flags for every case (parallelism only), and the extra ones of the large object. */
const RCLONE_FLAGS = ['--transfers', String(concurrency), '--checkers', String(concurrency)];
const RCLONE_BIG_FLAGS = [
  '--s3-chunk-size',
  '8M',
  '--s3-upload-concurrency',
  '4',
  '--s3-upload-cutoff',
  '8M',
];

/** One measured run: wall time, the client's CPU and the server's CPU. */
interface Sample {
  ms: number;
  clientCpu: number;
  serverCpu: number;
}

type Contender = 'stowage' | 'rclone';
type Runner = (endpoint: string, dir: string) => Promise<{ ms: number; clientCpu: number }>;

const credentials = () => ({ accessKeyId: 'test', secretAccessKey: 'test' });

function stowageRunner(extra: { partSize?: string; concurrency?: number } = {}): Runner {
  return async (endpoint, dir) => {
    const to = s3({ bucket: 'bench', endpoint, region: 'us-east-1', credentials: credentials(), ...extra });
    // The adapter loads its SDK and builds its client on first use: a one-off cost, kept out of the timing.
    await to.exists('warm-up');
    const cpu = process.cpuUsage();
    const started = performance.now();
    const report = await migrate({ from: local({ root: dir }), to, targetPrefix: 'run/', concurrency });
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    await to.close();
    if (report.failed.length > 0 || report.copied === 0) {
      throw new Error(`stowage run failed: ${JSON.stringify(report.failed.slice(0, 3))}`);
    }
    return { ms, clientCpu: (used.user + used.system) / 1e6 };
  };
}

function rcloneRunner(extra: string[] = []): Runner {
  return async (endpoint, dir) => {
    // rclone's S3 backend rejects AWS_CA_BUNDLE with its own HTTP transport; the emulator is plain HTTP anyway.
    const { AWS_CA_BUNDLE: _caBundle, ...inherited } = process.env;
    const env = {
      ...inherited,
      RCLONE_CONFIG_MOTO_TYPE: 's3',
      RCLONE_CONFIG_MOTO_PROVIDER: 'Other',
      RCLONE_CONFIG_MOTO_ENDPOINT: endpoint,
      RCLONE_CONFIG_MOTO_ACCESS_KEY_ID: 'test',
      RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY: 'test',
      RCLONE_CONFIG_MOTO_REGION: 'us-east-1',
      RCLONE_CONFIG_MOTO_FORCE_PATH_STYLE: 'true',
    };
    const started = performance.now();
    const { stderr } = await run(
      '/usr/bin/time',
      ['-f', 'cpu %U %S', 'rclone', 'copy', dir, 'moto:bench/run/', ...RCLONE_FLAGS, ...extra],
      { env, maxBuffer: 1 << 24 },
    );
    const ms = performance.now() - started;
    const [, user, system] = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr) ?? [];
    return { ms, clientCpu: Number(user) + Number(system) };
  };
}

/** Runs `runner` against a fresh moto and measures it. */
async function measure(runner: Runner, dir: string): Promise<Sample> {
  const server = await freshMoto();
  try {
    const before = await server.cpuSeconds();
    const { ms, clientCpu } = await runner(server.endpoint, dir);
    return { ms, clientCpu, serverCpu: (await server.cpuSeconds()) - before };
  } finally {
    await server.stop();
  }
}

/** `count` alternating pairs of runs; the samples of each contender. */
async function alternate(
  runners: Record<Contender, Runner>,
  dir: string,
  count: number,
): Promise<Record<Contender, Sample[]>> {
  const out: Record<Contender, Sample[]> = { stowage: [], rclone: [] };
  for (let i = 0; i < count; i++) {
    const order: Contender[] = i % 2 === 0 ? ['stowage', 'rclone'] : ['rclone', 'stowage'];
    for (const who of order) {
      if (who === 'rclone' && values['skip-rclone']) continue;
      const sample = await measure(runners[who], dir);
      out[who].push(sample);
      console.error(
        `  run ${i + 1} ${who}: ${(sample.ms / 1000).toFixed(1)} s, client CPU ${sample.clientCpu.toFixed(1)} s, ` +
          `moto CPU ${sample.serverCpu.toFixed(1)} s (load ${load()})`,
      );
    }
  }
  return out;
}

/** Requests per object of each contender, through a counting proxy in front of a fresh moto. */
async function countRequests(runners: Record<Contender, Runner>, dir: string, n: number): Promise<string[]> {
  const rows: string[] = [];
  for (const who of ['stowage', 'rclone'] as const) {
    if (who === 'rclone' && values['skip-rclone']) continue;
    const server = await freshMoto();
    const proxy = await countingProxy(server.endpoint);
    try {
      await runners[who](proxy.endpoint, dir);
      if (who === 'stowage') {
        // Not part of the migration: the runner's warm-up `exists` before timing.
        const heads = (proxy.counts.get('HeadObject') ?? 0) - 1;
        if (heads > 0) proxy.counts.set('HeadObject', heads);
        else proxy.counts.delete('HeadObject');
      }
      rows.push(`| ${who} | ${perObject(proxy.counts, n)} |`);
    } finally {
      await proxy.stop();
      await server.stop();
    }
  }
  return rows;
}

const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
  console.log(line);
};
const seconds = (xs: Sample[], field: keyof Sample) =>
  median(xs.map((x) => x[field])) / (field === 'ms' ? 1000 : 1);

const work = await mkdtemp(join(tmpdir(), 'stowage-bench-migrate-'));
try {
  const rcloneVersion = values['skip-rclone']
    ? 'skipped'
    : (await run('rclone', ['--version'])).stdout.split('\n')[0];
  say(`# migrate benchmark (${new Date().toISOString()})`);
  say();
  say(
    `Node ${process.version}, ${rcloneVersion}, concurrency ${concurrency}, a fresh moto_server per run, ` +
      `order alternating, load average at start ${load()}.`,
  );
  say(
    `rclone: \`rclone copy SRC moto:bench/run/ ${RCLONE_FLAGS.join(' ')}\`; stowage: \`migrate({ from: local, to: s3, targetPrefix: 'run/', concurrency: ${concurrency} })\` (defaults compare 'size+mtime', verify 'size').`,
  );
  say();

  const small = join(work, 'small');
  if (objects > 0) await writeFiles(small, objects, size);
  const smallRunners = { stowage: stowageRunner(), rclone: rcloneRunner() };
  if (countObjects > 0) {
    const countDir = join(work, 'count');
    await writeFiles(countDir, countObjects, size);
    say(
      `Requests per object sent to moto (${countObjects} × ${values.size}, counted by a proxy in a separate run):`,
    );
    say();
    say('| tool | requests per object |');
    say('|---|---|');
    for (const row of await countRequests(smallRunners, countDir, countObjects)) say(row);
    say();
  }

  say(`Medians of ${runs} run(s) (small objects) and ${bigRuns} run(s) (large object):`);
  say();
  say(
    '| case | stowage | rclone | ratio (rclone time / stowage time) | client CPU s: stowage / rclone | moto CPU s: stowage / rclone |',
  );
  say('|---|---|---|---|---|---|');
  const row = (label: string, rate: (ms: number) => string, got: Record<Contender, Sample[]>) => {
    const o = seconds(got.stowage, 'ms');
    const t = got.rclone.length ? seconds(got.rclone, 'ms') : Number.NaN;
    const cpu = (field: keyof Sample) =>
      `${seconds(got.stowage, field).toFixed(1)} / ${got.rclone.length ? seconds(got.rclone, field).toFixed(1) : '—'}`;
    say(
      `| ${label} | ${rate(o)} (${o.toFixed(1)} s) | ${got.rclone.length ? `${rate(t)} (${t.toFixed(1)} s)` : '—'} | ` +
        `${(t / o).toFixed(2)}× | ${cpu('clientCpu')} | ${cpu('serverCpu')} |`,
    );
  };
  if (objects > 0) {
    const smallRuns = await alternate(smallRunners, small, runs);
    row(`${objects} × ${values.size} local → S3`, (s) => `${(objects / s).toFixed(0)} obj/s`, smallRuns);
    await rm(small, { recursive: true, force: true });
  }

  if (big > 0) {
    const bigDir = join(work, 'big');
    await mkdir(bigDir);
    await writeBig(join(bigDir, 'big.bin'), big);
    const bigRunners = {
      stowage: stowageRunner({ partSize: '8MiB', concurrency: 4 }),
      rclone: rcloneRunner(RCLONE_BIG_FLAGS),
    };
    const got = await alternate(bigRunners, bigDir, bigRuns);
    row(`1 × ${values.big} local → S3`, (s) => `${mib(big / s)} MiB/s`, got);
    say();
    say(
      `Large object: stowage \`s3({ partSize: '8MiB', concurrency: 4 })\`; rclone adds \`${RCLONE_BIG_FLAGS.join(' ')}\`.`,
    );
    await rm(bigDir, { recursive: true, force: true });
  }
  say();
  say(`Load average at the end: ${load()}.`);

  if (rssCounts.length > 0) {
    say();
    for (const line of await rssTable(rssCounts, work, here)) say(line);
  }
  if (values.write) await writeFile(join(here, 'RESULTS.latest.md'), `${lines.join('\n')}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
