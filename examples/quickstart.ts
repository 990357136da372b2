/**
 * Quick start: the embedded default (local disk), no cloud account needed.
 *
 *   npm run quickstart
 *
 * Writes a few objects under ./.stowage-quickstart, streams one back, lists,
 * counts by extension, copies everything into memory, and cleans up.
 */
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createStorage, isStorageError, layer, stats } from 'stowage';
import { memory } from 'stowage/memory';

const root = new URL('../.stowage-quickstart/', import.meta.url);

// Any backend from a URL or a path: './data', 's3://bucket/prefix', 'gs://bucket', 'az://account/container'.
const storage = await createStorage(root.pathname);

await storage.write('notes/hello.txt', 'Hello, stowage!', { contentType: 'text/plain' });
await storage.write('notes/data.json', JSON.stringify({ answer: 42 }), { metadata: { owner: 'quickstart' } });
// Streams of unknown length are written without buffering them whole.
await storage.write('logs/app.log', Readable.from(['line 1\n', 'line 2\n'].map((s) => Buffer.from(s))));

console.log('read:', new TextDecoder().decode(await storage.read('notes/hello.txt')));
console.log(
  'range:',
  new TextDecoder().decode(await storage.read('notes/hello.txt', { range: { offset: 7, length: 7 } })),
);

for await (const entry of storage.list('', { recursive: false })) console.log('list:', entry.type, entry.key);

const info = await storage.stat('notes/data.json');
console.log('stat:', info.size, 'bytes,', info.contentType, info.metadata);

try {
  await storage.read('missing.txt');
} catch (e) {
  if (isStorageError(e, 'NotFound')) console.log('missing.txt: NotFound, as expected');
  else throw e;
}

const usage = await stats(storage);
console.log('stats:', usage.objects, 'objects,', usage.bytes, 'bytes, by extension', usage.byExtension);

// Copy everything into an in-memory backend, e.g. for a test fixture.
const mirror = layer(memory());
for await (const entry of storage.list()) {
  if (entry.type === 'object')
    await mirror.write(entry.key, await storage.stream(entry.key), { size: entry.size });
}
console.log('mirrored:', (await stats(mirror)).objects, 'objects into memory');

await storage.close();
await rm(root, { recursive: true, force: true });
console.log('done');
