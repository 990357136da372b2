/**
 * MinIO, optional: found on PATH or in `$(go env GOPATH)/bin` (installed by
 * `npm run emulators:install -- --with-minio`). Runs with a fresh data
 * directory and fixed test credentials (MINIO_TEST_USER / MINIO_TEST_PASSWORD).
 */
import { findExecutable, freePort, spawnEmulator, tempDir, waitForHttp } from './process.js';
import { ENDPOINT_VARS, type Emulator } from './types.js';

/** Root credentials the harness gives MinIO; tests use these as access key / secret. */
export const MINIO_TEST_USER = 'stowage-test';
export const MINIO_TEST_PASSWORD = 'stowage-test-secret';

export const emulator: Emulator = {
  name: 'minio',
  envVar: ENDPOINT_VARS.minio,
  async unavailable() {
    return (await findExecutable('minio'))
      ? undefined
      : 'MinIO is not installed: run `npm run emulators:install -- --with-minio` (slow build) or set STOWAGE_TEST_MINIO_ENDPOINT';
  },
  async start() {
    const binary = await findExecutable('minio');
    if (!binary) throw new Error('MinIO is not installed');
    const port = await freePort();
    const consolePort = await freePort();
    const dataDir = await tempDir('minio');
    const spawned = spawnEmulator(
      binary,
      [
        'server',
        dataDir,
        '--address',
        `127.0.0.1:${port}`,
        '--console-address',
        `127.0.0.1:${consolePort}`,
        '--quiet',
      ],
      {
        env: {
          MINIO_ROOT_USER: MINIO_TEST_USER,
          MINIO_ROOT_PASSWORD: MINIO_TEST_PASSWORD,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
        },
        dataDir,
      },
    );
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${endpoint}/minio/health/live`, 60_000, spawned.child);
    } catch (e) {
      await spawned.stop();
      throw new Error(`MinIO did not start: ${(e as Error).message}\n${spawned.output()}`);
    }
    return { endpoint, stop: spawned.stop };
  },
};
