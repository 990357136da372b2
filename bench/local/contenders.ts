/**
 * The contenders of the local benchmark, behind one small interface: the
 * stowage local backend, raw `node:fs` with 1 MiB stream buffers, OpenDAL's
 * `fs` service (Node binding) and FlyDrive's FS driver.
 */
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** One way of storing files, as the benchmark drives it. */
export interface Contender {
  /** Streams `body` into `key`. */
  writeStream(key: string, body: Readable): Promise<void>;
  /** Opens `key` as a stream. */
  readStream(key: string): Promise<Readable>;
  /** Writes small bytes to `key`. */
  writeBytes(key: string, bytes: Buffer): Promise<void>;
  /** Reads `key` whole. */
  readBytes(key: string): Promise<Uint8Array>;
}

/** Names of the contenders, in table order. */
export const CONTENDERS = ['stowage local', 'raw node:fs', 'opendal fs', 'flydrive fs'] as const;
/** One of {@link CONTENDERS}. */
export type ContenderName = (typeof CONTENDERS)[number];

const MIB = 1024 * 1024;

/** Builds a contender rooted at `root` (an existing empty directory). */
export async function makeContender(name: ContenderName, root: string): Promise<Contender> {
  switch (name) {
    case 'stowage local': {
      const { local } = await import('../../src/backends/local/index.js');
      const storage = local({ root });
      return {
        writeStream: async (key, body) => {
          await storage.write(key, body);
        },
        readStream: (key) => storage.stream(key),
        writeBytes: async (key, bytes) => {
          await storage.write(key, bytes);
        },
        readBytes: (key) => storage.read(key),
      };
    }
    case 'raw node:fs': {
      // What a careful hand-written version does: 1 MiB stream buffers, mkdir -p once per folder.
      const made = new Set<string>();
      const ensure = (path: string) => {
        const dir = dirname(path);
        if (!made.has(dir)) {
          mkdirSync(dir, { recursive: true });
          made.add(dir);
        }
        return path;
      };
      return {
        writeStream: (key, body) =>
          pipeline(body, createWriteStream(ensure(join(root, key)), { highWaterMark: MIB })),
        readStream: async (key) => createReadStream(join(root, key), { highWaterMark: MIB }),
        writeBytes: (key, bytes) => writeFile(ensure(join(root, key)), bytes),
        readBytes: (key) => readFile(join(root, key)),
      };
    }
    case 'opendal fs': {
      const { Operator } = await import('opendal');
      const op = new Operator('fs', { root });
      return {
        writeStream: async (key, body) => {
          const writer = await op.writer(key);
          await pipeline(body, writer.createWriteStream({ highWaterMark: MIB }));
        },
        readStream: async (key) => (await op.reader(key)).createReadStream({ highWaterMark: MIB }),
        writeBytes: async (key, bytes) => {
          await op.write(key, bytes);
        },
        readBytes: (key) => op.read(key),
      };
    }
    case 'flydrive fs': {
      const { FSDriver } = await import('flydrive/drivers/fs');
      const driver = new FSDriver({ location: root, visibility: 'public' });
      return {
        writeStream: (key, body) => driver.putStream(key, body),
        readStream: (key) => driver.getStream(key),
        writeBytes: (key, bytes) => driver.put(key, bytes),
        readBytes: (key) => driver.getBytes(key),
      };
    }
  }
}
