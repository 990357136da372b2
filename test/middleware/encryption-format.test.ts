/**
 * The byte format of docs/encryption-format.md, held fixed: objects written by
 * earlier versions still decrypt, today's writes decode with a reader written
 * from the document alone, and the streaming layer gives the same answers
 * (plaintext or IntegrityError) whatever pieces the inner backend serves.
 */
import { createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { ReadOptions, StorageBackend } from '../../src/core/backend.js';
import { collect } from '../../src/core/body.js';
import { isStorageError } from '../../src/core/errors.js';
import { ForwardingBackend } from '../../src/core/layer.js';
import { encryption } from '../../src/middleware/encryption.js';
import { ENCRYPTION_VECTORS, VECTOR_MASTER_KEY, vectorPlaintext } from './encryption-vectors.js';

const MARKER = 'stowage-encryption';

/** Decrypts a stored object following docs/encryption-format.md only (keyring mode). */
function referenceDecrypt(stored: Buffer, master: Buffer, tenant = ''): Buffer {
  if (stored.subarray(0, 4).toString('latin1') !== 'STWE' || stored[4] !== 1 || stored[5] !== 0)
    throw new Error('bad magic, version or flags');
  const h = stored.readUInt16BE(6);
  const c = stored.readUInt32BE(8);
  const prefix = stored.subarray(12, 19);
  const k = stored[19]!;
  const keyId = stored.subarray(20, 20 + k).toString('utf8');
  const w = stored.readUInt16BE(20 + k);
  const wrapped = stored.subarray(22 + k, 22 + k + w);
  if (h !== 22 + k + w) throw new Error('bad header length');
  const info = Buffer.concat([Buffer.from('stowage-kek-v1\0'), Buffer.from(tenant)]);
  const kek = Buffer.from(hkdfSync('sha256', master, 'stowage-encryption-v1', info, 32));
  const unwrap = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(0, 12));
  unwrap.setAAD(Buffer.from(`stowage-wrap-v1\0${keyId}`));
  unwrap.setAuthTag(wrapped.subarray(44, 60));
  const dataKey = Buffer.concat([unwrap.update(wrapped.subarray(12, 44)), unwrap.final()]);
  const aad = createHash('sha256').update(stored.subarray(0, h)).digest();
  const out: Buffer[] = [];
  const body = stored.subarray(h);
  const n = Math.max(1, Math.ceil(body.length / (c + 16)));
  for (let i = 0; i < n; i++) {
    const sealed = body.subarray(i * (c + 16), Math.min(body.length, (i + 1) * (c + 16)));
    const nonce = Buffer.alloc(12);
    prefix.copy(nonce, 0);
    nonce.writeUInt32BE(i, 7);
    nonce[11] = i === n - 1 ? 1 : 0;
    const d = createDecipheriv('aes-256-gcm', dataKey, nonce);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    out.push(d.update(sealed.subarray(0, sealed.length - 16)), d.final());
  }
  return Buffer.concat(out);
}

/** A backend whose streams serve the stored bytes in pieces of `piece` bytes. */
class Rechunked extends ForwardingBackend {
  constructor(
    next: StorageBackend,
    private readonly piece: number,
  ) {
    super(next);
  }
  override async stream(key: string, options?: ReadOptions): Promise<Readable> {
    const all = Buffer.from(await collect(await super.stream(key, options)));
    const pieces: Buffer[] = [];
    for (let i = 0; i < all.length; i += this.piece) pieces.push(all.subarray(i, i + this.piece));
    return Readable.from(pieces, { objectMode: false });
  }
}

/** Splits `data` into pieces of the given sizes, cycling through them. */
function pieces(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0, s = 0; i < data.length; s++) {
    const n = sizes[s % sizes.length]!;
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (isStorageError(e) ? e.code : String(e)),
  );
}

const keys = { k1: VECTOR_MASTER_KEY };

describe('encryption format: fixed vectors', () => {
  for (const vector of ENCRYPTION_VECTORS) {
    it(`reads the ${vector.name} vector (${vector.size} bytes) written by an earlier version`, async () => {
      const stored = Buffer.from(vector.stored, 'base64');
      const plain = vectorPlaintext(vector.size);
      expect(referenceDecrypt(stored, VECTOR_MASTER_KEY, vector.tenant).equals(plain)).toBe(true);
      for (const piece of [1, 100, 1040, 1041, 1 << 20]) {
        const inner = memory();
        await inner.write('v', stored, { metadata: { [MARKER]: 'v1;h=84;c=1024' } });
        const storage = encryption(
          { keys, currentKey: 'k1' },
          { chunkSize: '1KiB', tenant: vector.tenant },
        )(new Rechunked(inner, piece));
        expect((await storage.stat('v')).size).toBe(vector.size);
        expect(Buffer.from(await storage.read('v')).equals(plain)).toBe(true);
        expect(Buffer.from(await collect(await storage.stream('v'))).equals(plain)).toBe(true);
        for (const [offset, length] of [
          [0, 1],
          [1023, 2],
          [1024, 1024],
          [vector.size - 1, 1],
          [5, vector.size],
        ] as const) {
          if (offset < 0 || offset >= vector.size) continue;
          const got = await collect(await storage.stream('v', { range: { offset, length } }));
          expect(Buffer.from(got).equals(plain.subarray(offset, offset + length))).toBe(true);
        }
      }
    });
  }
});

describe('encryption format: new writes', () => {
  it('decode with a reader written from the format document, whatever pieces the body came in', async () => {
    const shapes = [[1 << 20], [1], [700], [1024], [3000], [5, 2000, 1024, 17]];
    for (const size of [0, 1, 1023, 1024, 1025, 2048, 5000]) {
      const data = randomBytes(size);
      for (const shape of shapes) {
        const inner = memory();
        const storage = encryption({ keys, currentKey: 'k1' }, { chunkSize: '1KiB', tenant: 't' })(inner);
        await storage.write('o', Readable.from(pieces(data, shape), { objectMode: false }));
        const stored = Buffer.from(await inner.read('o'));
        expect(stored.length).toBe(84 + size + 16 * Math.max(1, Math.ceil(size / 1024)));
        expect(referenceDecrypt(stored, VECTOR_MASTER_KEY, 't').equals(data)).toBe(true);
      }
    }
  });
});

describe('encryption format: integrity whatever pieces the inner backend serves', () => {
  const edits: Record<string, (b: Buffer) => Buffer> = {
    'a flipped bit in chunk 1': (b) => {
      const c = Buffer.from(b);
      c[84 + 1040 + 7]! ^= 1;
      return c;
    },
    'a flipped bit in the last tag': (b) => {
      const c = Buffer.from(b);
      c[c.length - 1]! ^= 0x80;
      return c;
    },
    'the final chunk dropped': (b) => b.subarray(0, 84 + 2 * 1040),
    'a cut inside the last chunk': (b) => b.subarray(0, b.length - 5),
    'chunks 0 and 1 swapped': (b) =>
      Buffer.concat([
        b.subarray(0, 84),
        b.subarray(84 + 1040, 84 + 2080),
        b.subarray(84, 84 + 1040),
        b.subarray(84 + 2080),
      ]),
    'bytes appended': (b) => Buffer.concat([b, randomBytes(20)]),
  };
  for (const piece of [1, 16, 1040, 1041, 4096]) {
    it(`raises IntegrityError on every edit with ${piece}-byte pieces`, async () => {
      const data = randomBytes(3000);
      const inner = memory();
      const storage = encryption(
        { keys, currentKey: 'k1' },
        { chunkSize: '1KiB' },
      )(new Rechunked(inner, piece));
      await storage.write('o', data);
      expect(Buffer.from(await collect(await storage.stream('o'))).equals(data)).toBe(true);
      const good = Buffer.from(await inner.read('o'));
      const { metadata } = await inner.stat('o');
      for (const [name, edit] of Object.entries(edits)) {
        await inner.write('o', edit(good), { metadata });
        const full = codeOf(storage.stream('o').then(collect));
        expect(await full, `${name}: stream`).toBe('IntegrityError');
        // A range touching the last chunk must fail too (chunk 0 alone may be intact).
        const ranged = codeOf(storage.stream('o', { range: { offset: 1000, length: 2000 } }).then(collect));
        expect(await ranged, `${name}: range`).toBe('IntegrityError');
      }
    });
  }
});
