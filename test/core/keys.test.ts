import { describe, expect, it } from 'vitest';
import { isStorageError } from '../../src/core/errors.js';
import {
  assertKey,
  assertPrefix,
  compareKeys,
  describeKey,
  keyProblem,
  MAX_KEY_BYTES,
  normalizePrefix,
  utf8Length,
} from '../../src/core/keys.js';

/** A random string mixing ASCII, Latin, BMP private-use/specials (U+E000..U+FFFF) and astral characters. */
function randomKeyish(random: () => number): string {
  const pools = [
    () => String.fromCharCode(0x20 + Math.floor(random() * 95)),
    () => String.fromCharCode(0xa0 + Math.floor(random() * 0x700)),
    () => String.fromCharCode(0xe000 + Math.floor(random() * 0x1ff0)),
    () => String.fromCodePoint(0x10000 + Math.floor(random() * 0xfffff)),
    () => '/',
  ];
  let s = '';
  const length = 1 + Math.floor(random() * 8);
  for (let i = 0; i < length; i++) s += pools[Math.floor(random() * pools.length)]!();
  return s;
}

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('keyProblem', () => {
  it.each([
    ['a'],
    ['a/b/c.txt'],
    ['.hidden'],
    ['a/.b/..c/...'],
    ['é/日本/😀'],
    ['%2F+ #?&'],
    ['k'.repeat(MAX_KEY_BYTES)],
    ['é'.repeat(MAX_KEY_BYTES / 2)],
  ])('accepts %j', (key) => {
    expect(keyProblem(key)).toBeUndefined();
  });

  it.each([
    ['empty', '', /empty/],
    ['leading slash', '/a', /start with '\/'/],
    ['trailing slash', 'a/', /folder/],
    ['double slash', 'a//b', /empty segment/],
    ['dot segment', 'a/./b', /'\.' segment/],
    ['dot-dot segment', '../a', /'\.\.' segment/],
    ['lone dot', '.', /'\.' segment/],
    ['NUL', 'a\0b', /control/],
    ['control char', 'a\u001bb', /control/],
    ['DEL', '\u007f', /control/],
    ['C1 control', 'a\u0085', /control/],
    ['too long', 'k'.repeat(MAX_KEY_BYTES + 1), /at most 1024 bytes/],
    ['too long in UTF-8 bytes', '😀'.repeat(MAX_KEY_BYTES / 4 + 1), /at most 1024 bytes/],
    ['lone high surrogate', 'a\ud83d', /lone surrogate/],
    ['lone low surrogate', '\ude00b', /lone surrogate/],
  ])('rejects %s', (_name, key, problem) => {
    expect(keyProblem(key)).toMatch(problem);
  });

  it('rejects non-strings', () => {
    expect(keyProblem(42)).toMatch(/string, got number/);
    expect(keyProblem(null)).toMatch(/got null/);
    expect(keyProblem(undefined)).toMatch(/got undefined/);
  });
});

describe('keyProblem agrees with the rules as written', () => {
  // The rules of src/core/keys.ts's header, written the plain way.
  const valid = (k: string) =>
    k.length > 0 &&
    Buffer.byteLength(k, 'utf8') <= MAX_KEY_BYTES &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the rule is about them
    !/[\u0000-\u001f\u007f-\u009f]/.test(k) &&
    (k as string & { isWellFormed(): boolean }).isWellFormed() &&
    k.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');

  it('on random keys dense in dots, slashes, controls and non-ASCII', () => {
    const random = seeded(11);
    const alphabet = [
      '.',
      '.',
      '/',
      '/',
      'a',
      'b',
      ' ',
      '~',
      '\u001f',
      '\u007f',
      '\u0085',
      'é',
      '😀',
      '\ud800',
    ];
    for (let i = 0; i < 50_000; i++) {
      let k = '';
      const length = Math.floor(random() * 9);
      for (let j = 0; j < length; j++) k += alphabet[Math.floor(random() * alphabet.length)]!;
      expect(keyProblem(k) === undefined, JSON.stringify(k)).toBe(valid(k));
    }
  });

  it('at the length limit, in ASCII and in multi-byte characters', () => {
    for (const k of [
      'k'.repeat(MAX_KEY_BYTES),
      'k'.repeat(MAX_KEY_BYTES + 1),
      `${'k'.repeat(MAX_KEY_BYTES - 2)}é`,
    ]) {
      expect(keyProblem(k) === undefined, `${k.length} chars`).toBe(valid(k));
    }
  });
});

describe('assertKey', () => {
  it('throws InvalidKey with the operation and key', () => {
    try {
      assertKey('a//b', 'read');
      expect.unreachable();
    } catch (e) {
      expect(isStorageError(e, 'InvalidKey')).toBe(true);
      expect((e as { operation?: string }).operation).toBe('read');
      expect((e as { key?: string }).key).toBe('a//b');
      expect((e as Error).message).toContain('"a//b"');
    }
  });

  it('shortens a huge key in the message', () => {
    const huge = 'x'.repeat(5000);
    expect(() => assertKey(huge)).toThrow(/x{77}\.\.\./);
    expect(() => assertKey(huge)).not.toThrow(/x{100}/);
  });
});

describe('assertPrefix', () => {
  it.each([[''], ['a'], ['a/'], ['a/b'], ['v1'], ['.hidden/']])('accepts %j', (prefix) => {
    expect(() => assertPrefix(prefix)).not.toThrow();
  });
  it.each([['/a'], ['a\0'], ['a//b'], ['./a'], ['a/../b'], [42]])('rejects %j with InvalidKey', (prefix) => {
    try {
      assertPrefix(prefix);
      expect.unreachable();
    } catch (e) {
      expect(isStorageError(e, 'InvalidKey')).toBe(true);
    }
  });
});

describe('utf8Length', () => {
  it('agrees with Buffer.byteLength on random strings', () => {
    const random = seeded(7);
    for (let i = 0; i < 2000; i++) {
      const s = randomKeyish(random);
      expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
    }
  });
});

describe('compareKeys', () => {
  const bytewise = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

  it('agrees with Buffer.compare on random strings including astral characters', () => {
    const random = seeded(42);
    for (let i = 0; i < 20_000; i++) {
      const a = randomKeyish(random);
      const b = random() < 0.3 ? a + randomKeyish(random) : randomKeyish(random);
      expect(Math.sign(compareKeys(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(
        bytewise(a, b),
      );
      expect(Math.sign(compareKeys(b, a))).toBe(bytewise(b, a));
    }
  });

  it('sorts astral characters after U+E000..U+FFFF (unlike UTF-16 order)', () => {
    const keys = ['\u{1f600}', '\uffff', '\ue000', 'z', 'Z', '\u00e9'];
    expect([...keys].sort(compareKeys)).toEqual(['Z', 'z', '\u00e9', '\ue000', '\uffff', '\u{1f600}']);
    // JavaScript's default order disagrees, which is why compareKeys exists.
    expect([...keys].sort()).not.toEqual([...keys].sort(compareKeys));
  });

  it('puts a key before its extensions and is 0 only for equal keys', () => {
    expect(compareKeys('a', 'a/b')).toBeLessThan(0);
    expect(compareKeys('a/b', 'a')).toBeGreaterThan(0);
    expect(compareKeys('a-b', 'a/b')).toBeLessThan(0);
    expect(compareKeys('same', 'same')).toBe(0);
  });
});

describe('normalizePrefix', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['/', ''],
    ['a', 'a/'],
    ['/a/b/', 'a/b/'],
    ['a/b//', 'a/b/'],
  ])('%j -> %j', (input, expected) => {
    expect(normalizePrefix(input)).toBe(expected);
  });

  it('throws InvalidConfig for a prefix with a bad segment', () => {
    expect(() => normalizePrefix('a/../b')).toThrow(expect.objectContaining({ code: 'InvalidConfig' }));
    expect(() => normalizePrefix('a//b')).toThrow(expect.objectContaining({ code: 'InvalidConfig' }));
  });
});

describe('describeKey', () => {
  it('quotes strings and stringifies the rest', () => {
    expect(describeKey('a b')).toBe('"a b"');
    expect(describeKey(undefined)).toBe('undefined');
  });
});
