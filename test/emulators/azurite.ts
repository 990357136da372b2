/**
 * Azurite (the Azure Storage emulator, an npm dev dependency), blob service
 * only, persisted on disk: in-memory Azurite keeps every overwritten blob and
 * grew to 3.3 GB RSS in a benchmark. `--skipApiVersionCheck` because the
 * current SDK speaks a newer API version than Azurite knows; `--loose` so
 * headers Azurite does not implement are ignored instead of refused.
 */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { freePort, spawnEmulator, tempDir, waitForHttp } from './process.js';
import { ENDPOINT_VARS, type Emulator, type EmulatorHandle } from './types.js';

/** The emulator's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** The well-known key of {@link AZURITE_ACCOUNT}; public, fine in tests, never a real secret. */
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** The blob-only Azurite binary installed as a dev dependency. */
export const AZURITE_BIN = resolve(process.cwd(), 'node_modules/.bin/azurite-blob');

/** Arguments of a blob-only Azurite on 127.0.0.1:`port` with its data in `location`; `extra` go before the common flags. */
export function azuriteArgs(port: number, location: string, extra: string[] = []): string[] {
  return [
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--location',
    location,
    ...extra,
    '--skipApiVersionCheck',
    '--silent',
    '--loose',
    '--disableTelemetry',
  ];
}

/** The connection string for an Azurite blob endpoint such as `http://127.0.0.1:10000/devstoreaccount1`. */
export function azuriteConnectionString(endpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`;
}

/** Starts `azurite-blob` on a free loopback port with its data in a fresh temporary directory. */
export async function startAzurite(): Promise<EmulatorHandle> {
  const port = await freePort();
  const location = await tempDir('azurite');
  const spawned = spawnEmulator(AZURITE_BIN, azuriteArgs(port, location), { dataDir: location });
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  try {
    // Any HTTP answer (an auth error included) means the server is up.
    await waitForHttp(`${endpoint}?comp=list`, 60_000, spawned.child);
  } catch (e) {
    await spawned.stop();
    throw new Error(`Azurite did not start: ${(e as Error).message}\n${spawned.output()}`);
  }
  return { endpoint, stop: () => spawned.stop() };
}

export const emulator: Emulator = {
  name: 'azurite',
  envVar: ENDPOINT_VARS.azurite,
  async unavailable() {
    try {
      await access(AZURITE_BIN);
      return undefined;
    } catch {
      return `${AZURITE_BIN} is missing; run \`npm install\` (azurite is a dev dependency)`;
    }
  },
  start: startAzurite,
};
