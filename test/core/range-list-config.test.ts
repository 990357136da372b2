import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Entry } from '../../src/core/backend.js';
import { parseOptions } from '../../src/core/config.js';
import { groupByDelimiter } from '../../src/core/list.js';
import { resolveRange } from '../../src/core/range.js';

describe('resolveRange', () => {
  it.each([
    [undefined, 10, { start: 0, end: 10 }],
    [{ offset: 0 }, 10, { start: 0, end: 10 }],
    [{ offset: 2, length: 3 }, 10, { start: 2, end: 5 }],
    [{ offset: 8, length: 100 }, 10, { start: 8, end: 10 }],
    [{ offset: 3, length: 0 }, 10, { start: 3, end: 3 }],
    [{ offset: 0 }, 0, { start: 0, end: 0 }],
    [{ offset: 0, length: 5 }, 0, { start: 0, end: 0 }],
  ])('%j of %d bytes -> %j', (range, size, expected) => {
    expect(resolveRange(range, size)).toEqual(expected);
  });

  it.each([[{ offset: 10 }], [{ offset: 11, length: 1 }]])('%j of 10 bytes is InvalidArgument', (range) => {
    expect(() => resolveRange(range, 10)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it('rejects an offset past the end of an empty object', () => {
    expect(() => resolveRange({ offset: 1 }, 0)).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
  });
});

describe('groupByDelimiter', () => {
  const object = (key: string): Entry => ({
    type: 'object',
    key,
    size: 0,
    lastModified: new Date(0),
    metadata: {},
  });
  async function* from(keys: string[]): AsyncGenerator<Entry> {
    for (const k of keys) yield object(k);
  }
  async function run(keys: string[], prefix: string) {
    const out: string[] = [];
    for await (const e of groupByDelimiter(from(keys), prefix))
      out.push(e.type === 'prefix' ? `${e.key}*` : e.key);
    return out;
  }

  it('yields objects directly under the prefix and one entry per folder, in order', async () => {
    expect(await run(['p/a', 'p/b/1', 'p/b/2', 'p/b/c/3', 'p/c', 'p/d/1'], 'p/')).toEqual([
      'p/a',
      'p/b/*',
      'p/c',
      'p/d/*',
    ]);
  });

  it('groups on the first slash after a partial prefix', async () => {
    expect(await run(['p/a/1', 'p/ab', 'p/ac/2'], 'p/a')).toEqual(['p/a/*', 'p/ab', 'p/ac/*']);
  });

  it('with an empty prefix groups top-level folders', async () => {
    expect(await run(['a/1', 'a/2', 'b', 'c/d/e'], '')).toEqual(['a/*', 'b', 'c/*']);
  });
});

describe('parseOptions', () => {
  const schema = z
    .object({ bucket: z.string(), nested: z.object({ size: z.number() }).strict().optional() })
    .strict();

  it('returns the parsed options', () => {
    expect(parseOptions(schema, { bucket: 'b' }, 's3')).toEqual({ bucket: 'b' });
  });

  it('throws InvalidConfig naming each zod path and never echoing values', () => {
    try {
      parseOptions(schema, { bucket: 42, nested: { size: 'SECRET-VALUE' }, typo: 'x' }, 's3');
      expect.unreachable();
    } catch (e) {
      const error = e as { code: string; message: string; backend?: string };
      expect(error.code).toBe('InvalidConfig');
      expect(error.backend).toBe('s3');
      expect(error.message).toMatch(/^\[stowage\] \[s3\] Invalid options: /);
      expect(error.message).toContain('bucket:');
      expect(error.message).toContain('nested.size:');
      expect(error.message).toContain('unknown option(s) `typo`');
      expect(error.message).not.toContain('SECRET-VALUE');
    }
  });

  it('treats undefined input as no options', () => {
    expect(() => parseOptions(schema, undefined, 's3')).toThrow(
      expect.objectContaining({ code: 'InvalidConfig' }),
    );
    expect(parseOptions(z.object({}).strict(), undefined, 'memory')).toEqual({});
  });
});
