/**
 * Diagnostic: counts the HTTP requests and TCP connections each side opens for
 * N small PUTs, through a counting proxy in front of fake-gcs-server, and
 * times them (wall and client CPU) with the two sides alternating.
 *
 * Run: `flock /tmp/stowage-bench.lock npx tsx bench/gcs/probe-requests.ts [count]`
 * Env: PROBE_DUMP=1 prints the first request of each kind (headers and the
 * start of the body); PROBE_DIRECT=1 skips the proxy; PROBE_ROUNDS (default
 * 2); PROBE_FIRST=stowage lets the adapter write its keys first;
 * PROBE_SEPARATE=1 gives each side its own bucket.
 *
 * What it showed: both sides send the same single multipart POST per object
 * over the same pooled connections (the only difference is the adapter's
 * explicit `contentType` in the metadata part). In one shared bucket,
 * whichever side wrote its keys first was faster, because fake-gcs-server's
 * memory backend searches a bucket's object list linearly under a global
 * lock; so the benchmark gives each side its own bucket.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Storage } from '@google-cloud/storage';
import { gcs } from '../../src/backends/gcs/index.js';
import { startFakeGcs } from '../../test/emulators/fake-gcs.js';
import { pool, timed } from '../timing.js';
import { emulatorCpu } from './common.js';

const COUNT = Number(process.argv[2] ?? 200);
const emulator = await startFakeGcs({ backend: 'memory' });
const upstream = new URL(emulator.endpoint);

const serverCpuMs = emulatorCpu(upstream.port);
let connections = 0;
const requests = new Map<string, number>();
const proxy = createServer((req, res) => {
  const path = (req.url ?? '').replace(/\/o\/[^?]*/, '/o/*').replace(/name=[^&]*/, 'name=*');
  const line = `${req.method} ${path.split('?')[0]} ${path.includes('uploadType') ? (path.match(/uploadType=\w+/)?.[0] ?? '') : ''}`;
  requests.set(line, (requests.get(line) ?? 0) + 1);
  if (process.env.PROBE_DUMP && (requests.get(line) ?? 0) === 1) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      console.log(
        'DUMP',
        req.method,
        req.url,
        JSON.stringify(req.headers),
        Buffer.concat(chunks).subarray(0, 600).toString('latin1'),
      ),
    );
  }
  const out = request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  req.pipe(out);
});
proxy.on('connection', () => connections++);
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
const endpoint = process.env.PROBE_DIRECT
  ? emulator.endpoint
  : `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
const small = randomBytes(4096);
try {
  const raw = new Storage({ apiEndpoint: endpoint, projectId: 'probe' });
  const [bucket] = await raw.createBucket('probe');
  // PROBE_SEPARATE=1: each side in its own bucket (the emulator's memory backend scans a bucket's object list linearly).
  const adapterBucket = process.env.PROBE_SEPARATE ? 'probe-stowage' : 'probe';
  if (adapterBucket !== 'probe') await raw.createBucket(adapterBucket);
  const backend = gcs({ bucket: adapterBucket, apiEndpoint: endpoint });
  const report = (label: string, t: { ms: number; cpuMs: number; serverMs: number }) => {
    console.log(
      `${label}: ${t.ms.toFixed(0)} ms, client cpu ${t.cpuMs.toFixed(0)} ms, emulator cpu ${t.serverMs} ms, connections ${connections}`,
    );
    for (const [k, v] of requests) console.log(`   ${v} × ${k}`);
    connections = 0;
    requests.clear();
  };
  const sides = {
    raw: () =>
      pool(COUNT, 16, async (i) => {
        await bucket.file(`raw/${i}`).save(small, { resumable: false });
      }),
    stowage: () =>
      pool(COUNT, 16, async (i) => {
        await backend.write(`st/${i}`, small);
      }),
  };
  // PROBE_FIRST=stowage: the adapter writes its keys first (warm-up), so they sit first in the emulator's list.
  const first =
    process.env.PROBE_FIRST === 'stowage' ? (['stowage', 'raw'] as const) : (['raw', 'stowage'] as const);
  for (let round = 0; round < Number(process.env.PROBE_ROUNDS ?? 2); round++) {
    const order = round % 2 === 0 ? first : ([first[1], first[0]] as const);
    for (const side of order) {
      const before = serverCpuMs();
      const t = await timed(sides[side]);
      report(side, { ...t, serverMs: serverCpuMs() - before });
    }
  }
  await backend.close();
} finally {
  proxy.close();
  await emulator.stop();
}
