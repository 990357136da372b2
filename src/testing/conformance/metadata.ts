/**
 * Metadata: keys lower-cased, content type and headers round-trip where
 * `capabilities.metadata`; `Unsupported` for custom metadata elsewhere.
 */
import { deepEqual, ensure, equal, rejectsWith } from './assert.js';
import type { KitContext } from './context.js';

/** Registers the metadata tests. */
export function metadataTests(kit: KitContext): void {
  kit.describe('metadata', () => {
    kit.it(
      'write: metadata keys are lower-cased; content type and metadata round-trip [metadata; else Unsupported]',
      async (s) => {
        const metadata = { Owner: 'Alice', 'X-Trace-Id': 'abc-123', plain: 'value with spaces' };
        if (!s.caps.metadata) {
          await rejectsWith(
            s.backend.write(s.key('m'), 'x', { metadata }),
            'Unsupported',
            'write with metadata',
          );
          equal(
            await s.backend.exists(s.key('m')),
            false,
            'nothing written by an Unsupported metadata write',
          );
          return;
        }
        const info = await s.backend.write(s.key('m'), 'x', {
          metadata,
          contentType: 'application/x-stowage-test',
        });
        const expected = { owner: 'Alice', 'x-trace-id': 'abc-123', plain: 'value with spaces' };
        deepEqual(info.metadata, expected, 'metadata in the info write resolves with');
        equal(info.contentType, 'application/x-stowage-test', 'contentType in the info write resolves with');
        const stat = await s.backend.stat(s.key('m'));
        deepEqual(stat.metadata, expected, 'stat().metadata');
        equal(stat.contentType, 'application/x-stowage-test', 'stat().contentType');
      },
    );

    kit.it('write: without metadata, stat().metadata is an empty object', async (s) => {
      await s.backend.write(s.key('plain'), 'x');
      deepEqual((await s.backend.stat(s.key('plain'))).metadata, {}, 'stat().metadata');
    });

    kit.it('write: contentType round-trips, with parameters [metadata]', async (s) => {
      const info = await s.backend.write(s.key('t.txt'), 'hello', {
        contentType: 'text/plain; charset=utf-8',
      });
      if (!s.caps.metadata) {
        ensure(
          typeof info.size === 'number',
          'a write with a content type works without the metadata capability',
        );
        return;
      }
      equal(
        (await s.backend.stat(s.key('t.txt'))).contentType,
        'text/plain; charset=utf-8',
        'stat().contentType',
      );
    });

    kit.it('write: cacheControl, contentDisposition and contentEncoding round-trip [metadata]', async (s) => {
      const headers = {
        cacheControl: 'public, max-age=60',
        contentDisposition: 'attachment; filename="report.csv"',
        contentEncoding: 'identity',
      };
      await s.backend.write(s.key('h'), 'a,b\n1,2\n', headers);
      if (!s.caps.metadata) return void (await s.backend.read(s.key('h')));
      const stat = await s.backend.stat(s.key('h'));
      equal(stat.cacheControl, headers.cacheControl, 'stat().cacheControl');
      equal(stat.contentDisposition, headers.contentDisposition, 'stat().contentDisposition');
      equal(stat.contentEncoding, headers.contentEncoding, 'stat().contentEncoding');
    });

    kit.it('write: an overwrite replaces the metadata (nothing carried over) [metadata]', async (s) => {
      if (!s.caps.metadata) {
        await rejectsWith(
          s.backend.write(s.key('o'), 'x', { metadata: { a: '1' } }),
          'Unsupported',
          'metadata',
        );
        return;
      }
      await s.backend.write(s.key('o'), 'x', { metadata: { a: '1', b: '2' }, contentType: 'text/csv' });
      await s.backend.write(s.key('o'), 'y', { metadata: { c: '3' } });
      const stat = await s.backend.stat(s.key('o'));
      deepEqual(stat.metadata, { c: '3' }, 'metadata after overwrite');
      ensure(stat.contentType !== 'text/csv', 'the old content type is not carried over');
    });

    kit.it(
      'write: metadata with a non-ASCII key or a non-string value rejects with InvalidArgument',
      async (s) => {
        const codes = s.caps.metadata
          ? (['InvalidArgument'] as const)
          : (['InvalidArgument', 'Unsupported'] as const);
        await rejectsWith(
          s.backend.write(s.key('bad'), 'x', { metadata: { clé: 'v' } }),
          codes,
          'non-ASCII key',
        );
        await rejectsWith(
          s.backend.write(s.key('bad'), 'x', { metadata: { 'a b': 'v' } }),
          codes,
          'key with a space',
        );
        await rejectsWith(
          s.backend.write(s.key('bad'), 'x', { metadata: { n: 1 as unknown as string } }),
          codes,
          'number value',
        );
        equal(await s.backend.exists(s.key('bad')), false, 'nothing written with bad metadata');
      },
    );
  });
}
