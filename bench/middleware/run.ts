/**
 * Overhead of the middleware stack (run: `npx tsx bench/middleware/run.ts [opsPerRun] [forks]`).
 *
 * Operations per second of 4 KiB `write`, `read` and `stat`, 64 in flight,
 * through each middleware alone and through the whole stack
 * `layer(inner, observe, retry, timeout, throttle({ concurrency: 64 }), cache())`,
 * against the same inner backend bare. Two inner backends:
 * - `memory()`: every call is a few microseconds, so this measures the raw
 *   cost of each layer per call (CPU time of the process);
 * - `memory()` behind 1 ms of simulated latency per call (a fast network
 *   store), which shows what that cost means next to real I/O (wall time).
 *
 * Each setup runs in a process of its own (a "fork", as JMH does for the
 * JVM): in one shared process the type feedback of seven stacks pollutes
 * one another's compiled code, and the heap of every setup is marked by
 * every collection, charging each setup for the others' data. A fork writes
 * every key, warms each operation up, then makes {@link ROUNDS} runs of
 * write, read and stat; the parent starts the forks one at a time, the setups
 * taking turns going first, and compares medians over every run of every
 * fork. Target: ≥ 0.8× bare.
 *
 * The workload keeps one key per 20 operations (each write run writes every
 * key 20 times, so the read run that follows starts with one miss in 20 on
 * the cache, whatever `opsPerRun` is). Each run starts from a collected heap
 * and ends with a full collection inside its timing, so it pays for its own
 * garbage; runs are long (100,000 operations by default) because that
 * collection also marks the whole live heap (~10 ms), which would otherwise
 * weigh on the per-call figures.
 *
 * For figures that match the published build, bundle first (tsx adds a
 * `__name` call to every closure, which inflates per-call costs):
 *   npx esbuild bench/middleware/run.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=.tmp/bench-middleware.mjs
 *   node --expose-gc .tmp/bench-middleware.mjs 100000 7
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { memory } from '../../src/backends/memory/index.js';
import type {
  Body,
  ObjectInfo,
  ReadOptions,
  StatOptions,
  StorageBackend,
  WriteOptions,
} from '../../src/core/backend.js';
import { ForwardingBackend, layer } from '../../src/core/layer.js';
import { CONCURRENCY, middleware, operations } from './setups.js';

/** Runs per fork. */
const ROUNDS = 3;
/** Operations per distinct key in a run. */
const OPS_PER_KEY = 20;

/** Adds a fixed latency to each call, like a nearby network store. */
class Latency extends ForwardingBackend {
  override async read(key: string, o?: ReadOptions): Promise<Uint8Array> {
    await sleep(1);
    return super.read(key, o);
  }
  override async stat(key: string, o?: StatOptions): Promise<ObjectInfo> {
    await sleep(1);
    return super.stat(key, o);
  }
  override async write(key: string, b: Body, o?: WriteOptions): Promise<ObjectInfo> {
    await sleep(1);
    return super.write(key, b, o);
  }
}

type Metric = 'cpu' | 'wall';
type Samples = Record<string, number[]>;

/** Ops per CPU-second (or per second of wall time) of `n` calls of `op`, 64 in flight. */
async function opsPerSecond(
  storage: StorageBackend,
  op: (s: StorageBackend, i: number, keys: number) => Promise<unknown>,
  n: number,
  keys: number,
  metric: Metric,
): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  let next = 0;
  const worker = async () => {
    while (next < n) await op(storage, next++, keys);
  };
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  gc?.();
  const used = process.cpuUsage(cpu);
  // On a machine shared with other work, wall time measures the neighbours too;
  // CPU time spent by this process is the steadier measure of a layer's cost.
  return metric === 'cpu' ? n / ((used.user + used.system) / 1e6) : n / ((performance.now() - start) / 1000);
}

/** One fork: one setup over one inner backend, {@link ROUNDS} runs of each operation. */
async function fork(setup: string, inner: string, metric: Metric, n: number): Promise<Samples> {
  const keys = Math.max(1, Math.round(n / OPS_PER_KEY));
  const base = inner === 'latency' ? new Latency(memory()) : memory();
  const storage = layer(base, ...middleware[setup]!());
  await Promise.all(Array.from({ length: keys }, (_, i) => operations.write!(storage, i, keys)));
  for (const op of Object.values(operations))
    await opsPerSecond(storage, op, Math.min(n, 5000), keys, metric);
  const samples: Samples = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, op] of Object.entries(operations)) {
      (samples[name] ??= []).push(await opsPerSecond(storage, op, n, keys, metric));
    }
  }
  return samples;
}

/** Runs a fork in a child process (this script, same flags) and returns its samples. */
function runFork(setup: string, inner: string, metric: Metric, n: number): Samples {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, process.argv[1]!, '--fork', setup, inner, metric, String(n)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) throw new Error(`fork ${setup} exited with ${child.status}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Samples;
}

// Upper median, as the other areas' benchmarks use.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(title: string, inner: string, n: number, setups: string[], metric: Metric, forks: number) {
  const results: Record<string, Samples> = {};
  for (let f = 0; f < forks; f++) {
    // The setups take turns going first, so drift in the machine's load hits each alike.
    const turn = [...setups.slice(f % setups.length), ...setups.slice(0, f % setups.length)];
    for (const setup of turn) {
      const samples = runFork(setup, inner, metric, n);
      for (const [op, xs] of Object.entries(samples)) ((results[setup] ??= {})[op] ??= []).push(...xs);
    }
  }
  const unit = metric === 'cpu' ? 'ops per CPU-second' : 'ops/s';
  const lines = [
    `### ${title}`,
    '',
    `| op | ${setups.join(' | ')} |`,
    `|---|${'---|'.repeat(setups.length)}`,
  ];
  const added: string[] = [];
  for (const op of Object.keys(operations)) {
    const bare = median(results.bare![op]!);
    const cells = setups.map((s) =>
      s === 'bare'
        ? `${Math.round(bare).toLocaleString('en')} ${unit}`
        : `${(median(results[s]![op]!) / bare).toFixed(2)}×`,
    );
    lines.push(`| ${op} 4 KiB | ${cells.join(' | ')} |`);
    const us = setups.map((s) =>
      s === 'bare'
        ? `${(1e6 / bare).toFixed(2)} µs/call`
        : (1e6 / median(results[s]![op]!) - 1e6 / bare).toFixed(2),
    );
    if (metric === 'cpu') added.push(`| ${op}: CPU µs added | ${us.join(' | ')} |`);
  }
  console.log(`${[...lines, ...added].join('\n')}\n`);
}

if (process.argv[2] === '--fork') {
  const [setup, inner, metric, n] = process.argv.slice(3);
  console.log(JSON.stringify(await fork(setup!, inner!, metric as Metric, Number(n))));
} else {
  const opsPerRun = Number(process.argv[2] ?? 100_000);
  const forks = Number(process.argv[3] ?? 7);
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  console.log(
    `middleware benchmark: ${forks} forks per setup, ${ROUNDS} runs each, medians; 4 KiB bodies; ${CONCURRENCY} in flight; node ${process.version}`,
  );
  console.log(`started ${new Date().toISOString()}, load average before: ${load()}\n`);
  measure(
    `memory, CPU time (${opsPerRun} ops per run)`,
    'memory',
    opsPerRun,
    Object.keys(middleware),
    'cpu',
    forks,
  );
  const latencyOps = Math.round(opsPerRun / 20);
  measure(
    `memory + 1 ms latency per call, wall time (${latencyOps} ops per run)`,
    'latency',
    latencyOps,
    (process.env.SETUPS ?? 'bare,stack').split(','),
    'wall',
    Math.min(forks, 3),
  );
  console.log(`load average after: ${load()}`);
}
