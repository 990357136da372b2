/**
 * `serverSideCopyTo` between two azure backends on Azurite: `copy` and
 * `migrate` copy from the source blob URL when both are on one account and
 * endpoint, and stream otherwise.
 */
import { beforeAll, expect, it, vi } from 'vitest';
import { type AzureBackend, azure } from '../../../src/backends/azure/index.js';
import type { AzureOptions } from '../../../src/backends/azure/options.js';
import { memory } from '../../../src/backends/memory/index.js';
import { ForwardingBackend } from '../../../src/core/layer.js';
import { copy, copyObject, migrate } from '../../../src/migrate/index.js';
import { azuriteConnectionString } from '../../emulators/azurite.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { freshContainer, rawService } from './helpers.js';

const prefix = () => `ssc-${Math.random().toString(36).slice(2, 10)}/`;

describeWithEmulator(
  'azurite',
  'azure server-side copy between containers (serverSideCopyTo)',
  (endpoint) => {
    let containerA: string;
    let containerB: string;
    const make = (container: string, extra: Partial<AzureOptions> = {}): AzureBackend =>
      azure({ container, connectionString: azuriteConnectionString(endpoint), ...extra });
    beforeAll(async () => {
      containerA = await freshContainer(endpoint, 'ssc-a');
      containerB = await freshContainer(endpoint, 'ssc-b');
    });

    it('copy() across containers and prefixes copies in the service (sync and polled) and keeps headers and metadata', async () => {
      for (const syncCopyThreshold of ['256MiB', 0]) {
        const p = prefix();
        const from = make(containerA, { prefix: 'root-a', syncCopyThreshold });
        const to = make(containerB, { prefix: 'root-b' });
        await from.write(`${p}doc.txt`, 'server side', {
          contentType: 'text/x-test',
          metadata: { owner: 'me' },
          cacheControl: 'max-age=60',
        });
        const read = vi.spyOn(from, 'read');
        const stream = vi.spyOn(from, 'stream');
        const write = vi.spyOn(to, 'write');
        const outcome = await copyObject(from, `${p}doc.txt`, to, `${p}copy/doc.txt`);
        expect(outcome).toMatchObject({ serverSide: true, bytes: 0 });
        expect(read).not.toHaveBeenCalled();
        expect(stream).not.toHaveBeenCalled();
        expect(write).not.toHaveBeenCalled();
        expect(outcome.info).toMatchObject({ key: `${p}copy/doc.txt`, size: 11, contentType: 'text/x-test' });
        expect(Buffer.from(await to.read(`${p}copy/doc.txt`)).toString()).toBe('server side');
        expect(await to.stat(`${p}copy/doc.txt`)).toMatchObject({
          contentType: 'text/x-test',
          metadata: { owner: 'me' },
          cacheControl: 'max-age=60',
        });
        // Stored in the target's container under its prefix; the source stays.
        const raw = rawService(endpoint)
          .getContainerClient(containerB)
          .getBlobClient(`root-b/${p}copy/doc.txt`);
        expect(await raw.exists()).toBe(true);
        expect(await from.exists(`${p}doc.txt`)).toBe(true);
        expect(await to.exists(`${p}doc.txt`)).toBe(false);
      }
    });

    it('migrate() between containers moves no bytes', async () => {
      const p = prefix();
      const from = make(containerA);
      const to = make(containerB);
      for (let i = 0; i < 4; i++) {
        await from.write(`${p}src/f${i}.bin`, `body ${i}`, { metadata: { n: String(i) } });
      }
      const stream = vi.spyOn(from, 'stream');
      const read = vi.spyOn(from, 'read');
      const report = await migrate({
        from,
        to,
        prefix: `${p}src/`,
        targetPrefix: `${p}dst/`,
        verify: 'size',
      });
      expect(report).toMatchObject({ copied: 4, verified: 4, failed: [], bytes: 0 });
      expect(stream).not.toHaveBeenCalled();
      expect(read).not.toHaveBeenCalled();
      for (let i = 0; i < 4; i++) {
        expect(Buffer.from(await to.read(`${p}dst/f${i}.bin`)).toString()).toBe(`body ${i}`);
        expect((await to.stat(`${p}dst/f${i}.bin`)).metadata).toEqual({ n: String(i) });
      }
    });

    it('works with one injected client on both sides', async () => {
      const p = prefix();
      const client = rawService(endpoint);
      const from = azure({ container: containerA, client });
      const to = azure({ container: containerB, client });
      await from.write(`${p}a`, 'shared client');
      expect((await copyObject(from, `${p}a`, to, `${p}b`)).serverSide).toBe(true);
      expect(Buffer.from(await to.read(`${p}b`)).toString()).toBe('shared client');
    });

    it('honours ifNotExists across containers', async () => {
      const p = prefix();
      const from = make(containerA);
      const to = make(containerB);
      await from.write(`${p}a`, 'new');
      await to.write(`${p}taken`, 'old');
      await expect(copy(from, `${p}a`, to, `${p}taken`, { ifNotExists: true })).rejects.toMatchObject({
        code: 'AlreadyExists',
      });
      expect(Buffer.from(await to.read(`${p}taken`)).toString()).toBe('old');
      const outcome = await copyObject(from, `${p}a`, to, `${p}free`, { ifNotExists: true });
      expect(outcome.serverSide).toBe(true);
      expect(Buffer.from(await to.read(`${p}free`)).toString()).toBe('new');
    });

    it('reports a missing source as NotFound and an invalid key as InvalidKey', async () => {
      const from = make(containerA);
      const to = make(containerB);
      await expect(from.serverSideCopyTo(to, `${prefix()}missing`, 'x')).rejects.toMatchObject({
        code: 'NotFound',
      });
      await expect(from.serverSideCopyTo(to, '', 'x')).rejects.toMatchObject({ code: 'InvalidKey' });
    });

    it('declines (undefined) another endpoint, Entra ID without a shared credential, customer keys, other services and wrapped targets; copy() then streams', async () => {
      const p = prefix();
      const from = make(containerA);
      await from.write(`${p}a`, 'a');
      const otherHost = azuriteConnectionString(endpoint.replace('127.0.0.1', 'localhost'));
      const targets = [
        azure({ container: containerB, connectionString: otherHost }),
        make(containerB, { customerProvidedKey: Buffer.alloc(32, 7).toString('base64') }),
        new ForwardingBackend(make(containerB)),
        memory(),
      ];
      for (const target of targets) {
        expect(await from.serverSideCopyTo(target, `${p}a`, `${p}b`)).toBeUndefined();
      }
      // A source on Entra ID cannot sign a SAS; another credential object may be another identity.
      const token = { getToken: async () => ({ token: 'x', expiresOnTimestamp: Date.now() + 3_600_000 }) };
      const entraSource = azure({
        container: containerA,
        accountName: 'devstoreaccount1',
        endpoint: `${endpoint}/devstoreaccount1`,
        credential: token,
      });
      const entraTarget = azure({
        container: containerB,
        accountName: 'devstoreaccount1',
        endpoint: `${endpoint}/devstoreaccount1`,
        credential: { getToken: token.getToken },
      });
      expect(await entraSource.serverSideCopyTo(entraTarget, `${p}a`, `${p}b`)).toBeUndefined();
      expect(await entraSource.serverSideCopyTo(make(containerB), `${p}a`, `${p}b`)).toBeUndefined();

      const to = azure({ container: containerB, connectionString: otherHost });
      const outcome = await copyObject(from, `${p}a`, to, `${p}streamed`);
      expect(outcome).toMatchObject({ serverSide: false, bytes: 1 });
      expect(Buffer.from(await to.read(`${p}streamed`)).toString()).toBe('a');
    });
  },
);
