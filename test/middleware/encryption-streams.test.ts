import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { ReadOptions, StorageBackend } from '../../src/core/backend.js';
import { collect } from '../../src/core/body.js';
import { type Capabilities, defineCapabilities } from '../../src/core/capabilities.js';
import { ForwardingBackend } from '../../src/core/layer.js';
import { encryption } from '../../src/middleware/encryption.js';
import { DecryptStream, EncryptStream } from '../../src/middleware/encryption/chunks.js';
import { encodeHeader } from '../../src/middleware/encryption/format.js';

const MiB = 2 ** 20;
const k1 = randomBytes(32);

/** A memory backend that declares fewer capabilities than it has. */
class Limited extends ForwardingBackend {
  readonly reads: ReadOptions[] = [];
  constructor(
    next: StorageBackend,
    private readonly limits: Partial<Capabilities>,
  ) {
    super(next);
  }
  override get capabilities(): Capabilities {
    return defineCapabilities({ ...this.next.capabilities, ...this.limits });
  }
  override read(key: string, options?: ReadOptions) {
    this.reads.push(options ?? {});
    return super.read(key, options);
  }
}

/** Streams `count` chunks of `size` bytes through `transform`, consuming slowly; returns the most it held. */
async function peakBuffered(
  transform: EncryptStream | DecryptStream,
  source: Iterable<Buffer>,
): Promise<number> {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, transform.readableLength + transform.writableLength);
  };
  await pipeline(
    Readable.from(source, { objectMode: false }),
    transform,
    new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        sample();
        setImmediate(callback);
      },
    }),
  );
  return peak;
}

describe('encryption: streams', () => {
  it('holds a bounded amount in each direction, whatever the length', async () => {
    const header = encodeHeader({
      chunkSize: 64 * 1024,
      noncePrefix: randomBytes(7),
      keyId: 'k',
      wrappedKey: randomBytes(60),
    });
    const dataKey = randomBytes(32);
    const piece = randomBytes(MiB);
    const sealed: Buffer[] = [];
    const encrypting = new EncryptStream({ header, dataKey });
    encrypting.on('data', (c: Buffer) => sealed.push(c));
    const peakIn = await peakBuffered(new EncryptStream({ header, dataKey }), Array(24).fill(piece));
    await pipeline(Readable.from(Array(24).fill(piece), { objectMode: false }), encrypting);
    const peakOut = await peakBuffered(
      new DecryptStream({ source: { resolve: async () => dataKey } }),
      (function* () {
        // Re-chunk the ciphertext into 1 MiB pieces.
        const all = Buffer.concat(sealed);
        for (let i = 0; i < all.length; i += MiB) yield all.subarray(i, i + MiB);
      })(),
    );
    // 24 MiB went through; each side held about one input piece plus a few chunks.
    expect(peakIn).toBeLessThan(3 * MiB);
    expect(peakOut).toBeLessThan(3 * MiB);
  });

  it('round-trips a body streamed one byte at a time and read back in odd ranges', async () => {
    const storage = encryption({ keys: { k1 }, currentKey: 'k1' }, { chunkSize: '1KiB' })(memory());
    const data = randomBytes(3000);
    await storage.write('one-byte', Readable.from([...data].map((b) => Buffer.from([b]))));
    expect(Buffer.from(await storage.read('one-byte')).equals(data)).toBe(true);
    for (const [offset, length] of [
      [0, 3000],
      [1023, 1],
      [1024, 1024],
      [2999, 5],
    ] as const) {
      const got = await storage.read('one-byte', { range: { offset, length } });
      expect(Buffer.from(got).equals(data.subarray(offset, offset + length))).toBe(true);
    }
  });

  it('works over a backend without metadata or range reads', async () => {
    const inner = new Limited(memory(), { metadata: false, rangeRead: false });
    const storage = encryption({ keys: { k1 }, currentKey: 'k1' }, { chunkSize: '1KiB' })(inner);
    const data = randomBytes(5000);
    await storage.write('plain-meta', data);
    // No marker in metadata: the size comes from the header's first 12 bytes.
    expect((await storage.stat('plain-meta')).size).toBe(5000);
    const listed = [];
    for await (const e of storage.list('')) if (e.type === 'object') listed.push(e.size);
    expect(listed).toEqual([5000]);
    expect(storage.capabilities.rangeRead).toBe(true);
    const got = await collect(await storage.stream('plain-meta', { range: { offset: 2000, length: 100 } }));
    expect(Buffer.from(got).equals(data.subarray(2000, 2100))).toBe(true);
  });
});

describe('encryption: argument checks', () => {
  it('rejects options that are not objects with InvalidArgument', async () => {
    const storage = encryption({ keys: { k1 }, currentKey: 'k1' })(memory());
    await storage.write('a', 'x');
    for (const call of [
      () => storage.write('a', 'x', null as never),
      () => storage.read('a', null as never),
      () => storage.stream('a', 5 as never),
      () => storage.copy('a', 'b', 'nope' as never),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'InvalidArgument' });
    }
  });
});
