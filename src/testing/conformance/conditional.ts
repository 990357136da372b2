/**
 * Conditional writes (`ifNotExists`, `ifMatch`) and reads (`ifMatch`,
 * `ifNoneMatch`), or `Unsupported` where the capability is false.
 */
import { ensure, equal, rejectsWith, sameBytes } from './assert.js';
import type { KitContext, TestScope } from './context.js';
import { randomBytes, readAll, readableOf } from './fixtures.js';

const WRITERS = 8;

async function text(s: TestScope, key: string): Promise<string> {
  return Buffer.from(await s.backend.read(key)).toString();
}

/** An etag that no object has. */
const WRONG_ETAG = '"00000000000000000000000000000000"';

/** Registers the conditional tests. */
export function conditionalTests(kit: KitContext): void {
  kit.describe('conditional writes and reads', () => {
    kit.it(
      'write: ifNotExists on an existing key rejects with AlreadyExists [conditionalWrite; else Unsupported]',
      async (s) => {
        await s.backend.write(s.key('c'), 'first');
        if (!s.caps.conditionalWrite) {
          await rejectsWith(
            s.backend.write(s.key('c'), 'x', { ifNotExists: true }),
            'Unsupported',
            'ifNotExists',
          );
          equal(await text(s, s.key('c')), 'first', 'content after an Unsupported ifNotExists');
          return;
        }
        await rejectsWith(
          s.backend.write(s.key('c'), 'second', { ifNotExists: true }),
          'AlreadyExists',
          'ifNotExists',
        );
        await rejectsWith(
          s.backend.write(s.key('c'), readableOf(randomBytes(1000)), { ifNotExists: true }),
          'AlreadyExists',
          'ifNotExists with a streamed body',
        );
        equal(await text(s, s.key('c')), 'first', 'content after a refused ifNotExists');
      },
    );

    kit.it(
      'write: ifNotExists on an absent key writes it [conditionalWrite; else Unsupported]',
      async (s) => {
        if (!s.caps.conditionalWrite) {
          await rejectsWith(
            s.backend.write(s.key('n'), 'x', { ifNotExists: true }),
            'Unsupported',
            'ifNotExists',
          );
          equal(await s.backend.exists(s.key('n')), false, 'nothing written by an Unsupported ifNotExists');
          return;
        }
        await s.backend.write(s.key('n'), 'new', { ifNotExists: true });
        equal(await text(s, s.key('n')), 'new', 'content');
        await s.backend.write(s.key('s'), readableOf(Buffer.from('streamed')), { ifNotExists: true });
        equal(await text(s, s.key('s')), 'streamed', 'content of a streamed ifNotExists write');
      },
    );

    kit.it(
      `write: of ${WRITERS} concurrent ifNotExists writers exactly one wins [conditionalWrite]`,
      async (s) => {
        const bodies = Array.from({ length: WRITERS }, (_, i) => `writer-${i}-${'x'.repeat(1000 * i)}`);
        const results = await Promise.allSettled(
          bodies.map((body) => s.backend.write(s.key('race'), body, { ifNotExists: true })),
        );
        if (!s.caps.conditionalWrite) {
          for (const r of results) {
            ensure(r.status === 'rejected', 'every ifNotExists write rejects without conditionalWrite');
            await rejectsWith(Promise.reject(r.reason), 'Unsupported', 'ifNotExists');
          }
          return;
        }
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        equal(winners.length, 1, `number of winners (results: ${results.map((r) => r.status).join(', ')})`);
        for (const r of results) {
          if (r.status === 'rejected')
            await rejectsWith(Promise.reject(r.reason), 'AlreadyExists', 'a losing writer');
        }
        equal(await text(s, s.key('race')), bodies[winners[0]!], 'the stored body is the winner’s');
      },
    );

    kit.it(
      'write: ifMatch not matching rejects with PreconditionFailed [conditionalWrite; else Unsupported]',
      async (s) => {
        const info = await s.backend.write(s.key('m'), 'first');
        if (!s.caps.conditionalWrite) {
          await rejectsWith(
            s.backend.write(s.key('m'), 'x', { ifMatch: info.etag ?? WRONG_ETAG }),
            'Unsupported',
            'ifMatch',
          );
          equal(await text(s, s.key('m')), 'first', 'content after an Unsupported ifMatch');
          return;
        }
        await rejectsWith(
          s.backend.write(s.key('m'), 'second', { ifMatch: WRONG_ETAG }),
          'PreconditionFailed',
          'ifMatch',
        );
        equal(await text(s, s.key('m')), 'first', 'content after a refused ifMatch');
        await rejectsWith(
          s.backend.write(s.key('absent'), 'x', { ifMatch: WRONG_ETAG }),
          ['PreconditionFailed', 'NotFound'],
          'ifMatch on an absent key',
        );
        equal(await s.backend.exists(s.key('absent')), false, 'nothing written by ifMatch on an absent key');
      },
    );

    kit.it('write: ifMatch with the current etag replaces the object [conditionalWrite]', async (s) => {
      const first = await s.backend.write(s.key('m'), 'first');
      if (!s.caps.conditionalWrite) {
        await rejectsWith(
          s.backend.write(s.key('m'), 'x', { ifMatch: first.etag ?? WRONG_ETAG }),
          'Unsupported',
          'ifMatch',
        );
        return;
      }
      ensure(first.etag !== undefined, 'a backend with conditionalWrite returns an etag from write');
      const second = await s.backend.write(s.key('m'), 'second', { ifMatch: first.etag });
      equal(await text(s, s.key('m')), 'second', 'content after a matching ifMatch');
      // The old etag no longer matches.
      await rejectsWith(
        s.backend.write(s.key('m'), 'third', { ifMatch: first.etag }),
        'PreconditionFailed',
        'stale ifMatch',
      );
      ensure(second.etag !== first.etag, 'the etag changed');
    });

    kit.it('write: ifNotExists and ifMatch together reject with InvalidArgument', async (s) => {
      await rejectsWith(
        s.backend.write(s.key('both'), 'x', { ifNotExists: true, ifMatch: WRONG_ETAG }),
        ['InvalidArgument', 'Unsupported'],
        'ifNotExists with ifMatch',
      );
    });

    kit.it(
      'read: ifMatch not matching rejects with PreconditionFailed [conditionalRead; else Unsupported]',
      async (s) => {
        const bytes = randomBytes(100);
        const info = await s.backend.write(s.key('r'), bytes);
        if (!s.caps.conditionalRead) {
          await rejectsWith(
            s.backend.read(s.key('r'), { ifMatch: WRONG_ETAG }),
            'Unsupported',
            'read ifMatch',
          );
          await rejectsWith(
            s.backend.stream(s.key('r'), { ifMatch: WRONG_ETAG }),
            'Unsupported',
            'stream ifMatch',
          );
          await rejectsWith(
            s.backend.stat(s.key('r'), { ifMatch: WRONG_ETAG }),
            'Unsupported',
            'stat ifMatch',
          );
          return;
        }
        ensure(info.etag !== undefined, 'a backend with conditionalRead returns an etag from write');
        await rejectsWith(
          s.backend.read(s.key('r'), { ifMatch: WRONG_ETAG }),
          'PreconditionFailed',
          'read ifMatch',
        );
        await rejectsWith(
          s.backend.stream(s.key('r'), { ifMatch: WRONG_ETAG }),
          'PreconditionFailed',
          'stream ifMatch',
        );
        await rejectsWith(
          s.backend.stat(s.key('r'), { ifMatch: WRONG_ETAG }),
          'PreconditionFailed',
          'stat ifMatch',
        );
        sameBytes(
          await s.backend.read(s.key('r'), { ifMatch: info.etag }),
          bytes,
          'read with a matching ifMatch',
        );
        sameBytes(
          await readAll(await s.backend.stream(s.key('r'), { ifMatch: info.etag })),
          bytes,
          'stream, matching',
        );
        equal(
          (await s.backend.stat(s.key('r'), { ifMatch: info.etag })).size,
          100,
          'stat with a matching ifMatch',
        );
      },
    );

    kit.it(
      'read: ifNoneMatch matching rejects with PreconditionFailed (content unchanged) [conditionalRead]',
      async (s) => {
        const bytes = randomBytes(100);
        const info = await s.backend.write(s.key('r'), bytes);
        if (!s.caps.conditionalRead) {
          await rejectsWith(
            s.backend.read(s.key('r'), { ifNoneMatch: WRONG_ETAG }),
            'Unsupported',
            'read ifNoneMatch',
          );
          await rejectsWith(
            s.backend.stat(s.key('r'), { ifNoneMatch: WRONG_ETAG }),
            'Unsupported',
            'stat ifNoneMatch',
          );
          return;
        }
        await rejectsWith(
          s.backend.read(s.key('r'), { ifNoneMatch: info.etag }),
          'PreconditionFailed',
          'read ifNoneMatch',
        );
        await rejectsWith(
          s.backend.stream(s.key('r'), { ifNoneMatch: info.etag }),
          'PreconditionFailed',
          'stream',
        );
        await rejectsWith(
          s.backend.stat(s.key('r'), { ifNoneMatch: info.etag }),
          'PreconditionFailed',
          'stat',
        );
        sameBytes(
          await s.backend.read(s.key('r'), { ifNoneMatch: WRONG_ETAG }),
          bytes,
          'read with another etag',
        );
        const changed = await s.backend.write(s.key('r'), 'changed');
        equal(
          Buffer.from(await s.backend.read(s.key('r'), { ifNoneMatch: info.etag })).toString(),
          'changed',
          'read with the old etag after a change',
        );
        ensure(changed.etag !== info.etag, 'the etag changed with the content');
      },
    );

    kit.it('read: a condition on an absent key rejects with NotFound [conditionalRead]', async (s) => {
      const code = s.caps.conditionalRead ? (['NotFound', 'PreconditionFailed'] as const) : 'Unsupported';
      await rejectsWith(
        s.backend.read(s.key('absent'), { ifMatch: WRONG_ETAG }),
        code,
        'read ifMatch of an absent key',
      );
      await rejectsWith(
        s.backend.read(s.key('absent'), { ifNoneMatch: WRONG_ETAG }),
        s.caps.conditionalRead ? 'NotFound' : 'Unsupported',
        'read ifNoneMatch of an absent key',
      );
    });
  });
}
