/** Whole-object reads: sizes around the first-read buffer, reuse of that buffer, descriptors. */
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fresh } from './helpers.js';

/** Bytes that differ per object and per position, so a mix-up between reads shows. */
function pattern(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

/** Open descriptors of this process that point under `dir` (Linux). */
function openFdsUnder(dir: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) count++;
    } catch {
      // closed while we looked
    }
  }
  return count;
}

describe('local: whole-object reads', () => {
  it('reads objects of every size around the 64 KiB first read byte-exact', async () => {
    const { storage } = fresh();
    const sizes = [0, 1, 4095, 4096, 65535, 65536, 65537, 200_000];
    for (const [i, size] of sizes.entries()) await storage.write(`s/${size}`, pattern(size, i));
    for (const [i, size] of sizes.entries()) {
      const bytes = await storage.read(`s/${size}`);
      expect(bytes.byteLength).toBe(size);
      expect(Buffer.from(bytes).equals(pattern(size, i))).toBe(true);
    }
  });

  it('returns bytes that own their memory exactly (no shared or oversized buffer)', async () => {
    const { storage } = fresh();
    await storage.write('small.bin', pattern(4096, 1));
    await storage.write('tiny.bin', pattern(10, 2));
    for (const key of ['small.bin', 'tiny.bin']) {
      const bytes = await storage.read(key);
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
    }
  });

  it('keeps concurrent reads apart while reusing read buffers', async () => {
    const { storage } = fresh();
    const count = 64;
    for (let i = 0; i < count; i++) await storage.write(`c/${i}`, pattern(1000 + i * 100, i));
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(Array.from({ length: count }, (_, i) => storage.read(`c/${i}`)));
      results.forEach((bytes, i) => {
        expect(Buffer.from(bytes).equals(pattern(1000 + i * 100, i))).toBe(true);
      });
    }
  });

  it('closes its descriptors on success and on failure', async () => {
    const { root, storage } = fresh();
    await storage.write('a.txt', 'a');
    writeFileSync(join(root, 'plain.txt'), 'written by another program');
    for (let i = 0; i < 50; i++) {
      await storage.read('a.txt');
      await storage.read('plain.txt');
      await expect(storage.read('missing.txt')).rejects.toMatchObject({ code: 'NotFound' });
    }
    expect(openFdsUnder(root)).toBe(0);
  });
});
