/**
 * Run by entra.test.ts in a child process started with
 * `NODE_EXTRA_CA_CERTS` (so it trusts the HTTPS Azurite's self-signed
 * certificate): drives the adapter with an Entra ID `TokenCredential` and
 * prints what happened as one JSON line.
 * Usage: `node --import tsx test/backends/azure/entra-child.ts <https endpoint>`
 */
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { azure } from '../../../src/backends/azure/index.js';
import type { TokenCredential } from '../../../src/backends/azure/options.js';
import { copyObject } from '../../../src/migrate/index.js';

const endpoint = process.argv[2]!;
const account = 'devstoreaccount1';

/** A JWT the emulator's "basic" OAuth accepts (it checks audience, issuer and lifetime, not the signature). */
function token(audience: string): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({
    aud: audience,
    iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/',
    iat: now - 60,
    nbf: now - 60,
    exp: now + 3600,
    oid: '11111111-2222-3333-4444-555555555555',
    tid: '00000000-0000-0000-0000-000000000000',
  })}.${randomBytes(32).toString('base64url')}`;
}

/** A credential as `@azure/identity` makes them, counting the scopes asked for. */
function credential(audience: string, scopes: string[]): TokenCredential {
  const jwt = token(audience);
  return {
    async getToken(scope: string | string[]) {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return { token: jwt, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

const scopes: string[] = [];
const good = credential('https://storage.azure.com', scopes);
const service = new BlobServiceClient(endpoint, good as never);
const containerA = `entra-a-${randomBytes(4).toString('hex')}`;
const containerB = `entra-b-${randomBytes(4).toString('hex')}`;
await service.getContainerClient(containerA).create();
await service.getContainerClient(containerB).create();

const backend = azure({ container: containerA, accountName: account, endpoint, credential: good });
const out: Record<string, unknown> = {};
const written = await backend.write('docs/a.txt', 'hello entra', {
  contentType: 'text/plain',
  metadata: { owner: 'me' },
});
out.written = { size: written.size, etag: typeof written.etag };
out.read = Buffer.from(await backend.read('docs/a.txt')).toString();
const stat = await backend.stat('docs/a.txt');
out.stat = { size: stat.size, contentType: stat.contentType, metadata: stat.metadata };
out.list = [];
for await (const entry of backend.list('docs/')) (out.list as string[]).push(entry.key);
const copied = await backend.copy('docs/a.txt', 'docs/b.txt');
out.copied = { size: copied.size, body: Buffer.from(await backend.read('docs/b.txt')).toString() };

// A user-delegation SAS, signed with the key the service hands to this identity. Azurite 3.35
// cannot check it: the SDK signs user-delegation SAS at version 2026-04-06, whose string-to-sign
// Azurite does not know (it answers 403), so only the URL's form is checked here.
const url = new URL((await backend.presign('docs/a.txt', { method: 'GET', expiresIn: '5m' })).url);
const q = (name: string) => url.searchParams.get(name);
out.presigned = {
  path: url.pathname,
  sp: q('sp'),
  sr: q('sr'),
  skoid: q('skoid'),
  sktid: q('sktid'),
  signed: (q('sig') ?? '').length > 0,
  expiresWithin: Date.parse(q('se') ?? '') - Date.now() <= 5 * 60_000 + 1000,
};

// Another container, same credential object: copied inside the service.
const other = azure({ container: containerB, accountName: account, endpoint, credential: good });
const outcome = await copyObject(backend, 'docs/a.txt', other, 'copied.txt');
out.serverSide = {
  serverSide: outcome.serverSide,
  bytes: outcome.bytes,
  body: Buffer.from(await other.read('copied.txt')).toString(),
  metadata: (await other.stat('copied.txt')).metadata,
};

await backend.delete('docs/a.txt');
out.existsAfterDelete = await backend.exists('docs/a.txt');

// A token for another audience is refused; the error must not carry the token.
const badToken = credential('https://example.invalid', []);
const bad = azure({ container: containerA, accountName: account, endpoint, credential: badToken });
const error = await bad.write('x.txt', 'x').catch((e: unknown) => e as Error & { code?: string });
const badJwt = (await badToken.getToken('x'))!.token;
out.badAudience = {
  code: (error as { code?: string } | undefined)?.code,
  leaksToken: JSON.stringify(error, Object.getOwnPropertyNames(error ?? {})).includes(badJwt.split('.')[1]!),
};
out.scopes = [...new Set(scopes)];
await Promise.all([backend.close(), other.close(), bad.close()]);
console.log(JSON.stringify(out));
