/**
 * V4 signed URLs. fake-gcs-server does not check signatures, so besides
 * fetching through the emulator, each signature is verified here against the
 * public half of a key pair generated for this run — what GCS itself checks.
 */
import { createHash, createPublicKey, createVerify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GcsBackend, gcs } from '../../../src/backends/gcs/index.js';
import { isStorageError } from '../../../src/core/errors.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { fakeServiceAccount, freshBucket } from './helpers.js';

/** Rebuilds the V4 string-to-sign of a signed URL and checks its signature. */
function verifyV4(signedUrl: string, method: string, headers: Record<string, string>): boolean {
  const url = new URL(signedUrl);
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Goog-Signature');
  const encode = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = params
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signedHeaders = url.searchParams.get('X-Goog-SignedHeaders')!.split(';');
  const all: Record<string, string> = { host: url.hostname, ...headers };
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${all[h]}\n`).join('');
  const canonicalRequest = [
    method,
    url.pathname,
    query,
    canonicalHeaders,
    signedHeaders.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = url.searchParams.get('X-Goog-Credential')!.split('/').slice(1).join('/');
  const stringToSign = [
    'GOOG4-RSA-SHA256',
    url.searchParams.get('X-Goog-Date'),
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const publicKey = createPublicKey(fakeServiceAccount().private_key!);
  return createVerify('RSA-SHA256')
    .update(stringToSign)
    .verify(publicKey, url.searchParams.get('X-Goog-Signature')!, 'hex');
}

describeWithEmulator('gcs', 'gcs signed URLs', (endpoint) => {
  let backend: GcsBackend;
  let bucket: string;
  beforeAll(async () => {
    bucket = await freshBucket(endpoint, 'presign');
    backend = gcs({ bucket, apiEndpoint: endpoint, prefix: 'signed', credentials: fakeServiceAccount() });
  });

  it('signs a GET URL that GCS would accept and that downloads the object', async () => {
    await backend.write('dir/a file.txt', 'hello');
    const before = Date.now();
    const request = await backend.presign('dir/a file.txt', { method: 'GET', expiresIn: '10m' });
    const url = new URL(request.url);
    expect(url.pathname).toBe(`/${bucket}/signed/dir/a%20file.txt`);
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(url.searchParams.get('X-Goog-Expires')).toBe('600');
    expect(url.searchParams.get('X-Goog-Credential')).toMatch(
      /^stowage-test@stowage-test\.iam\.gserviceaccount\.com\//,
    );
    expect(request.expiresAt.getTime() - before).toBeGreaterThan(590_000);
    expect(verifyV4(request.url, 'GET', request.headers)).toBe(true);
    const response = await fetch(request.url);
    expect(await response.text()).toBe('hello');
  });

  it('signs a PUT URL bound to a content type', async () => {
    const request = await backend.presign('up.bin', {
      method: 'PUT',
      expiresIn: 300,
      contentType: 'image/png',
    });
    expect(request.headers).toEqual({ 'content-type': 'image/png' });
    expect(new URL(request.url).searchParams.get('X-Goog-SignedHeaders')).toBe('content-type;host');
    expect(verifyV4(request.url, 'PUT', request.headers)).toBe(true);
    expect(verifyV4(request.url, 'PUT', { 'content-type': 'text/html' })).toBe(false);
    const response = await fetch(request.url, { method: 'PUT', headers: request.headers, body: 'png!' });
    expect(response.status).toBe(200);
    expect(Buffer.from(await backend.read('up.bin')).toString()).toBe('png!');
  });

  it('says clearly when the credentials cannot sign, without leaking them', async () => {
    const anonymous = gcs({ bucket, apiEndpoint: endpoint });
    const noKey = await anonymous.presign('k', { method: 'GET', expiresIn: 60 }).catch((e) => e);
    expect(isStorageError(noKey, 'InvalidConfig')).toBe(true);
    expect(noKey.message).toMatch(/cannot sign URLs.*private_key/);

    const user = gcs({
      bucket,
      apiEndpoint: endpoint,
      credentials: {
        type: 'authorized_user',
        client_id: 'id',
        client_secret: 'very-secret-value',
        refresh_token: 'r',
      },
    });
    const userError = await user.presign('k', { method: 'PUT', expiresIn: 60 }).catch((e) => e);
    expect(isStorageError(userError, 'InvalidConfig')).toBe(true);
    expect(userError.message).toMatch(/authorized_user.*no private key/);
    expect(JSON.stringify(userError.toJSON())).not.toContain('very-secret-value');
  });
});

describe('gcs signed URL options', () => {
  it('rejects lifetimes over 7 days before signing', async () => {
    const backend = gcs({ bucket: 'any-bucket', credentials: fakeServiceAccount() });
    const error = await backend.presign('k', { method: 'GET', expiresIn: '8d' }).catch((e) => e);
    expect(isStorageError(error, 'InvalidArgument')).toBe(true);
  });
});
