/**
 * Logging every storage operation to the console with `observe`.
 *
 *   npx tsx examples/observe-console.ts
 *
 * One line per operation: what, which key, how long, how many bytes, and the
 * error code when it failed. Events never carry a secret (no presigned URL,
 * no body, no error message), so they are safe to ship to a log service.
 */
import { isStorageError, layer } from 'stowage';
import { memory } from 'stowage/memory';
import { type ObserveEvent, observe, retry } from 'stowage/middleware';

function logLine(e: ObserveEvent): void {
  const target = e.to === undefined ? (e.key ?? '') : `${e.key} -> ${e.to}`;
  const size = e.bytes === undefined ? '' : ` ${e.bytes}B`;
  const count = e.count === undefined ? '' : ` ${e.count} ${e.op === 'list' ? 'entries' : 'deleted'}`;
  const outcome = e.ok ? 'ok' : `FAILED ${e.code}`;
  const line = `[storage] ${e.backend} ${e.op.padEnd(7)} ${target}${size}${count} ${e.ms.toFixed(2)}ms ${outcome}`;
  if (e.ok) console.log(line);
  else console.warn(line);
}

// Outermost, so each line is one call of this program (retries included in `ms`).
const storage = layer(memory(), observe({ onEvent: logLine }), retry());

await storage.write('reports/2024.csv', 'year,total\n2024,42\n', { contentType: 'text/csv' });
await storage.read('reports/2024.csv');
await storage.copy('reports/2024.csv', 'archive/2024.csv');
const stream = await storage.stream('archive/2024.csv');
for await (const _chunk of stream) {
  // a stream is logged when it ends, with the bytes delivered
}
for await (const _entry of storage.list('reports/')) {
  // a listing is logged when the loop ends
}
try {
  await storage.read('missing.txt');
} catch (e) {
  if (!isStorageError(e, 'NotFound')) throw e;
}
await storage.deleteMany(['reports/2024.csv', 'archive/2024.csv']);
