/**
 * Overhead of the middleware stack (run: `npx tsx bench/middleware/run.ts [opsPerRun] [runs]`).
 *
 * Operations per second of 4 KiB `write`, `read` and `stat`, 64 in flight,
 * through each middleware alone and through the whole stack
 * `layer(inner, observe, retry, timeout, throttle({ concurrency: 64 }), cache())`,
 * against the same inner backend bare. Two inner backends:
 * - `memory()`: every call is a few microseconds, so this measures the raw
 *   cost of each layer per call;
 * - `memory()` behind 1 ms of simulated latency per call (a fast network
 *   store), which shows what that cost means next to real I/O.
 *
 * Runs alternate between setups so drift in the machine's load hits each
 * alike, and the setups take turns going first; medians of the runs are
 * compared. Target: ≥ 0.8× bare. Seven runs (the default) give each of the
 * seven setups one turn at every position.
 *
 * For figures that match the published build, bundle first (tsx adds a
 * `__name` call to every closure, which inflates per-call costs):
 *   npx esbuild bench/middleware/run.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=.tmp/bench-middleware.mjs
 *   node --expose-gc .tmp/bench-middleware.mjs 20000 7
 */
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
import { body, CONCURRENCY, KEYS, keyOf, middleware, operations } from './setups.js';

const opsPerRun = Number(process.argv[2] ?? 20_000);
const runs = Number(process.argv[3] ?? 7);

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

async function opsPerSecond(
  storage: StorageBackend,
  op: (s: StorageBackend, i: number) => Promise<unknown>,
  n: number,
) {
  // Each run starts from a collected heap and ends with a full collection
  // inside the timing, so it pays for all of its own garbage and no other:
  // garbage a run leaves uncollected would otherwise go unpaid or land on
  // whichever run comes next.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  let next = 0;
  const worker = async () => {
    while (next < n) await op(storage, next++);
  };
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  gc?.();
  const used = process.cpuUsage(cpu);
  const wall = n / ((performance.now() - start) / 1000);
  // On a machine shared with other work, wall time measures the neighbours too;
  // CPU time spent by this process is the steadier measure of a layer's cost.
  return metric === 'cpu' ? n / ((used.user + used.system) / 1e6) : wall;
}

let metric: 'cpu' | 'wall' = 'cpu';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(
  title: string,
  inner: () => StorageBackend,
  n: number,
  setups: string[],
  by: 'cpu' | 'wall',
) {
  metric = by;
  const backends = new Map(setups.map((name) => [name, layer(inner(), ...middleware[name]!())]));
  for (const storage of backends.values()) {
    await Promise.all(Array.from({ length: KEYS }, (_, i) => storage.write(keyOf(i), body)));
    for (const op of Object.values(operations)) await opsPerSecond(storage, op, Math.min(n, 2000)); // warm-up
  }
  const results: Record<string, Record<string, number[]>> = {};
  const order = [...backends];
  for (let run = 0; run < runs; run++) {
    // The setups take turns going first: the first run after the operation
    // changes pays for the change (re-optimised code, the previous
    // operation's leftovers), and a fixed order charged it to `bare` alone.
    const turn = [...order.slice(run % order.length), ...order.slice(0, run % order.length)];
    for (const [opName, op] of Object.entries(operations)) {
      for (const [name, storage] of turn) {
        ((results[opName] ??= {})[name] ??= []).push(await opsPerSecond(storage, op, n));
      }
    }
  }
  const lines = [
    `### ${title}`,
    '',
    `| op | ${setups.join(' | ')} |`,
    `|---|${'---|'.repeat(setups.length)}`,
  ];
  const added: string[] = [];
  for (const opName of Object.keys(operations)) {
    const bare = median(results[opName]!.bare!);
    const cells = setups.map((name) => {
      const m = median(results[opName]![name]!);
      const unit = by === 'cpu' ? 'ops per CPU-second' : 'ops/s';
      return name === 'bare' ? `${Math.round(m).toLocaleString('en')} ${unit}` : `${(m / bare).toFixed(2)}×`;
    });
    lines.push(`| ${opName} 4 KiB | ${cells.join(' | ')} |`);
    if (by === 'cpu') {
      const us = setups.map((name) =>
        name === 'bare'
          ? `${(1e6 / bare).toFixed(1)} µs/call`
          : `${(1e6 / median(results[opName]![name]!) - 1e6 / bare).toFixed(1)}`,
      );
      added.push(`| ${opName}: CPU µs added | ${us.join(' | ')} |`);
    }
  }
  if (by === 'cpu') lines.push(...added);
  console.log(`${lines.join('\n')}\n`);
}

console.log(
  `middleware benchmark: ${runs} runs, medians; 4 KiB bodies; ${CONCURRENCY} in flight; node ${process.version}\n`,
);
await measure(
  `memory, CPU time (${opsPerRun} ops per run)`,
  () => memory(),
  opsPerRun,
  Object.keys(middleware),
  'cpu',
);
await measure(
  `memory + 1 ms latency per call, wall time (${Math.round(opsPerRun / 4)} ops per run)`,
  () => new Latency(memory()),
  Math.round(opsPerRun / 4),
  (process.env.SETUPS ?? 'bare,stack').split(','),
  'wall',
);
