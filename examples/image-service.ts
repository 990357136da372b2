/**
 * An image service (seed 004): uploads guarded by size and content type,
 * presigned download and direct-upload URLs, and storage statistics by type.
 *
 *   STOWAGE_EXAMPLE_S3_ENDPOINT=http://127.0.0.1:5000 npx tsx examples/image-service.ts
 *
 * Without an endpoint it runs on local disk, where presigned URLs are not
 * available (the example says so and carries on).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStorageError, layer, type StorageBackend, stats } from 'stowage';
import { local } from 'stowage/local';
import { guard, observe } from 'stowage/middleware';

async function openBucket(): Promise<{ storage: StorageBackend; cleanup: () => Promise<void> }> {
  const endpoint = process.env.STOWAGE_EXAMPLE_S3_ENDPOINT;
  if (!endpoint) {
    const root = await mkdtemp(join(tmpdir(), 'images-'));
    return { storage: local({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
  }
  const { s3 } = await import('stowage/s3');
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const bucket = `images-${Date.now()}`;
  const admin = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  admin.destroy();
  const storage = s3({
    bucket,
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return { storage, cleanup: async () => {} };
}

const { storage: bucket, cleanup } = await openBucket();
// Only images, at most 5 MiB each; every operation logged (no secrets in events).
const images = layer(
  bucket,
  observe({
    onEvent: (e) => console.log(`  [${e.op}] ${e.key ?? ''} ${e.ok ? 'ok' : e.code} ${e.ms.toFixed(1)} ms`),
  }),
  guard({ maxSize: '5MiB', contentTypes: ['image/*'] }),
);

/** Stores an upload under products/<id>/<variant>.<ext> and returns its key. */
async function uploadImage(
  productId: string,
  variant: string,
  data: Uint8Array,
  contentType: string,
): Promise<string> {
  const ext = contentType.split('/')[1]?.replace('jpeg', 'jpg') ?? 'bin';
  const key = `products/${productId}/${variant}.${ext}`;
  await images.write(key, data, { contentType, metadata: { 'product-id': productId, variant } });
  return key;
}

try {
  const jpeg = new Uint8Array(2048).fill(0xff);
  const png = new Uint8Array(4096).fill(0x89);
  console.log('uploads:');
  await uploadImage('p-1', 'original', jpeg, 'image/jpeg');
  await uploadImage('p-1', 'thumb-200', png, 'image/png');
  await uploadImage('p-2', 'original', jpeg, 'image/jpeg');

  for (const [what, attempt] of [
    ['a PDF', () => images.write('products/p-1/manual.pdf', 'pdf', { contentType: 'application/pdf' })],
    [
      'a 6 MiB image',
      () =>
        images.write('products/p-1/huge.jpg', new Uint8Array(6 * 1024 * 1024), { contentType: 'image/jpeg' }),
    ],
  ] as const) {
    try {
      await attempt();
      console.log(`guard let ${what} through (unexpected)`);
      process.exitCode = 1;
    } catch (e) {
      if (!isStorageError(e)) throw e;
      console.log(`guard refused ${what}: ${e.code}`);
    }
  }

  try {
    const download = await images.presign('products/p-1/original.jpg', { method: 'GET', expiresIn: '1h' });
    const got = await fetch(download.url, { headers: download.headers });
    console.log('presigned download:', got.status, (await got.arrayBuffer()).byteLength, 'bytes');
    const upload = await images.presign('products/p-3/original.jpg', {
      method: 'PUT',
      expiresIn: '10m',
      contentType: 'image/jpeg',
    });
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: jpeg });
    console.log(
      'presigned direct upload:',
      put.status,
      (await images.stat('products/p-3/original.jpg')).size,
      'bytes stored',
    );
  } catch (e) {
    if (!isStorageError(e, 'Unsupported')) throw e;
    console.log(`presigned URLs: not available on ${bucket.kind}`);
  }

  const usage = await stats(images, 'products/');
  console.log(`stats: ${usage.objects} images, ${usage.bytes} bytes`);
  for (const [ext, v] of Object.entries(usage.byExtension))
    console.log(`  .${ext}: ${v.objects} objects, ${v.bytes} bytes`);
} finally {
  await images.close();
  await cleanup();
}
