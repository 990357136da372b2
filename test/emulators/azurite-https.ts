/**
 * Azurite over HTTPS with OAuth ("basic": the bearer token's audience,
 * issuer and lifetime are checked, its signature is not), so Entra ID
 * credentials can be exercised without Azure. Azurite refuses bearer tokens
 * over plain HTTP, hence the self-signed certificate (made with `openssl`
 * for 127.0.0.1, per instance). Clients must trust `certPath`, e.g. a child
 * process started with `NODE_EXTRA_CA_CERTS=<certPath>`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AZURITE_ACCOUNT, AZURITE_BIN, azuriteArgs } from './azurite.js';
import { freePort, spawnEmulator, tempDir, waitForPort } from './process.js';
import type { EmulatorHandle } from './types.js';

/** A running HTTPS Azurite: its endpoint (`https://127.0.0.1:<port>/devstoreaccount1`) and the certificate to trust. */
export interface AzuriteHttpsHandle extends EmulatorHandle {
  certPath: string;
}

/** Starts `azurite-blob --oauth basic` over HTTPS on a free loopback port (needs `openssl` on PATH). */
export async function startAzuriteHttps(): Promise<AzuriteHttpsHandle> {
  const port = await freePort();
  const location = await tempDir('azurite-https');
  const certPath = join(location, 'cert.pem');
  const keyPath = join(location, 'key.pem');
  await promisify(execFile)(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { timeout: 30_000 },
  );
  const spawned = spawnEmulator(
    AZURITE_BIN,
    azuriteArgs(port, location, ['--cert', certPath, '--key', keyPath, '--oauth', 'basic']),
    { dataDir: location },
  );
  try {
    await waitForPort(port, 60_000, spawned.child);
  } catch (e) {
    await spawned.stop();
    throw new Error(`Azurite (HTTPS) did not start: ${(e as Error).message}\n${spawned.output()}`);
  }
  return { endpoint: `https://127.0.0.1:${port}/${AZURITE_ACCOUNT}`, certPath, stop: () => spawned.stop() };
}
