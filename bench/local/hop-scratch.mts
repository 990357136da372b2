import { local } from '../../src/backends/local/index.js';
import { open, readlink, realpath, readFile } from 'node:fs/promises';
import { constants, rmSync } from 'node:fs';
const root = '/work/main/bench/.data/hop'; rmSync(root, { recursive: true, force: true });
const s = local({ root });
const N = 2000;
for (let i = 0; i < N; i++) if (i % 200 === 0) await Promise.all(Array.from({ length: 200 }, (_, j) => s.write(`d${(i + j) % 100}/f${i + j}`, Buffer.alloc(4096))));
async function t(name: string, fn: (i: number) => Promise<unknown>) { let n = 0; const st = performance.now(); await Promise.all(Array.from({ length: 16 }, async () => { while (n < N) await fn(n++); })); console.log(name.padEnd(20), (N / ((performance.now() - st) / 1000)) | 0, 'ops/s'); }
for (let r = 0; r < 2; r++) {
  await t('local.read', (i) => s.read(`d${i % 100}/f${i}`));
  await t('readFile', (i) => readFile(`${root}/d${i % 100}/f${i}`));
  await t('open+close', async (i) => (await open(`${root}/d${i % 100}/f${i}`)).close());
  await t('open nb+readlink+close', async (i) => { const h = await open(`${root}/d${i % 100}/f${i}`, constants.O_RDONLY | constants.O_NONBLOCK); await readlink(`/proc/self/fd/${h.fd}`); await h.close(); });
  await t('realpath', (i) => realpath(`${root}/d${i % 100}/f${i}`));
  await t('local.stat', (i) => s.stat(`d${i % 100}/f${i}`));
}
rmSync(root, { recursive: true, force: true });
