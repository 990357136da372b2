/**
 * `stream()`: NotFound before any byte, byte-exact content, and early
 * destruction that releases the connection without an integrity error.
 */
import type { Readable } from 'node:stream';
import { ensure, equal, rejectsWith, sameBytes } from './assert.js';
import type { KitContext } from './context.js';
import { randomBytes, readAll } from './fixtures.js';

/** Waits until a stream is closed (or has errored), returning its error if any. */
function settled(stream: Readable): Promise<Error | undefined> {
  return new Promise((resolve) => {
    if (stream.closed || stream.destroyed) {
      resolve(stream.errored ?? undefined);
      return;
    }
    stream.once('close', () => resolve(stream.errored ?? undefined));
  });
}

/** Registers the stream tests. */
export function streamTests(kit: KitContext): void {
  kit.describe('stream', () => {
    kit.it('stream: rejects with NotFound before any byte flows when the key is absent', async (s) => {
      await rejectsWith(s.backend.stream(s.key('absent')), 'NotFound', 'stream of an absent key');
    });

    kit.it('stream: yields the whole object byte-exact as a Node Readable', async (s) => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      await s.backend.write(s.key('big'), bytes);
      const stream = await s.backend.stream(s.key('big'));
      ensure(
        typeof stream.pipe === 'function' && typeof stream.on === 'function',
        'stream() resolves with a Readable',
      );
      sameBytes(await readAll(stream), bytes, 'streamed content');
    });

    kit.it('stream: a zero-byte object yields no bytes and ends', async (s) => {
      await s.backend.write(s.key('empty'), '');
      sameBytes(
        await readAll(await s.backend.stream(s.key('empty'))),
        new Uint8Array(0),
        'streamed empty object',
      );
    });

    kit.it(
      'stream: destroying the stream early is not an integrity error, and a following read works',
      async (s) => {
        const bytes = randomBytes(4 * 1024 * 1024);
        await s.backend.write(s.key('early'), bytes);
        const stream = await s.backend.stream(s.key('early'));
        const errors: unknown[] = [];
        stream.on('error', (e) => errors.push(e));
        // Take one chunk, then give up.
        await new Promise<void>((resolve, reject) => {
          stream.once('data', () => resolve());
          stream.once('error', reject);
          stream.once('end', () => resolve());
        });
        stream.destroy();
        const error = await settled(stream);
        ensure(
          error === undefined ||
            !/integrity/i.test(String((error as { code?: unknown }).code ?? error.message)),
          `destroying a stream early raised ${String(error)}`,
        );
        for (const e of errors) {
          ensure(
            (e as { code?: unknown }).code !== 'IntegrityError',
            'early destroy raised an IntegrityError',
          );
        }
        sameBytes(await s.backend.read(s.key('early')), bytes, 'read after an early destroy');
      },
    );

    kit.it('stream: many streams destroyed early in a row do not exhaust connections', async (s) => {
      await s.backend.write(s.key('many'), randomBytes(1024 * 1024));
      for (let i = 0; i < 60; i++) {
        const stream = await s.backend.stream(s.key('many'));
        stream.on('error', () => {});
        stream.destroy();
        await settled(stream);
      }
      equal((await s.backend.read(s.key('many'))).byteLength, 1024 * 1024, 'read after 60 early destroys');
    });

    kit.it('stream: a stream opened before an overwrite delivers one whole version', async (s) => {
      const first = randomBytes(500_000);
      const second = randomBytes(500_000);
      await s.backend.write(s.key('v'), first);
      const stream = await s.backend.stream(s.key('v'));
      const reading = readAll(stream);
      await s.backend.write(s.key('v'), second);
      const got = await reading.catch((e: unknown) => e);
      // Either version is fine, or a clean error; a mix of both is not.
      if (got instanceof Uint8Array) {
        const isFirst = Buffer.compare(Buffer.from(got), Buffer.from(first)) === 0;
        const isSecond = Buffer.compare(Buffer.from(got), Buffer.from(second)) === 0;
        ensure(isFirst || isSecond, 'a stream that raced an overwrite delivered a mix of versions');
      }
      sameBytes(await s.backend.read(s.key('v')), second, 'read after the overwrite');
    });
  });
}
