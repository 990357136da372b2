/**
 * fake-gcs-server, the Go GCS emulator
 * (`go install github.com/fsouza/fake-gcs-server@latest`). Found on PATH, in
 * `$(go env GOPATH)/bin` or in `~/go/bin`.
 *
 * The test harness runs it with the memory backend: its filesystem backend
 * fsyncs every object (renameio), which made the conformance kit's 1,234-key
 * tests take a minute; the memory backend is also the only one that keeps old
 * generations of versioned buckets. The benchmark starts its own instance on
 * the filesystem backend, which keeps stored objects out of the emulator's
 * heap (uploads are still gathered in memory until they finish: that is the
 * emulator's design).
 * `-external-url` makes the `Location` of resumable sessions point back at the
 * loopback port, which resumable uploads need.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, spawnEmulator, tempDir, waitForHttp } from './process.js';
import { ENDPOINT_VARS, type Emulator, type EmulatorHandle } from './types.js';

const BINARY = 'fake-gcs-server';

function goPathBin(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('go', ['env', 'GOPATH'], { timeout: 20_000 }, (error, stdout) => {
      const gopath = error ? '' : stdout.trim().split(delimiter)[0];
      resolve(gopath ? join(gopath, 'bin') : undefined);
    });
  });
}

/** The path of the fake-gcs-server binary, or undefined when it is not installed. */
export async function locateFakeGcs(): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const gobin = await goPathBin();
  if (gobin) dirs.push(gobin);
  dirs.push(join(homedir(), 'go', 'bin'));
  for (const dir of dirs) {
    const candidate = join(dir, BINARY);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** Options of {@link startFakeGcs}. */
export interface FakeGcsOptions {
  /**
   * 'memory' is fast and the only backend of fake-gcs-server that keeps old
   * generations of versioned buckets; 'filesystem' keeps stored objects on
   * disk (lower memory, but an fsync per write). @default 'memory'
   */
  backend?: 'filesystem' | 'memory';
}

/** Starts fake-gcs-server on a free 127.0.0.1 port; resolves once it answers. */
export async function startFakeGcs(options: FakeGcsOptions = {}): Promise<EmulatorHandle> {
  const binary = await locateFakeGcs();
  if (!binary) throw new Error('fake-gcs-server is not installed');
  const port = await freePort();
  const dataDir = await tempDir('fake-gcs');
  const endpoint = `http://127.0.0.1:${port}`;
  const backend = options.backend ?? 'memory';
  const spawned = spawnEmulator(
    binary,
    [
      '-scheme',
      'http',
      '-host',
      '127.0.0.1',
      '-port',
      String(port),
      '-external-url',
      endpoint,
      // Path-style URLs (/bucket/object, as V4 signed URLs are) on this host are
      // served as object requests; fake-gcs-server does not check signatures.
      '-public-host',
      '127.0.0.1',
      '-backend',
      backend,
      ...(backend === 'filesystem' ? ['-filesystem-root', dataDir] : []),
      '-log-level',
      'error',
    ],
    { dataDir },
  );
  try {
    await waitForHttp(`${endpoint}/_internal/healthcheck`, 60_000, spawned.child);
  } catch (e) {
    await spawned.stop();
    throw new Error(`fake-gcs-server did not start: ${(e as Error).message}\n${spawned.output()}`);
  }
  return { endpoint, stop: spawned.stop };
}

export const emulator: Emulator = {
  name: 'gcs',
  envVar: ENDPOINT_VARS.gcs,
  async unavailable() {
    return (await locateFakeGcs())
      ? undefined
      : 'fake-gcs-server is not installed (not on PATH nor in $(go env GOPATH)/bin): run `npm run emulators:install` or `go install github.com/fsouza/fake-gcs-server@latest`';
  },
  start: () => startFakeGcs(),
};
