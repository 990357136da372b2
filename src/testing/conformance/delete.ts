/**
 * `delete` and `deleteMany`: immediately consistent, absent keys are fine,
 * one failure does not stop the rest.
 */
import { deepEqual, equal, rejectsWith } from './assert.js';
import type { KitContext } from './context.js';
import { collectList, mapLimit } from './fixtures.js';
import { AWKWARD_NAMES } from './keys.js';

/** Registers the delete tests. */
export function deleteTests(kit: KitContext): void {
  kit.describe('delete and deleteMany', () => {
    kit.it('delete: after delete, stat rejects with NotFound immediately', async (s) => {
      await s.backend.write(s.key('d'), 'x');
      await s.backend.delete(s.key('d'));
      await rejectsWith(s.backend.stat(s.key('d')), 'NotFound', 'stat after delete');
      await rejectsWith(s.backend.read(s.key('d')), 'NotFound', 'read after delete');
      equal(await s.backend.exists(s.key('d')), false, 'exists after delete');
      deepEqual((await collectList(s.backend.list(s.prefix))).length, 0, 'objects listed after delete');
    });

    kit.it('delete: deleting an absent key succeeds', async (s) => {
      await s.backend.delete(s.key('never-written'));
      await s.backend.delete(s.key('never/written/deep'));
      await s.backend.write(s.key('once'), 'x');
      await s.backend.delete(s.key('once'));
      await s.backend.delete(s.key('once'));
    });

    kit.it('delete: deletes only the key, not others sharing its prefix', async (s) => {
      for (const n of ['a', 'ab', 'a.txt', 'b/a']) await s.backend.write(s.key(n), n);
      await s.backend.delete(s.key('a'));
      deepEqual(
        (await collectList(s.backend.list(s.prefix))).map((e) => e.key),
        [s.key('a.txt'), s.key('ab'), s.key('b/a')],
        'keys left after deleting "a"',
      );
    });

    kit.it('delete: deleting the last key of a folder removes the folder from listings', async (s) => {
      await s.backend.write(s.key('f/g/h'), 'x');
      await s.backend.write(s.key('top'), 'x');
      await s.backend.delete(s.key('f/g/h'));
      deepEqual(
        (await collectList(s.backend.list(s.prefix, { recursive: false }))).map((e) => e.key),
        [s.key('top')],
        'non-recursive listing after deleting the only key of a folder',
      );
    });

    kit.it('deleteMany: absent keys count as deleted', async (s) => {
      const present = ['1', '2', '3'].map((n) => s.key(n));
      for (const k of present) await s.backend.write(k, k);
      const absent = ['x', 'y/z'].map((n) => s.key(n));
      const result = await s.backend.deleteMany([...present, ...absent]);
      equal(result.deleted, present.length + absent.length, 'deleted count');
      deepEqual(result.errors, [], 'errors');
      deepEqual((await collectList(s.backend.list(s.prefix))).length, 0, 'objects left');
    });

    kit.it('deleteMany: accepts an async iterable and deletes many keys across batches', async (s) => {
      const keys = Array.from({ length: 1234 }, (_, i) => s.key(`m/${String(i).padStart(4, '0')}`));
      const count = s.heavy ? keys.length : 150;
      await mapLimit(keys.slice(0, count), 32, (k) => s.backend.write(k, 'x'));
      const source = (async function* () {
        yield* keys.slice(0, count);
      })();
      const result = await s.backend.deleteMany(source);
      equal(result.deleted, count, 'deleted count');
      deepEqual(result.errors, [], 'errors');
      deepEqual((await collectList(s.backend.list(s.prefix))).length, 0, 'objects left');
    });

    kit.it(
      "deleteMany: keys with '&', '<', quotes, '%', '+', spaces and non-ASCII characters are deleted",
      async (s) => {
        const keys = AWKWARD_NAMES.map((n) => s.key(n));
        await mapLimit(keys, 8, (k) => s.backend.write(k, 'x'));
        const result = await s.backend.deleteMany([...keys, s.key('absent & <odd>')]);
        deepEqual(
          result.errors.map((e) => `${e.key}: ${e.error.code}`),
          [],
          'errors',
        );
        equal(result.deleted, keys.length + 1, 'deleted count');
        deepEqual(
          (await collectList(s.backend.list(s.prefix))).map((e) => e.key),
          [],
          'objects left',
        );
      },
    );

    kit.it('deleteMany: an empty list deletes nothing', async (s) => {
      await s.backend.write(s.key('keep'), 'x');
      const result = await s.backend.deleteMany([]);
      equal(result.deleted, 0, 'deleted count');
      deepEqual(result.errors, [], 'errors');
      equal(await s.backend.exists(s.key('keep')), true, 'other objects are untouched');
    });

    kit.it('deleteMany: a value that is not an iterable of keys rejects with InvalidArgument', async (s) => {
      await rejectsWith(s.backend.deleteMany(42 as never), 'InvalidArgument', 'deleteMany(42)');
      await rejectsWith(s.backend.deleteMany(null as never), 'InvalidArgument', 'deleteMany(null)');
    });
  });
}
