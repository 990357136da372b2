/**
 * A multi-tenant document store with client-side encryption: one keyring,
 * one key per tenant derived with HKDF, each tenant confined to its prefix,
 * key rotation without re-encrypting anything, and a plaintext cache in
 * memory in front.
 *
 *   npx tsx examples/encrypted-tenant-store.ts
 *
 * In production the master keys come from a secret manager (or use the KMS
 * hook, `encryption({ kms: { wrap, unwrap } })`), and the backend is s3(),
 * gcs(), azure() or local().
 */
import { randomBytes } from 'node:crypto';
import { isStorageError, layer, type StorageBackend } from 'stowage';
import { memory } from 'stowage/memory';
import { cache, encryption, scope } from 'stowage/middleware';

const bucket = memory(); // stands in for s3({ bucket: 'documents' })
const keyring: Record<string, Uint8Array> = { '2025-01': randomBytes(32) };
let currentKey = '2025-01';

/** The store one tenant sees: its own prefix, its own derived key, a small plaintext cache. */
function tenantStore(tenant: string): StorageBackend {
  return layer(
    bucket,
    cache({ maxSize: '64MiB', ttl: '5m' }), // outermost: hits skip the request and the decryption
    scope(`tenants/${tenant}`), // keys cannot escape the tenant's prefix
    encryption({ keys: keyring, currentKey }, { tenant, chunkSize: '64KiB' }),
  );
}

const acme = tenantStore('acme');
const globex = tenantStore('globex');

const contract = Buffer.from('Acme and Example Corp agree that... '.repeat(5000));
await acme.write('contracts/2025.txt', contract, { contentType: 'text/plain', metadata: { owner: 'legal' } });

// stat() and listings report the plaintext size, from metadata alone.
const info = await acme.stat('contracts/2025.txt');
console.log(
  `acme stat: ${info.size} bytes (plaintext ${contract.length}), ${info.contentType}, owner=${info.metadata.owner}`,
);
const stored = await bucket.stat('tenants/acme/contracts/2025.txt');
console.log(`in the bucket: ${stored.size} bytes of ciphertext`);

// A range read fetches and decrypts only the chunks it touches.
const excerpt = await acme.read('contracts/2025.txt', { range: { offset: 100_000, length: 36 } });
console.log(`acme excerpt: ${JSON.stringify(Buffer.from(excerpt).toString())}`);

// Another tenant cannot read acme's object, even given the raw key in the bucket:
// its derived key does not unwrap acme's data key.
const asGlobex = layer(bucket, encryption({ keys: keyring, currentKey }, { tenant: 'globex' }));
try {
  await asGlobex.read('tenants/acme/contracts/2025.txt');
} catch (e) {
  if (!isStorageError(e, 'IntegrityError')) throw e;
  console.log(`globex reading acme's object: ${e.code}`);
}
let globexObjects = 0;
for await (const _entry of globex.list('')) globexObjects++;
console.log(`globex sees ${globexObjects} objects of its own`);

// Rotation: a new current key; objects written under the old one stay readable.
keyring['2026-01'] = randomBytes(32);
currentKey = '2026-01';
const acmeAfterRotation = tenantStore('acme');
await acmeAfterRotation.write('contracts/2026.txt', 'signed under the new key');
const old = await acmeAfterRotation.read('contracts/2025.txt');
console.log(
  `after rotation: old object still reads (${old.byteLength} bytes), new one written with key 2026-01`,
);

// Tampering with the ciphertext is detected.
const raw = Buffer.from(await bucket.read('tenants/acme/contracts/2026.txt'));
raw[raw.length - 20] = (raw[raw.length - 20] ?? 0) ^ 1;
await bucket.write('tenants/acme/contracts/2026.txt', raw, {
  metadata: (await bucket.stat('tenants/acme/contracts/2026.txt')).metadata,
});
try {
  await tenantStore('acme').read('contracts/2026.txt');
} catch (e) {
  if (!isStorageError(e, 'IntegrityError')) throw e;
  console.log(`tampered object: ${e.code}`);
}
