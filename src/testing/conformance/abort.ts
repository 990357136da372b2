/**
 * Cancellation: every call accepts an `AbortSignal`; a pre-aborted call
 * rejects with `Aborted`; a write aborted mid-way stores nothing and leaves
 * the previous version intact.
 */
import type { StorageBackend } from '../../core/backend.js';
import { equal, rejectsWith, sameBytes } from './assert.js';
import type { KitContext, TestScope } from './context.js';
import { collectList, randomBytes, slowStream } from './fixtures.js';

type Call = (b: StorageBackend, s: TestScope, signal: AbortSignal) => Promise<unknown>;

const CALLS: readonly (readonly [string, Call])[] = [
  ['read', (b, s, signal) => b.read(s.key('present'), { signal })],
  ['stream', (b, s, signal) => b.stream(s.key('present'), { signal })],
  ['write', (b, s, signal) => b.write(s.key('present'), 'new', { signal })],
  ['stat', (b, s, signal) => b.stat(s.key('present'), { signal })],
  ['exists', (b, s, signal) => b.exists(s.key('present'), { signal })],
  ['list', (b, s, signal) => collectList(b.list(s.prefix, { signal }))],
  ['delete', (b, s, signal) => b.delete(s.key('present'), { signal })],
  ['deleteMany', (b, s, signal) => b.deleteMany([s.key('present')], { signal })],
  ['copy', (b, s, signal) => b.copy(s.key('present'), s.key('copy'), { signal })],
  ['move', (b, s, signal) => b.move(s.key('present'), s.key('moved'), { signal })],
];

/** Registers the abort tests. */
export function abortTests(kit: KitContext): void {
  kit.describe('abort', () => {
    for (const [method, call] of CALLS) {
      kit.it(`${method}: a pre-aborted signal rejects with Aborted and changes nothing`, async (s) => {
        const bytes = randomBytes(100);
        await s.backend.write(s.key('present'), bytes);
        const controller = new AbortController();
        controller.abort(new Error('cancelled by the test'));
        await rejectsWith(
          () => call(s.backend, s, controller.signal),
          'Aborted',
          `${method} with an aborted signal`,
        );
        sameBytes(await s.backend.read(s.key('present')), bytes, `content after an aborted ${method}`);
        const keys = (await collectList(s.backend.list(s.prefix))).map((e) => e.key);
        equal(keys.join(','), s.key('present'), `objects after an aborted ${method}`);
      });
    }

    kit.it(
      'write: aborting mid-write of a slow stream rejects with Aborted and stores nothing',
      async (s) => {
        const controller = new AbortController();
        const body = slowStream({
          chunkSize: 16 * 1024,
          chunks: 500,
          delayMs: 10,
          onChunk: (n) => {
            if (n === 3) controller.abort();
          },
        });
        await rejectsWith(
          s.backend.write(s.key('aborted'), body, { signal: controller.signal }),
          'Aborted',
          'write aborted mid-way',
        );
        equal(await s.backend.exists(s.key('aborted')), false, 'exists after an aborted write');
        equal((await collectList(s.backend.list(s.prefix))).length, 0, 'objects after an aborted write');
      },
    );

    kit.it('write: aborting mid-write leaves the previous version intact', async (s) => {
      const old = randomBytes(5000);
      await s.backend.write(s.key('keep'), old);
      const controller = new AbortController();
      const body = slowStream({
        chunkSize: 64 * 1024,
        chunks: 500,
        delayMs: 10,
        onChunk: (n) => {
          if (n === 4) controller.abort();
        },
      });
      await rejectsWith(
        s.backend.write(s.key('keep'), body, { signal: controller.signal }),
        'Aborted',
        'overwrite aborted mid-way',
      );
      sameBytes(await s.backend.read(s.key('keep')), old, 'content after an aborted overwrite');
    });

    kit.it('write: aborting a write with a known size hint stores nothing', async (s) => {
      const controller = new AbortController();
      const body = slowStream({
        chunkSize: 1024,
        chunks: 100,
        delayMs: 10,
        onChunk: (n) => n === 2 && controller.abort(),
      });
      await rejectsWith(
        s.backend.write(s.key('sized'), body, { signal: controller.signal, size: 100 * 1024 }),
        'Aborted',
        'sized write aborted mid-way',
      );
      equal(await s.backend.exists(s.key('sized')), false, 'exists after an aborted sized write');
    });

    kit.it('list: aborting between entries rejects the iteration with Aborted', async (s) => {
      for (let i = 0; i < 5; i++) await s.backend.write(s.key(`l${i}`), 'x');
      const controller = new AbortController();
      const seen: string[] = [];
      await rejectsWith(
        async () => {
          for await (const entry of s.backend.list(s.prefix, { signal: controller.signal, pageSize: 1 })) {
            seen.push(entry.key);
            controller.abort();
          }
        },
        'Aborted',
        'listing aborted after the first entry',
      );
      equal(seen.length, 1, 'entries yielded before the abort took effect');
    });

    kit.it('an abort reason of any kind still gives Aborted', async (s) => {
      await s.backend.write(s.key('present'), 'x');
      for (const reason of [
        undefined,
        'a string',
        new DOMException('gone', 'AbortError'),
        { custom: true },
      ]) {
        const controller = new AbortController();
        controller.abort(reason);
        await rejectsWith(
          s.backend.read(s.key('present'), { signal: controller.signal }),
          'Aborted',
          `reason ${String(reason)}`,
        );
      }
      await rejectsWith(
        s.backend.read(s.key('present'), { signal: AbortSignal.abort() }),
        'Aborted',
        'AbortSignal.abort()',
      );
    });

    kit.it('a signal that never fires changes nothing', async (s) => {
      const controller = new AbortController();
      await s.backend.write(s.key('ok'), 'fine', { signal: controller.signal });
      const bytes = await s.backend.read(s.key('ok'), { signal: controller.signal });
      equal(Buffer.from(bytes).toString(), 'fine', 'read with a live signal');
      controller.abort();
      // Aborting after the calls finished affects nothing.
      equal(await s.backend.exists(s.key('ok')), true, 'exists after a late abort');
    });
  });
}
