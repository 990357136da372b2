/**
 * CPU per object of `migrate` local → S3 (moto), for profiling:
 *   node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx bench/migrate/profile.ts [objects] [size] [options JSON]
 * Prints the client's CPU time per object (steady under load, unlike wall time).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local } from '../../src/backends/local/index.js';
import { s3 } from '../../src/backends/s3/index.js';
import { parseSize } from '../../src/core/units.js';
import { migrate } from '../../src/migrate/index.js';
import { writeFiles } from './files.js';
import { freshMoto } from './moto.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const objects = Number(process.argv[2] ?? 2000);
const size = parseSize(process.argv[3] ?? '4KiB', 'size');
/** Extra `migrate` options, e.g. '{"verify":false}'. */
const extra = JSON.parse(process.argv[4] ?? '{}') as Record<string, unknown>;
const work = await mkdtemp(join(tmpdir(), 'stowage-prof-'));
const server = await freshMoto();
try {
  await writeFiles(work, objects, size);
  const to = s3({
    bucket: 'bench',
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await to.exists('warm-up');
  const moto0 = await server.cpuSeconds();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await migrate({
    from: local({ root: work }),
    to,
    targetPrefix: 'run/',
    concurrency: 16,
    ...extra,
  });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const motoCpu = (await server.cpuSeconds()) - moto0;
  console.log(
    JSON.stringify({
      copied: report.copied,
      failed: report.failed.length,
      wallMsPerObject: +(ms / objects).toFixed(3),
      clientCpuMsPerObject: +((used.user + used.system) / 1000 / objects).toFixed(3),
      userMsPerObject: +(used.user / 1000 / objects).toFixed(3),
      systemMsPerObject: +(used.system / 1000 / objects).toFixed(3),
      motoCpuMsPerObject: +((motoCpu * 1000) / objects).toFixed(3),
    }),
  );
  await to.close();
} finally {
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
