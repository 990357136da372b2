/**
 * Local-disk benchmark: stowage's local backend against raw `node:fs`,
 * OpenDAL (`fs` service) and FlyDrive (FS driver), in one run.
 *
 *   npx tsx bench/local/run.ts [--size 1GiB] [--files 10000] [--runs 5]
 *
 * Each measurement runs in a child process (so peak RSS is per contender),
 * contenders interleaved run by run so background load hits them alike;
 * medians are reported with ratios to raw fs and to the best peer. Data lives
 * in bench/.data/local (deleted afterwards); the table goes to stdout and to
 * bench/local/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSize } from '../../src/core/units.js';
import { CONTENDERS, type ContenderName } from './contenders.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const size = parseSize(args.get('size') ?? '1GiB', 'size');
const files = Number(args.get('files') ?? 10_000);
const runs = Number(args.get('runs') ?? 5);

const here = fileURLToPath(new URL('.', import.meta.url));
const dataDir = join(here, '..', '.data', 'local');
const childJs = join(dataDir, 'child.mjs');

rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
// Bundle the child so it runs on plain node: no loader thread inflating its RSS.
execFileSync(
  join(here, '..', '..', 'node_modules', '.bin', 'esbuild'),
  [
    join(here, 'child.ts'),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node20',
    `--outfile=${childJs}`,
    '--external:opendal',
    '--external:flydrive',
    '--log-level=warning',
  ],
  { stdio: 'inherit' },
);

type Sample = Record<string, number>;
const samples = new Map<string, Sample[]>();

function measure(name: ContenderName, scenario: 'big' | 'small', param: number, run: number): Sample {
  const root = join(dataDir, `${scenario}-${name.replace(/\W+/g, '-')}-${run}`);
  mkdirSync(root, { recursive: true });
  // Flush the previous contender's dirty pages, so its write-back does not slow this one down.
  execFileSync('sync');
  try {
    const out = execFileSync(process.execPath, [childJs, name, scenario, root, String(param)], {
      encoding: 'utf8',
      cwd: here,
      maxBuffer: 1024 * 1024,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as Sample;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

for (let run = 0; run < runs; run++) {
  // Rotate the order each run, so no contender always goes first (or last).
  const order = CONTENDERS.map((_, i) => CONTENDERS[(i + run) % CONTENDERS.length]!);
  for (const name of order) {
    for (const [scenario, param] of [
      ['big', size],
      ['small', files],
    ] as const) {
      const sample = measure(name, scenario, param, run);
      const list = samples.get(`${name}/${scenario}`) ?? [];
      list.push(sample);
      samples.set(`${name}/${scenario}`, list);
      process.stderr.write(`run ${run + 1}/${runs} ${name} ${scenario}: ${JSON.stringify(sample)}\n`);
    }
  }
}
rmSync(dataDir, { recursive: true, force: true });

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const med = (name: ContenderName, scenario: string, field: string) =>
  median((samples.get(`${name}/${scenario}`) ?? []).map((s) => s[field]!));

const metrics = [
  { label: `${fmtSize(size)} stream write (MB/s)`, scenario: 'big', field: 'writeMBps', higher: true },
  { label: `${fmtSize(size)} stream read (MB/s)`, scenario: 'big', field: 'readMBps', higher: true },
  {
    label: `${files.toLocaleString('en')} × 4 KiB create, c=16 (ops/s)`,
    scenario: 'small',
    field: 'createOps',
    higher: true,
  },
  {
    label: `${files.toLocaleString('en')} × 4 KiB read, c=16 (ops/s)`,
    scenario: 'small',
    field: 'readOps',
    higher: true,
  },
  {
    label: `CPU per GB written, all threads (s)`,
    scenario: 'big',
    field: 'writeCpuPerGB',
    higher: false,
  },
  { label: `CPU per GB read, all threads (s)`, scenario: 'big', field: 'readCpuPerGB', higher: false },
  { label: 'CPU per 4 KiB create, all threads (µs)', scenario: 'small', field: 'createCpuUs', higher: false },
  { label: 'CPU per 4 KiB read, all threads (µs)', scenario: 'small', field: 'readCpuUs', higher: false },
  {
    label: `peak RSS after the ${fmtSize(size)} write (MB)`,
    scenario: 'big',
    field: 'peakAfterWrite',
    higher: false,
    scale: 1e-6,
  },
  {
    label: `peak RSS, ${fmtSize(size)} write + read (MB)`,
    scenario: 'big',
    field: 'peakRss',
    higher: false,
    scale: 1e-6,
  },
  { label: 'RSS before the transfer (MB)', scenario: 'big', field: 'rssBefore', higher: false, scale: 1e-6 },
];
const peers: ContenderName[] = ['opendal fs', 'flydrive fs'];
const lines = [
  `| metric (median of ${runs}) | ${CONTENDERS.join(' | ')} | local ÷ raw fs | local ÷ best peer |`,
  `|---|${CONTENDERS.map(() => '---:').join('|')}|---:|---:|`,
];
for (const m of metrics) {
  const scale = m.scale ?? 1;
  const values = CONTENDERS.map((c) => med(c, m.scenario, m.field) * scale);
  const mine = values[0]!;
  const raw = values[1]!;
  const peerValues = peers.map((p) => med(p, m.scenario, m.field) * scale);
  const best = m.higher ? Math.max(...peerValues) : Math.min(...peerValues);
  const ratio = (a: number, b: number) => (m.higher ? a / b : a / b).toFixed(2);
  lines.push(
    `| ${m.label} | ${values.map((v) => fmt(v)).join(' | ')} | ${ratio(mine, raw)}× | ${ratio(mine, best)}× |`,
  );
}
const table = lines.join('\n');
const command = `npx tsx bench/local/run.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
const report = `## Local disk (\`stowage/local\`)

Command: \`${command}\` — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${cpus().length} cores (shared), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ext4.

${table}

Each figure is the median of ${runs} runs; each run measures every contender in its own child process (bundled, plain \`node\`), in rotating order. Reads of the big object come from the page cache. Ratios for CPU and RSS rows: lower is better. CPU rows (\`process.cpuUsage()\`: user + system time of every thread of the process, native pools included) are far steadier than wall-clock rates on this shared machine, whose 15-minute load average was ${loadavg()[2]!.toFixed(1)} when the run ended. stowage's writes are atomic (temp file + rename); raw fs, OpenDAL and FlyDrive write in place.
`;
writeFileSync(join(here, 'RESULTS.md'), report);
console.log(report);

function fmt(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(1);
}
function fmtSize(bytes: number): string {
  return bytes >= 2 ** 30 ? `${bytes / 2 ** 30} GiB` : `${bytes / 2 ** 20} MiB`;
}
