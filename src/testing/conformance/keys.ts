/**
 * Keys: invalid keys fail with `InvalidKey` on every method before any I/O;
 * valid keys are case-sensitive and stored byte-exact.
 */
import { rejectsWith, equal, sameBytes, ensure, deepEqual, byteOrder } from './assert.js';
import type { KitContext, TestScope } from './context.js';
import { collectList } from './fixtures.js';

/** Every kind of invalid key, by name. */
export const INVALID_KEYS: readonly (readonly [string, string])[] = [
  ['empty', ''],
  ["leading '/'", '/a'],
  ["trailing '/'", 'a/'],
  ["'//'", 'a//b'],
  ["'.' segment", 'a/./b'],
  ["'..' segment", 'a/../b'],
  ["'.' alone", '.'],
  ["'..' alone", '..'],
  ['NUL', 'a\u0000b'],
  ['control character', 'a\u0007b'],
  ['newline', 'a\nb'],
  ['DEL', 'a\u007fb'],
  ['over 1024 bytes', 'k'.repeat(1025)],
  ['over 1024 bytes of multi-byte UTF-8', 'é'.repeat(513)],
  ['lone high surrogate', 'a\ud800b'],
  ['lone low surrogate', 'a\udc00'],
];

/**
 * Valid names that trip URL, XML and header encoding: spaces, '+', '%2F',
 * '&', '<', quotes, '#', '?', non-ASCII and astral characters.
 */
export const AWKWARD_NAMES: readonly string[] = [
  'sp ace',
  'plus+sign',
  'pct%2Fslash',
  'amp&lt<gt>',
  `quote"apos'`,
  'hash#query?x=1',
  'ñandú ü',
  '日本語',
  'emoji😀',
  'tilde~star*',
];

type Call = (s: TestScope, bad: string) => Promise<unknown>;

// One entry per method; `good` is a valid key inside the test's prefix.
const METHODS: readonly (readonly [string, Call])[] = [
  ['read', (s, bad) => s.backend.read(bad)],
  ['stream', (s, bad) => s.backend.stream(bad)],
  ['write', (s, bad) => s.backend.write(bad, 'x')],
  ['stat', (s, bad) => s.backend.stat(bad)],
  ['exists', (s, bad) => s.backend.exists(bad)],
  ['delete', (s, bad) => s.backend.delete(bad)],
  ['deleteMany', (s, bad) => s.backend.deleteMany([s.key('fine'), bad])],
  ['copy (source)', (s, bad) => s.backend.copy(bad, s.key('to'))],
  ['copy (destination)', (s, bad) => s.backend.copy(s.key('from'), bad)],
  ['move (source)', (s, bad) => s.backend.move(bad, s.key('to'))],
  ['move (destination)', (s, bad) => s.backend.move(s.key('from'), bad)],
  ['presign', (s, bad) => s.backend.presign(bad, { method: 'GET', expiresIn: 60 })],
];

/** Registers the key tests. */
export function keyTests(kit: KitContext): void {
  kit.describe('keys', () => {
    for (const [method, call] of METHODS) {
      kit.it(`${method}: every kind of invalid key rejects with InvalidKey before any I/O`, async (s) => {
        // The source of copy/move exists, so only the bad key can explain a failure.
        if (method.endsWith('(destination)')) await s.backend.write(s.key('from'), 'source');
        for (const [kind, bad] of INVALID_KEYS) {
          // Keys that look like the test's own keys, so a backend cannot pass by luck of its root.
          const candidate = kind === 'empty' || kind.startsWith('leading') ? bad : s.prefix + bad;
          await rejectsWith(() => call(s, candidate), 'InvalidKey', `${method} with a key with ${kind}`);
        }
        if (method === 'write' || method.startsWith('copy') || method.startsWith('move')) {
          const listed = await collectList(s.backend.list(s.prefix));
          const expected = method.endsWith('(destination)') ? [s.key('from')] : [];
          deepEqual(
            listed.map((e) => e.key),
            expected,
            `objects under the prefix after ${method} with bad keys`,
          );
        }
      });
    }

    kit.it(
      'list: an invalid prefix (leading "/", NUL, control character) rejects with InvalidKey',
      async (s) => {
        for (const bad of ['/a', `${s.prefix}a\u0000`, `${s.prefix}\u0001`]) {
          await rejectsWith(
            () => collectList(s.backend.list(bad)),
            'InvalidKey',
            `list(${JSON.stringify(bad)})`,
          );
        }
      },
    );

    kit.it('keys are case-sensitive: "A.txt" and "a.txt" are two objects', async (s) => {
      await s.backend.write(s.key('Case.txt'), 'upper');
      await s.backend.write(s.key('case.txt'), 'lower');
      equal(Buffer.from(await s.backend.read(s.key('Case.txt'))).toString(), 'upper', 'read Case.txt');
      equal(Buffer.from(await s.backend.read(s.key('case.txt'))).toString(), 'lower', 'read case.txt');
      equal(await s.backend.exists(s.key('CASE.txt')), false, 'exists(CASE.txt)');
    });

    kit.it('keys are stored byte-exact: "é" in NFC and NFD are two objects', async (s) => {
      const nfc = s.key('caf\u00e9');
      const nfd = s.key('cafe\u0301');
      await s.backend.write(nfc, 'nfc');
      equal(await s.backend.exists(nfd), false, 'exists(NFD) after writing NFC');
      await s.backend.write(nfd, 'nfd');
      equal(Buffer.from(await s.backend.read(nfc)).toString(), 'nfc', 'read NFC');
      equal(Buffer.from(await s.backend.read(nfd)).toString(), 'nfd', 'read NFD');
      const keys = (await collectList(s.backend.list(s.prefix))).map((e) => e.key);
      deepEqual(keys, byteOrder([nfc, nfd]), 'listed keys');
    });

    kit.it("'%2F', '+', '%20', spaces and other URL characters in keys are literal", async (s) => {
      const names = [
        'a%2Fb',
        'a+b',
        'a%20b',
        'a b',
        'q?x=1&y=2#frag',
        "it's (1) [x] {y} ~!@$,;=",
        'tab\u00a0nbsp',
      ];
      for (const name of names) await s.backend.write(s.key(name), name);
      for (const name of names) {
        sameBytes(await s.backend.read(s.key(name)), Buffer.from(name), `read ${JSON.stringify(name)}`);
      }
      equal(await s.backend.exists(s.key('a/b')), false, "exists('a/b') after writing 'a%2Fb'");
      equal(await s.backend.exists(s.key('a b')), true, "exists('a b')");
      const keys = (await collectList(s.backend.list(s.prefix))).map((e) => e.key);
      deepEqual(keys, byteOrder(names.map((n) => s.key(n))), 'listed keys');
    });

    kit.it('non-ASCII keys (accents, CJK, emoji) round-trip and list byte-exact', async (s) => {
      const names = ['ñandú/ü.txt', '日本語/ファイル', '😀/🚀.bin', 'Ω≈ç√'];
      for (const name of names) await s.backend.write(s.key(name), name);
      for (const name of names) {
        const info = await s.backend.stat(s.key(name));
        equal(info.key, s.key(name), `stat(${JSON.stringify(name)}).key`);
        sameBytes(await s.backend.read(s.key(name)), Buffer.from(name), `read ${JSON.stringify(name)}`);
      }
      const keys = (await collectList(s.backend.list(s.prefix))).map((e) => e.key);
      deepEqual(keys, byteOrder(names.map((n) => s.key(n))), 'listed keys');
    });

    kit.it('a long key of several segments round-trips', async (s) => {
      const name = ['a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60)].join('/');
      await s.backend.write(s.key(name), 'long');
      ensure(await s.backend.exists(s.key(name)), 'the long key exists after write');
      equal(Buffer.from(await s.backend.read(s.key(name))).toString(), 'long', 'read the long key');
    });
  });
}
