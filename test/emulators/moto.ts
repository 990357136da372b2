/**
 * moto_server, the Python S3 emulator. Found on PATH as `moto_server`, or run
 * as `python3 -m moto.server` when only the module is installed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findExecutable, freePort, spawnEmulator, waitForHttp } from './process.js';
import { ENDPOINT_VARS, type Emulator } from './types.js';

const run = promisify(execFile);

/** How to launch moto on this machine, or undefined when it is not installed. */
async function locate(): Promise<{ command: string; prefix: string[] } | undefined> {
  const binary = await findExecutable('moto_server');
  if (binary) return { command: binary, prefix: [] };
  for (const python of ['python3', 'python']) {
    try {
      await run(python, ['-c', 'import moto.server'], { timeout: 20_000 });
      return { command: python, prefix: ['-m', 'moto.server'] };
    } catch {}
  }
  return undefined;
}

export const emulator: Emulator = {
  name: 'moto',
  envVar: ENDPOINT_VARS.moto,
  async unavailable() {
    return (await locate())
      ? undefined
      : "moto is not installed (neither `moto_server` on PATH nor `python3 -m moto.server`): run `npm run emulators:install` or `pip install 'moto[server]'`";
  },
  async start() {
    const found = await locate();
    if (!found) throw new Error('moto is not installed');
    const port = await freePort();
    const spawned = spawnEmulator(found.command, [...found.prefix, '-H', '127.0.0.1', '-p', String(port)], {
      // moto answers with a test account; any non-empty keys are accepted.
      env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
    });
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${endpoint}/moto-api/`, 60_000, spawned.child);
    } catch (e) {
      await spawned.stop();
      throw new Error(`moto did not start: ${(e as Error).message}\n${spawned.output()}`);
    }
    return { endpoint, stop: spawned.stop };
  },
};
