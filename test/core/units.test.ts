import { describe, expect, it } from 'vitest';
import { isStorageError } from '../../src/core/errors.js';
import { parseDuration, parseSize } from '../../src/core/units.js';

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [250, 250],
    [1.5, 1.5],
    ['250', 250],
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    [' 10 S ', 10_000],
  ])('%j -> %d ms', (input, ms) => {
    expect(parseDuration(input, 'timeout')).toBe(ms);
  });

  it.each([
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ['soon'],
    ['10 parsecs'],
    ['-5s'],
    [''],
    ['1e3'],
    [null],
    [{}],
  ])('rejects %j with InvalidConfig naming the option', (input) => {
    try {
      parseDuration(input as never, 'idleMs');
      expect.unreachable();
    } catch (e) {
      expect(isStorageError(e, 'InvalidConfig')).toBe(true);
      expect((e as Error).message).toContain('`idleMs`');
    }
  });

  it('uses the code it is given', () => {
    expect(() => parseDuration('x', 'expiresIn', 'InvalidArgument')).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
  });
});

describe('parseSize', () => {
  it.each([
    [0, 0],
    [1024, 1024],
    ['1024', 1024],
    ['1b', 1],
    ['1KB', 1000],
    ['1kb', 1000],
    ['1KiB', 1024],
    ['64MiB', 64 * 2 ** 20],
    ['1GB', 1e9],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['10M', 10 * 2 ** 20],
    ['2t', 2 * 2 ** 40],
    ['0.5KiB', 512],
    ['1.3b', 1],
  ])('%j -> %d bytes', (input, bytes) => {
    expect(parseSize(input, 'maxSize')).toBe(bytes);
  });

  it.each([[-1], ['lots'], ['5 XB'], ['-1MiB'], [''], [Number.NaN], [undefined]])(
    'rejects %j with InvalidConfig naming the option',
    (input) => {
      expect(() => parseSize(input as never, 'partSize')).toThrow(
        expect.objectContaining({ code: 'InvalidConfig', message: expect.stringContaining('`partSize`') }),
      );
    },
  );
});
