/** Test data for the migrate benchmark: many small files, or one large one. */
import { randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `count` files of `bytes` random bytes under `root`, 1,000 per directory. */
export async function writeFiles(root: string, count: number, bytes: number): Promise<void> {
  const body = randomFillSync(Buffer.alloc(bytes));
  for (let start = 0; start < count; start += 1000) {
    const dir = join(root, `d${String(start / 1000).padStart(4, '0')}`);
    await mkdir(dir, { recursive: true });
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      batch.push(writeFile(join(dir, `f${String(i).padStart(7, '0')}.bin`), body));
    }
    await Promise.all(batch);
  }
}

/** One file of `bytes` random bytes, written 1 MiB at a time. */
export async function writeBig(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(1 << 20);
  for (let done = 0; done < bytes; done += chunk.length) {
    randomFillSync(chunk);
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - done));
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error) => (e ? reject(e) : resolve())));
}
