/**
 * Entra ID (`credential`: a `TokenCredential` as `@azure/identity` makes)
 * against Azurite over HTTPS with `--oauth basic`. The adapter runs in a
 * child process that trusts the emulator's self-signed certificate through
 * `NODE_EXTRA_CA_CERTS` (the SDK's own HTTPS agent offers no other hook).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AzuriteHttpsHandle, startAzuriteHttps } from '../../emulators/azurite-https.js';
import { describeWithEmulator } from '../../emulators/env.js';

describeWithEmulator('azurite', 'azure with an Entra ID credential (Azurite over HTTPS, OAuth)', () => {
  let emulator: AzuriteHttpsHandle | undefined;
  beforeAll(async () => {
    emulator = await startAzuriteHttps();
  }, 90_000);
  afterAll(async () => {
    await emulator?.stop();
  });

  it('writes, reads, lists, copies (also to another container in the service), presigns with a user-delegation key, deletes; a wrong audience is refused', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'test/backends/azure/entra-child.ts', emulator!.endpoint],
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator!.certPath },
        timeout: 90_000,
        maxBuffer: 1 << 20,
      },
    );
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.written).toEqual({ size: 11, etag: 'string' });
    expect(out.read).toBe('hello entra');
    expect(out.stat).toEqual({ size: 11, contentType: 'text/plain', metadata: { owner: 'me' } });
    expect(out.list).toEqual(['docs/a.txt']);
    expect(out.copied).toEqual({ size: 11, body: 'hello entra' });
    // A user-delegation SAS for the token's identity (Azurite cannot verify the SDK's current SAS version).
    expect(out.presigned).toEqual({
      path: expect.stringMatching(/\/entra-a-[0-9a-f]+\/docs\/a\.txt$/),
      sp: 'r',
      sr: 'b',
      skoid: '11111111-2222-3333-4444-555555555555',
      sktid: '00000000-0000-0000-0000-000000000000',
      signed: true,
      expiresWithin: true,
    });
    expect(out.serverSide).toEqual({
      serverSide: true,
      bytes: 0,
      body: 'hello entra',
      metadata: { owner: 'me' },
    });
    expect(out.existsAfterDelete).toBe(false);
    expect(out.badAudience.code).toBe('Unauthenticated');
    expect(out.badAudience.leaksToken).toBe(false);
    expect(out.scopes).toEqual(['https://storage.azure.com/.default']);
  }, 120_000);
});
