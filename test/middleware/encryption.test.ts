import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ReadOptions, StorageBackend } from '../../src/core/backend.js';
import { collect } from '../../src/core/body.js';
import { isStorageError } from '../../src/core/errors.js';
import { ForwardingBackend, layer } from '../../src/core/layer.js';
import { memory } from '../../src/backends/memory/index.js';
import { encryption } from '../../src/middleware/encryption.js';

const CHUNK = 1024;
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const prefix = () => `t-${randomBytes(4).toString('hex')}/`;

function setup(opts: { tenant?: string; keys?: Record<string, Uint8Array>; currentKey?: string } = {}) {
  const inner = memory();
  const keys = opts.keys ?? { k1 };
  const storage = layer(
    inner,
    encryption({ keys, currentKey: opts.currentKey ?? 'k1' }, { chunkSize: CHUNK, tenant: opts.tenant }),
  );
  return { inner, storage };
}

async function expectCode(p: Promise<unknown>, code: string) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isStorageError(e), `expected ${code}, got ${String(e)}`).toBe(true);
  expect((e as { code: string }).code).toBe(code);
}

/** Rewrites the stored ciphertext of `key` through `edit`, keeping its metadata. */
async function tamper(inner: StorageBackend, key: string, edit: (b: Buffer) => Buffer) {
  const info = await inner.stat(key);
  const raw = Buffer.from(await inner.read(key));
  await inner.write(key, edit(raw), { metadata: info.metadata });
}

const headerLength = async (inner: StorageBackend, key: string) =>
  Buffer.from(await inner.read(key, { range: { offset: 0, length: 8 } })).readUInt16BE(6);

describe('encryption: round trips', () => {
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17]) {
    it(`round-trips ${size} bytes as bytes and as a stream of unknown length`, async () => {
      const { inner, storage } = setup();
      const key = `${prefix()}obj`;
      const data = randomBytes(size);
      const info = await storage.write(key, data, { contentType: 'text/plain', metadata: { a: 'b' } });
      expect(info.size).toBe(size);
      expect(Buffer.from(await storage.read(key)).equals(data)).toBe(true);
      expect(Buffer.from(await collect(await storage.stream(key))).equals(data)).toBe(true);
      // The stored bytes are not the plaintext.
      const raw = Buffer.from(await inner.read(key));
      if (size > 8) expect(raw.includes(data.subarray(0, 8))).toBe(false);
      // Streamed in odd pieces, length unknown.
      const pieces = [];
      for (let i = 0; i < size; i += 333) pieces.push(data.subarray(i, i + 333));
      const key2 = `${key}-stream`;
      const streamed = await storage.write(key2, Readable.from(pieces));
      expect(streamed.size).toBe(size);
      expect(Buffer.from(await storage.read(key2)).equals(data)).toBe(true);
      const stat = await storage.stat(key);
      expect(stat.size).toBe(size);
      expect(stat.contentType).toBe('text/plain');
      expect(stat.metadata).toEqual({ a: 'b' });
    });
  }

  it('reports plaintext sizes in listings without reading objects', async () => {
    const { inner, storage } = setup();
    const p = prefix();
    await storage.write(`${p}a`, randomBytes(5000));
    await storage.write(`${p}b`, Readable.from([randomBytes(100), randomBytes(3000)]));
    let reads = 0;
    const listed = [];
    const wrapped = layer(
      new (class extends ForwardingBackend {
        override read(key: string, o?: ReadOptions) {
          reads++;
          return super.read(key, o);
        }
      })(inner),
      encryption({ keys: { k1 }, currentKey: 'k1' }, { chunkSize: CHUNK }),
    );
    for await (const e of wrapped.list(p)) if (e.type === 'object') listed.push([e.key, e.size, e.metadata]);
    expect(listed).toEqual([
      [`${p}a`, 5000, {}],
      [`${p}b`, 3100, {}],
    ]);
    expect(reads).toBe(0);
    expect((await storage.stat(`${p}b`)).checksums).toBeUndefined();
  });

  it('checks the declared size of a streamed body and stores nothing on mismatch', async () => {
    const { storage } = setup();
    const key = `${prefix()}x`;
    await expectCode(storage.write(key, Readable.from([randomBytes(10)]), { size: 11 }), 'IntegrityError');
    expect(await storage.exists(key)).toBe(false);
  });

  it('reports plaintext progress ending at the size', async () => {
    const { storage } = setup();
    const key = `${prefix()}x`;
    const events: number[] = [];
    await storage.write(key, Readable.from([randomBytes(3000), randomBytes(500)]), {
      onProgress: (p) => events.push(p.loaded),
    });
    expect(events.at(-1)).toBe(3500);
    const readEvents: number[] = [];
    await collect(await storage.stream(key, { onProgress: (p) => readEvents.push(p.loaded) }));
    expect(readEvents.at(-1)).toBe(3500);
  });

  it('keeps the marker when copy replaces metadata, and refuses presign and the reserved key', async () => {
    const { storage } = setup();
    const p = prefix();
    const data = randomBytes(2500);
    await storage.write(`${p}a`, data);
    const copied = await storage.copy(`${p}a`, `${p}b`, { metadata: { x: '1' } });
    expect(copied.size).toBe(2500);
    expect(copied.metadata).toEqual({ x: '1' });
    expect(
      Buffer.from(await storage.read(`${p}b`, { range: { offset: 2000, length: 100 } })).equals(
        data.subarray(2000, 2100),
      ),
    ).toBe(true);
    await storage.move(`${p}b`, `${p}c`);
    expect(Buffer.from(await storage.read(`${p}c`)).equals(data)).toBe(true);
    expect(storage.capabilities.presign).toBe(false);
    await expectCode(storage.presign(`${p}a`, { method: 'GET', expiresIn: 60 }), 'Unsupported');
    await expectCode(
      storage.write(`${p}d`, 'x', { metadata: { 'Stowage-Encryption': 'v1' } }),
      'InvalidArgument',
    );
  });
});

describe('encryption: integrity', () => {
  it('detects a flipped byte in a chunk and in the header', async () => {
    const { inner, storage } = setup();
    const key = `${prefix()}x`;
    await storage.write(key, randomBytes(3 * CHUNK));
    const h = await headerLength(inner, key);
    await tamper(inner, key, (b) => {
      b[h + CHUNK + 40]! ^= 1;
      return b;
    });
    await expectCode(storage.read(key), 'IntegrityError');
    await expectCode(collect(await storage.stream(key)), 'IntegrityError');
    await storage.write(key, randomBytes(3 * CHUNK));
    await tamper(inner, key, (b) => {
      b[14]! ^= 1;
      return b;
    }); // nonce prefix
    await expectCode(storage.read(key), 'IntegrityError');
  });

  it('detects truncation: the final chunk dropped, or a cut inside a chunk', async () => {
    const { inner, storage } = setup();
    const key = `${prefix()}x`;
    await storage.write(key, randomBytes(3 * CHUNK));
    await tamper(inner, key, (b) => b.subarray(0, b.length - (CHUNK + 16)));
    await expectCode(storage.read(key), 'IntegrityError');
    await expectCode(collect(await storage.stream(key)), 'IntegrityError');
    await expectCode(storage.read(key, { range: { offset: CHUNK + 5, length: 10 } }), 'IntegrityError');
    await storage.write(key, randomBytes(3 * CHUNK));
    await tamper(inner, key, (b) => b.subarray(0, b.length - 100));
    await expectCode(storage.read(key), 'IntegrityError');
    await expectCode(collect(await storage.stream(key)), 'IntegrityError');
    await tamper(inner, key, (b) => b.subarray(0, 10));
    await expectCode(storage.read(key), 'IntegrityError');
  });

  it('detects two chunks swapped within an object', async () => {
    const { inner, storage } = setup();
    const key = `${prefix()}x`;
    await storage.write(key, randomBytes(3 * CHUNK + 10));
    const h = await headerLength(inner, key);
    const s = CHUNK + 16;
    await tamper(inner, key, (b) =>
      Buffer.concat([
        b.subarray(0, h),
        b.subarray(h + s, h + 2 * s),
        b.subarray(h, h + s),
        b.subarray(h + 2 * s),
      ]),
    );
    await expectCode(storage.read(key), 'IntegrityError');
    await expectCode(storage.read(key, { range: { offset: 0, length: 10 } }), 'IntegrityError');
  });

  it('detects a chunk taken from another object written with the same key', async () => {
    const { inner, storage } = setup();
    const p = prefix();
    await storage.write(`${p}a`, randomBytes(2 * CHUNK + 1));
    await storage.write(`${p}b`, randomBytes(2 * CHUNK + 1));
    const h = await headerLength(inner, `${p}a`);
    const other = Buffer.from(await inner.read(`${p}b`));
    await tamper(inner, `${p}a`, (b) => {
      other.copy(b, h, h, h + CHUNK + 16);
      return b;
    });
    await expectCode(storage.read(`${p}a`), 'IntegrityError');
    // Whole header of b on a's chunks.
    await tamper(inner, `${p}a`, (b) => Buffer.concat([other.subarray(0, h), b.subarray(h)]));
    await expectCode(storage.read(`${p}a`), 'IntegrityError');
  });

  it('rejects objects not written by the middleware', async () => {
    const { inner, storage } = setup();
    const key = `${prefix()}plain`;
    await inner.write(key, 'just some plain text here');
    await expectCode(storage.read(key), 'IntegrityError');
  });
});

describe('encryption: keys', () => {
  it('reads objects written with an older key after rotation', async () => {
    const p = prefix();
    const inner = memory();
    const before = encryption({ keys: { k1 }, currentKey: 'k1' })(inner);
    await before.write(`${p}old`, 'old data');
    const after = encryption({ keys: { k1, k2 }, currentKey: 'k2' })(inner);
    await after.write(`${p}new`, 'new data');
    expect(Buffer.from(await after.read(`${p}old`)).toString()).toBe('old data');
    expect(Buffer.from(await after.read(`${p}new`)).toString()).toBe('new data');
    // k1 alone cannot read what k2 wrapped: the key id is unknown to it.
    await expectCode(before.read(`${p}new`), 'PermissionDenied');
    // Same id, different key material: the unwrap fails authentication.
    const impostor = encryption({ keys: { k2: k1 }, currentKey: 'k2' })(inner);
    await expectCode(impostor.read(`${p}new`), 'IntegrityError');
  });

  it('isolates tenants sharing one keyring', async () => {
    const p = prefix();
    const inner = memory();
    const a = encryption({ keys: { k1 }, currentKey: 'k1' }, { tenant: 'a' })(inner);
    const b = encryption({ keys: { k1 }, currentKey: 'k1' }, { tenant: 'b' })(inner);
    await a.write(`${p}x`, 'tenant a secret');
    expect(Buffer.from(await a.read(`${p}x`)).toString()).toBe('tenant a secret');
    await expectCode(b.read(`${p}x`), 'IntegrityError');
    await expectCode(b.read(`${p}x`, { range: { offset: 1, length: 2 } }), 'IntegrityError');
    const none = encryption({ keys: { k1 }, currentKey: 'k1' })(inner);
    await expectCode(none.read(`${p}x`), 'IntegrityError');
  });

  it('passes the context to the KMS hook', async () => {
    const seen: unknown[] = [];
    const kek = randomBytes(32);
    const kms = {
      async wrap(dataKey: Uint8Array, ctx: unknown) {
        seen.push(['wrap', ctx]);
        return Buffer.from(dataKey.map((x, i) => x ^ kek[i]!));
      },
      async unwrap(wrapped: Uint8Array, ctx: unknown) {
        seen.push(['unwrap', ctx]);
        return Buffer.from(wrapped.map((x, i) => x ^ kek[i]!));
      },
    };
    const storage = encryption({ kms }, { tenant: 'acme' })(memory());
    await storage.write('doc.txt', 'through the kms');
    expect(Buffer.from(await storage.read('doc.txt')).toString()).toBe('through the kms');
    expect(seen).toEqual([
      ['wrap', { tenant: 'acme', key: 'doc.txt', keyId: '' }],
      ['unwrap', { tenant: 'acme', key: 'doc.txt', keyId: '' }],
    ]);
  });

  it('validates options with InvalidConfig naming the option', async () => {
    expect(() => encryption({ keys: { k1: randomBytes(16) }, currentKey: 'k1' })).toThrow(/keys\.k1/);
    expect(() => encryption({ keys: { k1 }, currentKey: 'k9' })).toThrow(/currentKey/);
    expect(() => encryption({ keys: { k1 }, currentKey: 'k1' }, { chunkSize: 10 })).toThrow(/chunkSize/);
    try {
      encryption({ keys: { k1 }, currentKey: 'k1' }, { chunkSize: 'big' });
    } catch (e) {
      expect(isStorageError(e, 'InvalidConfig')).toBe(true);
    }
  });
});

describe('encryption: range reads', () => {
  it('returns exact ranges and reads only the chunks they touch', async () => {
    const inner = memory();
    let innerBytes = 0;
    const counting = (next: StorageBackend) =>
      new (class extends ForwardingBackend {
        override async read(key: string, o?: ReadOptions) {
          const out = await super.read(key, o);
          innerBytes += out.byteLength;
          return out;
        }
        override async stream(key: string, o?: ReadOptions) {
          const s = await super.stream(key, o);
          s.on('data', (c: Buffer) => {
            innerBytes += c.length;
          });
          return s;
        }
      })(next);
    const storage = layer(
      inner,
      encryption({ keys: { k1 }, currentKey: 'k1' }, { chunkSize: CHUNK }),
      counting,
    );
    const key = `${prefix()}big`;
    const data = randomBytes(50 * CHUNK + 123);
    await storage.write(key, data);
    const h = await headerLength(inner, key);
    for (const [offset, length] of [
      [0, 1],
      [CHUNK - 1, 2],
      [10 * CHUNK + 7, 3 * CHUNK],
      [50 * CHUNK, 500],
      [49 * CHUNK + 5, undefined],
    ] as const) {
      innerBytes = 0;
      const got = Buffer.from(await storage.read(key, { range: { offset, length } }));
      const end = length === undefined ? data.length : Math.min(data.length, offset + length);
      expect(got.equals(data.subarray(offset, end))).toBe(true);
      const touched = Math.floor((end - 1) / CHUNK) - Math.floor(offset / CHUNK) + 1;
      expect(innerBytes).toBeLessThanOrEqual(h + touched * (CHUNK + 16));
      const streamed = Buffer.from(await collect(await storage.stream(key, { range: { offset, length } })));
      expect(streamed.equals(got)).toBe(true);
    }
    await expectCode(storage.read(key, { range: { offset: data.length } }), 'InvalidArgument');
    expect((await storage.read(key, { range: { offset: 5, length: 0 } })).byteLength).toBe(0);
  });
});
