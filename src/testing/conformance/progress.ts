/**
 * Progress: events are monotonic and the last one has `loaded === size`, for
 * writes of every body kind and for reads and streams.
 */
import type { Body, Progress } from '../../core/backend.js';
import { ensure, equal, sameBytes } from './assert.js';
import type { KitContext } from './context.js';
import { chunked, randomBytes, readAll, readableOf, webStreamOf } from './fixtures.js';

/** Checks a progress log: at least one event, never decreasing, last `loaded === size`. */
function checkProgress(events: readonly Progress[], size: number, what: string): void {
  ensure(events.length > 0, `${what}: at least one progress event`);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    ensure(
      Number.isFinite(e.loaded) && e.loaded >= 0,
      `${what}: loaded is a non-negative number (${e.loaded})`,
    );
    if (i > 0)
      ensure(
        e.loaded >= events[i - 1]!.loaded,
        `${what}: loaded went from ${events[i - 1]!.loaded} to ${e.loaded}`,
      );
    if (e.total !== undefined)
      ensure(e.loaded <= e.total, `${what}: loaded ${e.loaded} is over total ${e.total}`);
  }
  equal(events[events.length - 1]!.loaded, size, `${what}: loaded of the last event`);
}

const SIZE = 600_000;

const KINDS: readonly (readonly [string, (b: Uint8Array) => Body])[] = [
  ['Uint8Array', (b) => b],
  ['string', (b) => Buffer.from(b).toString('latin1')],
  ['Readable', (b) => readableOf(b, 50_000)],
  ['ReadableStream', (b) => webStreamOf(b, 50_000)],
  ['AsyncIterable', (b) => chunked(b, 50_000)],
  ['Blob', (b) => new Blob([b as BlobPart])],
];

/** Registers the progress tests. */
export function progressTests(kit: KitContext): void {
  kit.describe('progress', () => {
    for (const [kind, make] of KINDS) {
      kit.it(
        `write: progress of a ${kind} body is monotonic and its last event has loaded === size`,
        async (s) => {
          // The string body is ASCII, so its UTF-8 size is its length.
          const bytes = kind === 'string' ? Buffer.from('abcdefghij'.repeat(SIZE / 10)) : randomBytes(SIZE);
          const events: Progress[] = [];
          const info = await s.backend.write(s.key('p'), make(bytes), {
            onProgress: (p) => events.push({ ...p }),
          });
          checkProgress(events, info.size, `write of a ${kind}`);
          equal(info.size, bytes.byteLength, 'size written');
        },
      );
    }

    kit.it('write: progress of a zero-byte body ends with loaded === 0', async (s) => {
      for (const [kind, body] of [
        ['Uint8Array', new Uint8Array(0)],
        ['Readable', readableOf(new Uint8Array(0))],
      ] as const) {
        const events: Progress[] = [];
        await s.backend.write(s.key(`z-${kind}`), body, { onProgress: (p) => events.push({ ...p }) });
        checkProgress(events, 0, `write of an empty ${kind}`);
      }
    });

    kit.it('write: progress with a size hint reports that total', async (s) => {
      const bytes = randomBytes(SIZE);
      const events: Progress[] = [];
      await s.backend.write(s.key('t'), readableOf(bytes, 40_000), {
        size: SIZE,
        onProgress: (p) => events.push({ ...p }),
      });
      checkProgress(events, SIZE, 'sized write');
      const last = events[events.length - 1]!;
      ensure(last.total === undefined || last.total === SIZE, `total of the last event is ${last.total}`);
    });

    kit.it('read: progress is monotonic and its last event has loaded === bytes delivered', async (s) => {
      const bytes = randomBytes(SIZE);
      await s.backend.write(s.key('r'), bytes);
      const events: Progress[] = [];
      const got = await s.backend.read(s.key('r'), { onProgress: (p) => events.push({ ...p }) });
      sameBytes(got, bytes, 'content read with progress');
      checkProgress(events, SIZE, 'read');
      if (s.caps.rangeRead) {
        const ranged: Progress[] = [];
        const part = await s.backend.read(s.key('r'), {
          range: { offset: 1000, length: 5000 },
          onProgress: (p) => ranged.push({ ...p }),
        });
        equal(part.byteLength, 5000, 'ranged read length');
        checkProgress(ranged, 5000, 'ranged read');
      }
    });

    kit.it('stream: progress is monotonic and its last event has loaded === bytes delivered', async (s) => {
      const bytes = randomBytes(SIZE);
      await s.backend.write(s.key('st'), bytes);
      const events: Progress[] = [];
      const stream = await s.backend.stream(s.key('st'), { onProgress: (p) => events.push({ ...p }) });
      sameBytes(await readAll(stream), bytes, 'content streamed with progress');
      checkProgress(events, SIZE, 'stream');
    });
  });
}
