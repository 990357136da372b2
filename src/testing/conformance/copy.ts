/**
 * `copy` and `move`: content, content type and metadata travel; an absent
 * source is `NotFound`; a move leaves no source behind.
 */
import { deepEqual, equal, rejectsWith, sameBytes } from './assert.js';
import type { KitContext, TestScope } from './context.js';
import { collectList, randomBytes } from './fixtures.js';
import { AWKWARD_NAMES } from './keys.js';

async function source(s: TestScope, name: string, bytes: Uint8Array) {
  return s.backend.write(s.key(name), bytes, {
    contentType: 'application/x-stowage-test',
    ...(s.caps.metadata ? { metadata: { origin: 'kit', 'mixed-case': 'Value' } } : {}),
  });
}

/** Registers the copy and move tests. */
export function copyTests(kit: KitContext): void {
  kit.describe('copy and move', () => {
    kit.it('copy: copies an object with its content type and metadata', async (s) => {
      const bytes = randomBytes(70_000);
      await source(s, 'from', bytes);
      const info = await s.backend.copy(s.key('from'), s.key('to/copy'));
      equal(info.key, s.key('to/copy'), 'info.key of the copy');
      equal(info.size, bytes.byteLength, 'info.size of the copy');
      sameBytes(await s.backend.read(s.key('to/copy')), bytes, 'content of the copy');
      sameBytes(await s.backend.read(s.key('from')), bytes, 'the source is untouched');
      if (s.caps.metadata) {
        const stat = await s.backend.stat(s.key('to/copy'));
        equal(stat.contentType, 'application/x-stowage-test', 'contentType of the copy');
        deepEqual(stat.metadata, { origin: 'kit', 'mixed-case': 'Value' }, 'metadata of the copy');
      }
    });

    kit.it('copy: an absent source rejects with NotFound', async (s) => {
      await rejectsWith(s.backend.copy(s.key('absent'), s.key('to')), 'NotFound', 'copy of an absent source');
      equal(await s.backend.exists(s.key('to')), false, 'no destination after a failed copy');
    });

    kit.it('copy: replaces an existing destination', async (s) => {
      await s.backend.write(s.key('from'), 'new content');
      await s.backend.write(s.key('to'), 'old content that is longer');
      await s.backend.copy(s.key('from'), s.key('to'));
      equal(Buffer.from(await s.backend.read(s.key('to'))).toString(), 'new content', 'destination content');
    });

    kit.it('copy: metadata and contentType options replace the copied ones [metadata]', async (s) => {
      await source(s, 'from', randomBytes(10));
      if (!s.caps.metadata) {
        await rejectsWith(
          s.backend.copy(s.key('from'), s.key('to'), { metadata: { a: 'b' } }),
          ['Unsupported'],
          'copy with metadata',
        );
        return;
      }
      await s.backend.copy(s.key('from'), s.key('to'), {
        metadata: { Replaced: 'yes' },
        contentType: 'text/plain',
      });
      const stat = await s.backend.stat(s.key('to'));
      deepEqual(stat.metadata, { replaced: 'yes' }, 'metadata of the copy');
      equal(stat.contentType, 'text/plain', 'contentType of the copy');
    });

    kit.it(
      'copy: ifNotExists on an existing destination rejects with AlreadyExists [conditionalWrite; else Unsupported]',
      async (s) => {
        await s.backend.write(s.key('from'), 'from');
        await s.backend.write(s.key('to'), 'to');
        const code = s.caps.conditionalWrite ? 'AlreadyExists' : 'Unsupported';
        await rejectsWith(
          s.backend.copy(s.key('from'), s.key('to'), { ifNotExists: true }),
          code,
          'copy ifNotExists',
        );
        await rejectsWith(
          s.backend.move(s.key('from'), s.key('to'), { ifNotExists: true }),
          code,
          'move ifNotExists',
        );
        equal(Buffer.from(await s.backend.read(s.key('to'))).toString(), 'to', 'destination untouched');
        equal(await s.backend.exists(s.key('from')), true, 'source of a refused move still exists');
      },
    );

    kit.it('move: afterwards the destination has the content and the source is gone', async (s) => {
      const bytes = randomBytes(50_000);
      await source(s, 'a/from', bytes);
      const info = await s.backend.move(s.key('a/from'), s.key('b/to'));
      equal(info.key, s.key('b/to'), 'info.key of the move');
      sameBytes(await s.backend.read(s.key('b/to')), bytes, 'content at the destination');
      await rejectsWith(s.backend.stat(s.key('a/from')), 'NotFound', 'stat of the source after move');
      deepEqual(
        (await collectList(s.backend.list(s.prefix))).map((e) => e.key),
        [s.key('b/to')],
        'objects after move',
      );
      if (s.caps.metadata) {
        const stat = await s.backend.stat(s.key('b/to'));
        equal(stat.contentType, 'application/x-stowage-test', 'contentType after move');
        deepEqual(stat.metadata, { origin: 'kit', 'mixed-case': 'Value' }, 'metadata after move');
      }
    });

    kit.it('move: an absent source rejects with NotFound', async (s) => {
      await rejectsWith(s.backend.move(s.key('absent'), s.key('to')), 'NotFound', 'move of an absent source');
      equal(await s.backend.exists(s.key('to')), false, 'no destination after a failed move');
    });

    kit.it('move: onto an existing destination replaces it', async (s) => {
      await s.backend.write(s.key('from'), 'moved');
      await s.backend.write(s.key('to'), 'replaced');
      await s.backend.move(s.key('from'), s.key('to'));
      equal(Buffer.from(await s.backend.read(s.key('to'))).toString(), 'moved', 'destination content');
      equal(await s.backend.exists(s.key('from')), false, 'source after move');
    });

    kit.it('copy and move: a key onto itself keeps the object', async (s) => {
      await s.backend.write(s.key('self'), 'self');
      await s.backend.copy(s.key('self'), s.key('self')).catch((e: unknown) => e);
      equal(
        Buffer.from(await s.backend.read(s.key('self'))).toString(),
        'self',
        'content after copy onto itself',
      );
      await s.backend.move(s.key('self'), s.key('self')).catch((e: unknown) => e);
      equal(
        Buffer.from(await s.backend.read(s.key('self'))).toString(),
        'self',
        'content after move onto itself',
      );
    });

    kit.it(
      "copy and move: keys with spaces, '+', '%2F', '&', '<' and non-ASCII characters work at both ends",
      async (s) => {
        for (const [i, name] of AWKWARD_NAMES.entries()) {
          const from = s.key(`from/${name}`);
          const copied = s.key(`copied/${name}`);
          const moved = s.key(`moved/${AWKWARD_NAMES[(i + 1) % AWKWARD_NAMES.length]}`);
          await s.backend.write(from, name);
          await s.backend.copy(from, copied);
          equal(
            Buffer.from(await s.backend.read(copied)).toString(),
            name,
            `copy of ${JSON.stringify(name)}`,
          );
          await s.backend.move(copied, moved);
          equal(Buffer.from(await s.backend.read(moved)).toString(), name, `move of ${JSON.stringify(name)}`);
          equal(await s.backend.exists(copied), false, `source of the move of ${JSON.stringify(name)}`);
          await s.backend.delete(moved);
        }
      },
    );

    kit.it('copy: a zero-byte object copies', async (s) => {
      await s.backend.write(s.key('empty'), '');
      await s.backend.copy(s.key('empty'), s.key('empty-copy'));
      equal((await s.backend.stat(s.key('empty-copy'))).size, 0, 'size of the copy');
    });
  });
}
