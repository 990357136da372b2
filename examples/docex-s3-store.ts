/**
 * A DocEX-style document store (seed 002): the S3 backend built from a config
 * dictionary, with a key prefix per basket, server-side encryption (SSE-S3,
 * SSE-KMS or SSE-C) and a storage class, retries, and presigned download URLs.
 *
 *   STOWAGE_EXAMPLE_S3_ENDPOINT=http://127.0.0.1:5000 npx tsx examples/docex-s3-store.ts
 *
 * Without an endpoint it runs the same code against local disk (where
 * encryption, storage classes and presigning are not available, and says so).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, isStorageError, layer, type StorageBackend, type StorageConfig } from 'stowage';
import { retry, scope } from 'stowage/middleware';

// What an application reads from its YAML/JSON settings.
const settings = {
  storage: {
    type: 's3',
    s3: {
      bucket: `docex-${Date.now()}`,
      prefix: 'docex/',
      region: 'us-east-1',
      storage_class: 'STANDARD_IA',
      encryption: { type: 'SSE-S3' as const },
      max_retries: 3,
    },
  },
};

async function createDocumentStore(): Promise<{
  storage: StorageBackend;
  cloud: boolean;
  cleanup: () => Promise<void>;
}> {
  const endpoint = process.env.STOWAGE_EXAMPLE_S3_ENDPOINT;
  const s = settings.storage.s3;
  if (!endpoint) {
    const root = await mkdtemp(join(tmpdir(), 'docex-'));
    const storage = await createStorage({ backend: 'local', root: join(root, s.prefix) });
    return { storage, cloud: false, cleanup: () => rm(root, { recursive: true, force: true }) };
  }
  // An emulator needs a bucket; a real deployment has one already.
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const admin = new S3Client({ endpoint, region: s.region, forcePathStyle: true, credentials });
  await admin.send(new CreateBucketCommand({ Bucket: s.bucket }));
  admin.destroy();
  const config: StorageConfig = {
    backend: 's3',
    bucket: s.bucket,
    prefix: s.prefix,
    region: s.region,
    endpoint,
    forcePathStyle: true,
    credentials, // in production: leave out and use the AWS default chain (IAM role, profile, env)
    storageClass: s.storage_class,
    encryption: s.encryption,
  };
  return { storage: await createStorage(config), cloud: true, cleanup: async () => {} };
}

const { storage: base, cloud, cleanup } = await createDocumentStore();
const store = layer(base, retry({ retries: settings.storage.s3.max_retries }));

try {
  // One prefix per basket: scope() confines each basket's view.
  const invoices = scope('baskets/invoices/')(store);
  await invoices.write('2026/inv-001.pdf', new Uint8Array([0x25, 0x50, 0x44, 0x46]), {
    metadata: { customer: 'acme', 'document-type': 'invoice' },
  });
  const info = await invoices.stat('2026/inv-001.pdf');
  console.log(
    'stored',
    info.key,
    info.size,
    'bytes',
    info.contentType,
    info.metadata,
    info.storageClass ?? '',
  );
  console.log('exists:', await invoices.exists('2026/inv-001.pdf'));
  for await (const entry of store.list('baskets/', { recursive: false })) console.log('basket:', entry.key);

  try {
    const url = await invoices.presign('2026/inv-001.pdf', { method: 'GET', expiresIn: '15m' });
    const response = await fetch(url.url, { headers: url.headers });
    console.log('presigned download:', response.status, (await response.arrayBuffer()).byteLength, 'bytes');
  } catch (e) {
    if (!isStorageError(e, 'Unsupported')) throw e;
    console.log('presign: not available on', base.kind, '(use S3, GCS or Azure)');
  }
  console.log(cloud ? 'ran against S3' : 'ran against local disk');
} finally {
  await store.close();
  await cleanup();
}
