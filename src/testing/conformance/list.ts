/**
 * `list`: UTF-8 byte order, plain string prefixes, `recursive: false` with
 * folder entries, `startAfter`, `limit`, and internal pagination.
 */
import type { Entry } from '../../core/backend.js';
import { ascending, byteOrder, deepEqual, ensure, equal, keysOf, rejectsWith } from './assert.js';
import type { KitContext, TestScope } from './context.js';
import { collectList, mapLimit } from './fixtures.js';
import { AWKWARD_NAMES } from './keys.js';

async function writeAll(s: TestScope, names: readonly string[], concurrency = 16): Promise<string[]> {
  const keys = names.map((n) => s.key(n));
  await mapLimit(keys, concurrency, (k) => s.backend.write(k, k.slice(-8)));
  return keys;
}

const objectKeys = (entries: Entry[]) => entries.filter((e) => e.type === 'object').map((e) => e.key);

/** Registers the list tests. */
export function listTests(kit: KitContext): void {
  kit.describe('list', () => {
    kit.it('list: yields in ascending UTF-8 byte order of keys', async (s) => {
      // Astral (above U+FFFF) vs U+E000..U+FFFF disagree in UTF-16 order; '-' < '/' < '0';
      // upper case before lower case. (No key is also a folder of others: a file
      // system cannot hold both 'a' and 'a/b'.)
      const names = [
        'a-b',
        'a/b',
        'a0',
        'aa',
        'B',
        'b',
        'Z',
        'z',
        '~',
        '\u00e9',
        '\ue000',
        '\uffef',
        '\u{1f600}',
        '\u{10000}',
        'x\u{1f600}y',
        'x\uff5ay',
        'ab',
        'a.b',
        'a_b',
        'a b',
      ];
      const keys = await writeAll(s, names);
      const listed = await collectList(s.backend.list(s.prefix));
      deepEqual(keysOf(listed), byteOrder(keys), 'listing order');
      for (const entry of listed) equal(entry.type, 'object', `type of ${entry.key}`);
    });

    kit.it('list: entries carry object info (key, size, lastModified)', async (s) => {
      await s.backend.write(s.key('one.txt'), 'hello');
      const [entry] = await collectList(s.backend.list(s.prefix));
      ensure(entry !== undefined && entry.type === 'object', 'one object entry');
      equal(entry.key, s.key('one.txt'), 'entry.key');
      equal(entry.size, 5, 'entry.size');
      ensure(
        entry.lastModified instanceof Date && !Number.isNaN(entry.lastModified.getTime()),
        'entry.lastModified',
      );
      ensure(typeof entry.metadata === 'object' && entry.metadata !== null, 'entry.metadata is an object');
    });

    kit.it("list: prefix is a plain string prefix ('v1' also matches 'v10/x')", async (s) => {
      await writeAll(s, ['v1/a', 'v10/x', 'v1.txt', 'v1-x', 'v2/a', 'v', 'u1']);
      const listed = await collectList(s.backend.list(s.key('v1')));
      deepEqual(
        keysOf(listed),
        byteOrder(['v1-x', 'v1.txt', 'v1/a', 'v10/x'].map((n) => s.key(n))),
        'keys under "v1"',
      );
      const slash = await collectList(s.backend.list(s.key('v1/')));
      deepEqual(keysOf(slash), [s.key('v1/a')], 'keys under "v1/"');
    });

    kit.it('list: a missing prefix yields nothing', async (s) => {
      await writeAll(s, ['present/a']);
      deepEqual(keysOf(await collectList(s.backend.list(s.key('absent/')))), [], 'list of a missing folder');
      deepEqual(
        keysOf(await collectList(s.backend.list(s.key('presentx')))),
        [],
        'list of a missing plain prefix',
      );
      deepEqual(
        keysOf(await collectList(s.backend.list(s.key('absent/'), { recursive: false }))),
        [],
        'non-recursive list of a missing folder',
      );
    });

    kit.it(
      'list: recursive:false yields the objects directly under the prefix and one prefix entry per folder',
      async (s) => {
        await writeAll(s, ['r/a', 'r/b/c', 'r/b/d', 'r/b/e/f', 'r/c', 'r/d/e/f', 'r/d-e', 'r0', 's/x']);
        const listed = await collectList(s.backend.list(s.key('r/'), { recursive: false }));
        deepEqual(
          keysOf(listed),
          [
            `${s.key('r/a')}`,
            `${s.key('r/b/')} (prefix)`,
            s.key('r/c'),
            s.key('r/d-e'),
            `${s.key('r/d/')} (prefix)`,
          ],
          'non-recursive listing of r/',
        );
        ascending(
          listed.map((e) => e.key),
          'non-recursive listing',
        );
        const top = await collectList(s.backend.list(s.prefix, { recursive: false }));
        deepEqual(
          keysOf(top),
          [`${s.key('r/')} (prefix)`, s.key('r0'), `${s.key('s/')} (prefix)`],
          'top level',
        );
      },
    );

    kit.it('list: recursive:false with a prefix that is not a folder groups by the next "/"', async (s) => {
      await writeAll(s, ['p/a/1', 'p/ab', 'p/ac/2', 'p/b']);
      const listed = await collectList(s.backend.list(s.key('p/a'), { recursive: false }));
      deepEqual(
        keysOf(listed),
        [`${s.key('p/a/')} (prefix)`, s.key('p/ab'), `${s.key('p/ac/')} (prefix)`],
        'listing of p/a',
      );
    });

    kit.it(
      "list: prefixes with spaces, '+', '%', '&' and non-ASCII characters match literally",
      async (s) => {
        const folders = AWKWARD_NAMES.map((n) => `${n}/`);
        await writeAll(s, [...folders.map((f) => `${f}inner`), 'sp', 'plus', 'pct/x', 'amp/x']);
        for (const folder of folders) {
          deepEqual(
            keysOf(await collectList(s.backend.list(s.key(folder)))),
            [s.key(`${folder}inner`)],
            `list(${JSON.stringify(folder)})`,
          );
        }
        const top = await collectList(s.backend.list(s.prefix, { recursive: false }));
        const expected = byteOrder([
          ...folders.map((f) => s.key(f)),
          s.key('amp/'),
          s.key('pct/'),
          s.key('plus'),
          s.key('sp'),
        ]);
        deepEqual(
          top.map((e) => e.key),
          expected,
          'non-recursive listing of awkward folders',
        );
      },
    );

    kit.it('list: recursive defaults to true', async (s) => {
      const keys = await writeAll(s, ['d/e/f/g', 'd/h', 'i']);
      deepEqual(keysOf(await collectList(s.backend.list(s.prefix))), byteOrder(keys), 'default listing');
      deepEqual(
        keysOf(await collectList(s.backend.list(s.prefix, { recursive: true }))),
        byteOrder(keys),
        'recursive',
      );
    });

    kit.it('list: startAfter yields only keys after it in byte order', async (s) => {
      const keys = byteOrder(await writeAll(s, ['a', 'b/c', 'b0', 'c', 'd', '\u{1f600}']));
      for (const [i, after] of keys.entries()) {
        deepEqual(
          keysOf(await collectList(s.backend.list(s.prefix, { startAfter: after }))),
          keys.slice(i + 1),
          `listing after ${JSON.stringify(after)}`,
        );
      }
      // A startAfter that is not itself a key.
      deepEqual(
        keysOf(await collectList(s.backend.list(s.prefix, { startAfter: s.key('bb') }))),
        [s.key('c'), s.key('d'), s.key('\u{1f600}')],
        'listing after an absent key',
      );
      deepEqual(
        keysOf(await collectList(s.backend.list(s.prefix, { startAfter: s.key('\uffff') }))),
        [s.key('\u{1f600}')],
        'listing after U+FFFF (astral keys sort after it)',
      );
    });

    kit.it('list: limit stops after that many entries', async (s) => {
      const keys = byteOrder(await writeAll(s, ['1', '2', '3', '4', '5', 'f/1', 'f/2']));
      deepEqual(
        keysOf(await collectList(s.backend.list(s.prefix, { limit: 3 }))),
        keys.slice(0, 3),
        'limit 3',
      );
      deepEqual(
        keysOf(await collectList(s.backend.list(s.prefix, { limit: 100 }))),
        keys,
        'limit above the count',
      );
      deepEqual(keysOf(await collectList(s.backend.list(s.prefix, { limit: 0 }))), [], 'limit 0');
      const folders = await collectList(s.backend.list(s.prefix, { recursive: false, limit: 6 }));
      equal(folders.length, 6, 'limit counts prefix entries too');
      equal(folders[5]?.type, 'prefix', 'the sixth entry is the folder');
      deepEqual(
        keysOf(
          await collectList(s.backend.list(s.prefix, { limit: 2, startAfter: s.key('2'), pageSize: 1 })),
        ),
        [s.key('3'), s.key('4')],
        'limit with startAfter and pageSize 1',
      );
    });

    kit.it('list: pagination never stops at a page boundary (small pages)', async (s) => {
      const keys = byteOrder(
        await writeAll(
          s,
          Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(3, '0')}`),
        ),
      );
      for (const pageSize of [1, 7, 25, 26]) {
        deepEqual(
          keysOf(await collectList(s.backend.list(s.prefix, { pageSize }))),
          keys,
          `listing with pageSize ${pageSize}`,
        );
      }
      const folders = await collectList(s.backend.list(s.prefix, { recursive: false, pageSize: 4 }));
      deepEqual(keysOf(folders), keys, 'non-recursive listing with pageSize 4');
    });

    kit.it('list: recursive:false pagination does not repeat or drop folders across pages', async (s) => {
      const names: string[] = [];
      for (let f = 0; f < 6; f++) for (let i = 0; i < 4; i++) names.push(`f${f}/k${i}`);
      names.push('loose1', 'loose2');
      await writeAll(s, names);
      const listed = await collectList(s.backend.list(s.prefix, { recursive: false, pageSize: 3 }));
      const expected = [
        ...Array.from({ length: 6 }, (_, f) => `${s.key(`f${f}/`)} (prefix)`),
        s.key('loose1'),
        s.key('loose2'),
      ];
      deepEqual(keysOf(listed), expected, 'folders and objects with pageSize 3');
    });

    kit.it(
      'list: pagination across many pages (1,100 keys, pageSize 100) yields every key once, in order',
      async (s) => {
        const count = s.heavy ? 1100 : 230;
        const names = Array.from({ length: count }, (_, i) => `many/${String(i).padStart(5, '0')}`);
        const keys = await writeAll(s, names, 32);
        const listed = await collectList(s.backend.list(s.key('many/'), { pageSize: 100 }));
        equal(listed.length, count, 'number of keys listed');
        deepEqual(objectKeys(listed), keys, 'keys listed over many pages');
        const limited = await collectList(s.backend.list(s.key('many/'), { pageSize: 100, limit: 150 }));
        deepEqual(objectKeys(limited), keys.slice(0, 150), 'limit across a page boundary');
      },
    );

    kit.it(
      'list: invalid options (negative limit, pageSize 0, unknown option) reject with InvalidArgument',
      async (s) => {
        for (const options of [
          { limit: -1 },
          { limit: 1.5 },
          { pageSize: 0 },
          { recursive: false, bogus: 1 },
        ]) {
          await rejectsWith(
            () => collectList(s.backend.list(s.prefix, options as never)),
            'InvalidArgument',
            `list with ${JSON.stringify(options)}`,
          );
        }
      },
    );
  });
}
