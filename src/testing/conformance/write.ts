/**
 * Writes and bodies: every body kind round-trips byte-exact, immediately
 * readable; a failed write leaves no object and the previous version intact.
 */
import { Readable } from 'node:stream';
import type { Body } from '../../core/backend.js';
import { deepEqual, ensure, equal, rejectsWith, sameBytes } from './assert.js';
import type { KitContext, TestScope } from './context.js';
import { chunked, collectList, erroringStream, randomBytes, readableOf, webStreamOf } from './fixtures.js';

const BODY = randomBytes(100 * 1024 + 7);

// Each body kind, made fresh per write (streams are single-use).
const BODY_KINDS: readonly (readonly [string, (bytes: Uint8Array) => Body])[] = [
  ['Uint8Array', (b) => b],
  ['Buffer', (b) => Buffer.from(b)],
  ['Node Readable of unknown length', (b) => readableOf(b, 8 * 1024)],
  ['web ReadableStream', (b) => webStreamOf(b, 8 * 1024)],
  ['AsyncIterable<Uint8Array>', (b) => chunked(b, 8 * 1024)],
  ['Blob', (b) => new Blob([b as BlobPart])],
];

async function expectAbsent(s: TestScope, key: string, what: string): Promise<void> {
  equal(await s.backend.exists(key), false, `exists(${key}) ${what}`);
  await rejectsWith(s.backend.stat(key), 'NotFound', `stat(${key}) ${what}`);
}

async function expectContent(s: TestScope, key: string, bytes: Uint8Array, what: string): Promise<void> {
  sameBytes(await s.backend.read(key), bytes, `read(${key}) ${what}`);
}

/** Registers the write and body tests. */
export function writeTests(kit: KitContext): void {
  kit.describe('write and bodies', () => {
    for (const [kind, make] of BODY_KINDS) {
      kit.it(`a body given as ${kind} round-trips byte-exact`, async (s) => {
        const info = await s.backend.write(s.key('body'), make(BODY));
        equal(info.size, BODY.byteLength, 'size in the info write resolves with');
        await expectContent(s, s.key('body'), BODY, `after writing a ${kind}`);
      });
    }

    kit.it("a Uint8Array that is a view into a larger buffer stores only the view's bytes", async (s) => {
      const backing = randomBytes(10_000);
      const view = backing.subarray(1234, 1234 + 4321);
      const info = await s.backend.write(s.key('view'), view);
      equal(info.size, 4321, 'size of a written view');
      await expectContent(s, s.key('view'), view, 'after writing a view');
      const tiny = new Uint8Array(backing.buffer, backing.byteOffset + 7, 3);
      await s.backend.write(s.key('tiny'), chunked(tiny, 1));
      await expectContent(s, s.key('tiny'), tiny, 'after streaming 1-byte views');
    });

    kit.it('a string body is stored as UTF-8', async (s) => {
      const text = 'héllo wörld ✓ 😀 日本';
      const info = await s.backend.write(s.key('text'), text);
      equal(info.size, Buffer.byteLength(text), 'size of a UTF-8 string');
      await expectContent(s, s.key('text'), Buffer.from(text, 'utf8'), 'after writing a string');
    });

    kit.it('zero-byte bodies of every kind round-trip', async (s) => {
      const empty = new Uint8Array(0);
      const kinds: [string, Body][] = [
        ['Uint8Array', empty],
        ['string', ''],
        ['Readable', Readable.from([], { objectMode: false })],
        ['ReadableStream', webStreamOf(empty)],
        ['AsyncIterable', chunked(empty, 1)],
        ['Blob', new Blob([])],
      ];
      for (const [kind, body] of kinds) {
        const key = s.key(`empty-${kind}`);
        const info = await s.backend.write(key, body);
        equal(info.size, 0, `size after writing an empty ${kind}`);
        equal((await s.backend.stat(key)).size, 0, `stat().size of an empty ${kind}`);
        await expectContent(s, key, empty, `of an empty ${kind}`);
      }
    });

    kit.it('1-byte chunks round-trip byte-exact', async (s) => {
      const bytes = randomBytes(3000);
      await s.backend.write(s.key('bytewise'), chunked(bytes, 1));
      await expectContent(s, s.key('bytewise'), bytes, 'after 1-byte chunks');
    });

    kit.it('chunks of varied sizes (1, 0, odd, large) round-trip byte-exact', async (s) => {
      const bytes = randomBytes(300_000);
      async function* varied(): AsyncGenerator<Uint8Array> {
        const sizes = [1, 0, 7, 4096, 0, 65_537, 13, 100_000];
        let offset = 0;
        for (let i = 0; offset < bytes.byteLength; i++) {
          const n = sizes[i % sizes.length]!;
          yield bytes.subarray(offset, Math.min(bytes.byteLength, offset + n));
          offset += n;
        }
      }
      await s.backend.write(s.key('varied'), varied());
      await expectContent(s, s.key('varied'), bytes, 'after varied chunks');
    });

    kit.it('a 5 MiB+ random body of unknown length round-trips byte-exact', async (s) => {
      const bytes = randomBytes(5 * 1024 * 1024 + 123_457);
      const info = await s.backend.write(s.key('large'), readableOf(bytes, 256 * 1024));
      equal(info.size, bytes.byteLength, 'size in the info write resolves with');
      equal((await s.backend.stat(s.key('large'))).size, bytes.byteLength, 'stat().size');
      await expectContent(s, s.key('large'), bytes, 'after a 5 MiB+ streamed write');
    });

    kit.it('a streamed body with a correct size hint round-trips', async (s) => {
      const bytes = randomBytes(200_000);
      const info = await s.backend.write(s.key('sized'), readableOf(bytes), { size: bytes.byteLength });
      equal(info.size, bytes.byteLength, 'size in the info');
      await expectContent(s, s.key('sized'), bytes, 'after a sized stream');
    });

    kit.it('read-after-write is immediately consistent', async (s) => {
      for (let i = 0; i < 5; i++) {
        const bytes = randomBytes(100 + i);
        await s.backend.write(s.key('raw'), bytes);
        await expectContent(s, s.key('raw'), bytes, `right after write #${i + 1}`);
        equal(
          (await s.backend.stat(s.key('raw'))).size,
          bytes.byteLength,
          `stat().size after write #${i + 1}`,
        );
      }
    });

    kit.it('a write replaces the object at the key (overwrite, longer then shorter)', async (s) => {
      await s.backend.write(s.key('over'), 'a much longer first version');
      await s.backend.write(s.key('over'), 'short');
      await expectContent(s, s.key('over'), Buffer.from('short'), 'after overwrite');
      equal((await s.backend.stat(s.key('over'))).size, 5, 'stat().size after overwrite');
      deepEqual(
        (await collectList(s.backend.list(s.prefix))).map((e) => e.key),
        [s.key('over')],
        'one object listed after overwrite',
      );
    });

    kit.it('write resolves with the new object info, as stat returns it', async (s) => {
      const info = await s.backend.write(s.key('info'), 'hello');
      const stat = await s.backend.stat(s.key('info'));
      equal(info.key, s.key('info'), 'info.key');
      equal(info.size, 5, 'info.size');
      ensure(
        info.lastModified instanceof Date && !Number.isNaN(info.lastModified.getTime()),
        'info.lastModified is a valid Date',
      );
      equal(stat.size, info.size, 'stat().size vs write info');
      if (info.etag !== undefined && stat.etag !== undefined)
        equal(stat.etag, info.etag, 'stat().etag vs write info');
      ensure(typeof info.metadata === 'object' && info.metadata !== null, 'info.metadata is an object');
    });

    kit.it('a source stream that errors mid-way leaves no object', async (s) => {
      await rejectsWith(
        s.backend.write(s.key('broken'), erroringStream()),
        ['Unknown', 'IntegrityError', 'Unavailable', 'Aborted', 'InvalidArgument'],
        'write of an erroring stream',
      );
      await expectAbsent(s, s.key('broken'), 'after an erroring write');
    });

    kit.it('a source stream that errors mid-way leaves the previous version intact', async (s) => {
      const old = randomBytes(1000);
      await s.backend.write(s.key('keep'), old);
      await rejectsWith(
        s.backend.write(s.key('keep'), erroringStream({ bytesBeforeError: 300_000 })),
        ['Unknown', 'IntegrityError', 'Unavailable', 'Aborted', 'InvalidArgument'],
        'write of an erroring stream over an existing object',
      );
      await expectContent(s, s.key('keep'), old, 'after a failed overwrite');
    });

    kit.it(
      'a streamed body shorter than the size hint fails with IntegrityError and stores nothing',
      async (s) => {
        const bytes = randomBytes(10_000);
        await rejectsWith(
          s.backend.write(s.key('short'), readableOf(bytes, 1000), { size: bytes.byteLength + 1 }),
          'IntegrityError',
          'write with size hint larger than the body',
        );
        await expectAbsent(s, s.key('short'), 'after a size mismatch');
      },
    );

    kit.it(
      'a streamed body longer than the size hint fails with IntegrityError and stores nothing',
      async (s) => {
        const old = randomBytes(50);
        await s.backend.write(s.key('long'), old);
        const bytes = randomBytes(10_000);
        await rejectsWith(
          s.backend.write(s.key('long'), chunked(bytes, 1000), { size: bytes.byteLength - 1 }),
          'IntegrityError',
          'write with size hint smaller than the body',
        );
        await expectContent(s, s.key('long'), old, 'previous version after a size mismatch');
      },
    );

    kit.it('an in-memory body whose size hint disagrees is rejected and stores nothing', async (s) => {
      await rejectsWith(
        s.backend.write(s.key('hint'), randomBytes(10), { size: 11 }),
        ['InvalidArgument', 'IntegrityError'],
        'write of 10 bytes with size 11',
      );
      await expectAbsent(s, s.key('hint'), 'after a size mismatch');
    });

    kit.it('a body of the wrong type rejects with InvalidArgument', async (s) => {
      const wrong: [string, unknown][] = [
        ['number', 42],
        ['null', null],
        ['undefined', undefined],
        ['plain object', { data: 'x' }],
        ['array of numbers', [1, 2, 3]],
      ];
      for (const [kind, body] of wrong) {
        await rejectsWith(
          s.backend.write(s.key('wrong'), body as Body),
          'InvalidArgument',
          `write with a ${kind} body`,
        );
      }
      await rejectsWith(
        s.backend.write(
          s.key('wrong'),
          (async function* () {
            yield 42 as unknown as Uint8Array;
          })(),
        ),
        'InvalidArgument',
        'write of a stream that yields a number',
      );
      await expectAbsent(s, s.key('wrong'), 'after wrong body types');
    });
  });
}
