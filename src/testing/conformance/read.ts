/**
 * Reads, ranges, stat and exists: absent keys, exact ranges with clipping,
 * invalid ranges, and the fields of `stat`.
 */
import type { ReadOptions } from '../../core/backend.js';
import { ensure, equal, rejectsWith, sameBytes } from './assert.js';
import type { KitContext, TestScope } from './context.js';
import { randomBytes, readAll } from './fixtures.js';

const SIZE = 10_000;

/** Reads a range with both `read` and `stream`, checks both give `expected`. */
async function rangeBoth(
  s: TestScope,
  key: string,
  range: ReadOptions['range'],
  expected: Uint8Array,
): Promise<void> {
  const what = `range ${JSON.stringify(range)}`;
  sameBytes(await s.backend.read(key, { range }), expected, `read ${what}`);
  sameBytes(await readAll(await s.backend.stream(key, { range })), expected, `stream ${what}`);
}

/** Registers the read, range, stat and exists tests. */
export function readTests(kit: KitContext): void {
  kit.describe('read, range, stat, exists', () => {
    kit.it('read: an absent key rejects with NotFound', async (s) => {
      await rejectsWith(s.backend.read(s.key('absent')), 'NotFound', 'read of an absent key');
      await rejectsWith(
        s.backend.read(s.key('absent/deeper/key.txt')),
        'NotFound',
        'read of an absent nested key',
      );
    });

    kit.it('read: a key that is only a folder of other keys rejects with NotFound', async (s) => {
      await s.backend.write(s.key('dir/file'), 'x');
      await rejectsWith(s.backend.read(s.key('dir')), 'NotFound', 'read of a folder name');
      await rejectsWith(s.backend.stat(s.key('dir')), 'NotFound', 'stat of a folder name');
      equal(await s.backend.exists(s.key('dir')), false, 'exists of a folder name');
    });

    kit.it('read: a range returns exactly the bytes asked for [rangeRead; else Unsupported]', async (s) => {
      const bytes = randomBytes(SIZE);
      await s.backend.write(s.key('r'), bytes);
      if (!s.caps.rangeRead) {
        await rejectsWith(
          s.backend.read(s.key('r'), { range: { offset: 1, length: 2 } }),
          'Unsupported',
          'read with range',
        );
        await rejectsWith(
          s.backend.stream(s.key('r'), { range: { offset: 1 } }),
          'Unsupported',
          'stream with range',
        );
        return;
      }
      await rangeBoth(s, s.key('r'), { offset: 0, length: 1 }, bytes.subarray(0, 1));
      await rangeBoth(s, s.key('r'), { offset: 100, length: 1000 }, bytes.subarray(100, 1100));
      await rangeBoth(s, s.key('r'), { offset: SIZE - 1, length: 1 }, bytes.subarray(SIZE - 1));
      await rangeBoth(s, s.key('r'), { offset: 4321 }, bytes.subarray(4321));
      await rangeBoth(s, s.key('r'), { offset: 0 }, bytes);
    });

    kit.it('read: a range length past the end is clipped [rangeRead]', async (s) => {
      const bytes = randomBytes(SIZE);
      await s.backend.write(s.key('r'), bytes);
      if (!s.caps.rangeRead) {
        await rejectsWith(
          s.backend.read(s.key('r'), { range: { offset: 0, length: SIZE * 2 } }),
          'Unsupported',
          'range',
        );
        return;
      }
      await rangeBoth(s, s.key('r'), { offset: SIZE - 10, length: 1000 }, bytes.subarray(SIZE - 10));
      await rangeBoth(s, s.key('r'), { offset: 0, length: SIZE * 2 }, bytes);
    });

    kit.it('read: a zero-length range returns no bytes [rangeRead]', async (s) => {
      const bytes = randomBytes(SIZE);
      await s.backend.write(s.key('r'), bytes);
      if (!s.caps.rangeRead) {
        await rejectsWith(
          s.backend.read(s.key('r'), { range: { offset: 5, length: 0 } }),
          'Unsupported',
          'range',
        );
        return;
      }
      await rangeBoth(s, s.key('r'), { offset: 5, length: 0 }, new Uint8Array(0));
      await rangeBoth(s, s.key('r'), { offset: 0, length: 0 }, new Uint8Array(0));
    });

    kit.it(
      'read: an offset at or past the end of a non-empty object rejects with InvalidArgument [rangeRead]',
      async (s) => {
        await s.backend.write(s.key('r'), randomBytes(100));
        const code = s.caps.rangeRead ? 'InvalidArgument' : 'Unsupported';
        for (const offset of [100, 101, 1_000_000]) {
          await rejectsWith(
            s.backend.read(s.key('r'), { range: { offset } }),
            code,
            `read at offset ${offset} of 100 bytes`,
          );
          await rejectsWith(
            s.backend.stream(s.key('r'), { range: { offset, length: 5 } }),
            code,
            `stream at offset ${offset} of 100 bytes`,
          );
        }
      },
    );

    kit.it('read: offset 0 of a zero-byte object returns no bytes [rangeRead]', async (s) => {
      await s.backend.write(s.key('empty'), new Uint8Array(0));
      if (!s.caps.rangeRead) {
        await rejectsWith(s.backend.read(s.key('empty'), { range: { offset: 0 } }), 'Unsupported', 'range');
        return;
      }
      await rangeBoth(s, s.key('empty'), { offset: 0 }, new Uint8Array(0));
      await rangeBoth(s, s.key('empty'), { offset: 0, length: 10 }, new Uint8Array(0));
    });

    kit.it('read: a negative or fractional offset or length rejects with InvalidArgument', async (s) => {
      await s.backend.write(s.key('r'), randomBytes(100));
      const bad: ReadOptions['range'][] = [
        { offset: -1 },
        { offset: 1.5 },
        { offset: 0, length: -1 },
        { offset: 0, length: 2.5 },
        { offset: Number.NaN },
        { offset: Number.POSITIVE_INFINITY },
        { offset: '1' as unknown as number },
      ];
      // Without rangeRead the capability check may come first; both refuse the call.
      const codes = s.caps.rangeRead
        ? (['InvalidArgument'] as const)
        : (['InvalidArgument', 'Unsupported'] as const);
      for (const range of bad) {
        await rejectsWith(
          s.backend.read(s.key('r'), { range }),
          codes,
          `read with range ${String(JSON.stringify(range))}`,
        );
        await rejectsWith(
          s.backend.stream(s.key('r'), { range }),
          codes,
          `stream with range ${JSON.stringify(range)}`,
        );
      }
    });

    kit.it('stat: an absent key rejects with NotFound', async (s) => {
      await rejectsWith(s.backend.stat(s.key('absent')), 'NotFound', 'stat of an absent key');
    });

    kit.it('stat: describes an object (key, size, lastModified Date, metadata object)', async (s) => {
      const before = Date.now();
      await s.backend.write(s.key('s.bin'), randomBytes(1234));
      const info = await s.backend.stat(s.key('s.bin'));
      equal(info.key, s.key('s.bin'), 'stat().key');
      equal(info.size, 1234, 'stat().size');
      ensure(info.lastModified instanceof Date, 'stat().lastModified is a Date');
      ensure(!Number.isNaN(info.lastModified.getTime()), 'stat().lastModified is a valid Date');
      // Clocks of remote services drift; only absurd values are errors.
      ensure(
        Math.abs(info.lastModified.getTime() - before) < 24 * 3600 * 1000,
        `stat().lastModified ${info.lastModified.toISOString()} is within a day of now`,
      );
      ensure(typeof info.metadata === 'object' && info.metadata !== null, 'stat().metadata is an object');
      if (info.etag !== undefined)
        ensure(typeof info.etag === 'string' && info.etag.length > 0, 'etag is a string');
    });

    kit.it('stat: the etag changes when the content changes', async (s) => {
      const first = await s.backend.write(s.key('e'), 'one');
      const second = await s.backend.write(s.key('e'), 'two');
      if (first.etag === undefined || second.etag === undefined) {
        equal(first.etag, second.etag, 'a backend without etags has none on either write');
        return;
      }
      ensure(first.etag !== second.etag, `etag changed after new content (${first.etag} vs ${second.etag})`);
      equal((await s.backend.stat(s.key('e'))).etag, second.etag, 'stat().etag is the latest');
    });

    kit.it('exists: resolves false for an absent key and true for a written one', async (s) => {
      equal(await s.backend.exists(s.key('x')), false, 'exists before write');
      await s.backend.write(s.key('x'), 'x');
      equal(await s.backend.exists(s.key('x')), true, 'exists after write');
      equal(await s.backend.exists(s.key('x/y')), false, 'exists of a key under an object');
      await s.backend.delete(s.key('x'));
      equal(await s.backend.exists(s.key('x')), false, 'exists after delete');
    });

    kit.it('read returns a copy: changing it does not change the stored object', async (s) => {
      const bytes = randomBytes(64);
      const original = Uint8Array.from(bytes);
      await s.backend.write(s.key('c'), bytes);
      const first = await s.backend.read(s.key('c'));
      first.fill(0);
      sameBytes(await s.backend.read(s.key('c')), original, 'second read after mutating the first');
    });

    kit.it(
      'write keeps its own copy: changing the written buffer afterwards does not change the object',
      async (s) => {
        const bytes = randomBytes(64);
        const original = Uint8Array.from(bytes);
        await s.backend.write(s.key('w'), bytes);
        bytes.fill(0);
        sameBytes(await s.backend.read(s.key('w')), original, 'read after mutating the written buffer');
      },
    );
  });
}
