/**
 * Runs every example in examples/ as a user would (`tsx examples/x.ts`), each
 * in its own process. When moto is installed, one moto_server is started on a
 * free loopback port and its endpoint passed as STOWAGE_EXAMPLE_S3_ENDPOINT,
 * so the cloud examples run against a real S3 emulator; otherwise they run on
 * their local fallback. Exits non-zero if any example fails.
 *
 *   npm run examples              # all
 *   npm run examples -- quickstart image-service
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { emulator as moto } from '../test/emulators/moto.js';

const only = process.argv.slice(2);
const files = (await readdir(new URL('../examples/', import.meta.url)))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

let s3Endpoint = process.env.STOWAGE_EXAMPLE_S3_ENDPOINT;
let stop: (() => Promise<void>) | undefined;
if (!s3Endpoint) {
  const reason = await moto.unavailable();
  if (reason === undefined) {
    const handle = await moto.start();
    s3Endpoint = handle.endpoint;
    stop = handle.stop;
    console.log(`examples: moto started at ${s3Endpoint}`);
  } else {
    console.log(`examples: no S3 emulator (${reason}); cloud examples use their local fallback`);
  }
}

let failed = 0;
try {
  for (const file of files) {
    const started = Date.now();
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...(s3Endpoint ? { STOWAGE_EXAMPLE_S3_ENDPOINT: s3Endpoint } : {}),
        },
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('close', (c) => {
        if (c !== 0) process.stdout.write(output);
        resolve(c ?? 1);
      });
    });
    console.log(
      `${code === 0 ? 'ok  ' : 'FAIL'} examples/${file} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    if (code !== 0) failed++;
  }
} finally {
  await stop?.();
}
console.log(`examples: ${files.length - failed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
