import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../src/core/backend.js';
import { bodyToBytes, collect, isBody, meter, prepareBody, toReadable } from '../../src/core/body.js';
import { isStorageError } from '../../src/core/errors.js';

const bytes = new Uint8Array(Array.from({ length: 1000 }, (_, i) => i % 251));

async function* chunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.byteLength; i += size) yield data.subarray(i, i + size);
}

function webStream(data: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(data.slice(0, 10));
      controller.enqueue(data.slice(10));
      controller.close();
    },
  });
}

const KINDS: [string, () => unknown, number | undefined][] = [
  ['Uint8Array', () => bytes, 1000],
  ['Buffer', () => Buffer.from(bytes), 1000],
  ['string', () => 'héllo', 6],
  ['Readable', () => Readable.from([Buffer.from(bytes)]), undefined],
  ['web ReadableStream', () => webStream(bytes), undefined],
  ['AsyncIterable', () => chunks(bytes, 7), undefined],
  ['Blob', () => new Blob([bytes]), 1000],
];

describe('prepareBody', () => {
  it.each(KINDS)('%s: knows its size when it can and streams the exact bytes', async (_kind, make, size) => {
    const body = make();
    expect(isBody(body)).toBe(true);
    const prepared = prepareBody(body);
    expect(prepared.size).toBe(size);
    const expected = typeof body === 'string' ? Buffer.from(body) : bytes;
    expect(Buffer.from(await collect(prepared.stream()))).toEqual(Buffer.from(expected));
  });

  it('keeps in-memory bodies as bytes', () => {
    expect(prepareBody('abc').bytes).toEqual(new TextEncoder().encode('abc'));
    expect(prepareBody(bytes).bytes).toBe(bytes);
    expect(prepareBody(Readable.from([])).bytes).toBeUndefined();
  });

  it('passes the size hint through for streams', () => {
    expect(prepareBody(chunks(bytes, 10), 1000).size).toBe(1000);
  });

  it.each([
    ['bytes', () => bytes],
    ['string', () => 'abc'],
    ['Blob', () => new Blob(['abc'])],
  ])('rejects a size hint that disagrees with an in-memory %s', (_kind, make) => {
    expect(() => prepareBody(make(), 999_999)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it.each([[42], [null], [undefined], [{}], [[1, 2]], [true]])('rejects %j with InvalidArgument', (body) => {
    expect(isBody(body)).toBe(false);
    try {
      prepareBody(body);
      expect.unreachable();
    } catch (e) {
      expect(isStorageError(e, 'InvalidArgument')).toBe(true);
      expect((e as Error).message).toMatch(/Uint8Array, string, Readable/);
    }
  });
});

describe('toReadable and bodyToBytes', () => {
  it.each(KINDS)('%s round-trips', async (_kind, make) => {
    const body = make();
    const expected = typeof body === 'string' ? Buffer.from(body) : Buffer.from(bytes);
    expect(Buffer.from(await collect(toReadable(make() as never)))).toEqual(expected);
    expect(Buffer.from(await bodyToBytes(make() as never))).toEqual(expected);
  });

  it('bodyToBytes enforces maxBytes', async () => {
    await expect(bodyToBytes(chunks(bytes, 100), 500)).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});

describe('meter', () => {
  async function run(source: AsyncIterable<unknown>, options: Parameters<typeof meter>[0]) {
    const counter = meter(options);
    const out: Buffer[] = [];
    counter.on('data', (c: Buffer) => out.push(c));
    await pipeline(Readable.from(source as AsyncIterable<Uint8Array>, { objectMode: true }), counter);
    return { counter, data: Buffer.concat(out) };
  }

  it('counts bytes and reports monotonic progress ending at the size', async () => {
    const events: Progress[] = [];
    const { counter, data } = await run(chunks(bytes, 64), {
      expectedSize: 1000,
      onProgress: (p) => events.push(p),
    });
    expect(counter.bytes).toBe(1000);
    expect(data).toEqual(Buffer.from(bytes));
    expect(events.at(-1)).toEqual({ loaded: 1000, total: 1000 });
    for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThan(events[i - 1]!.loaded);
  });

  it('fails with IntegrityError when the stream is shorter than expected', async () => {
    await expect(run(chunks(bytes, 64), { expectedSize: 1001 })).rejects.toMatchObject({
      code: 'IntegrityError',
      message: expect.stringMatching(/ended after 1000 bytes but 1001/),
    });
  });

  it('fails with IntegrityError as soon as the stream is longer than expected', async () => {
    await expect(run(chunks(bytes, 64), { expectedSize: 999 })).rejects.toMatchObject({
      code: 'IntegrityError',
      message: expect.stringMatching(/longer than the declared size of 999/),
    });
  });

  it('accepts strings and Uint8Array chunks', async () => {
    const { data } = await run(
      (async function* () {
        yield 'ab';
        yield new Uint8Array([99]);
      })(),
      {},
    );
    expect(data.toString()).toBe('abc');
  });

  it('rejects a chunk that is not bytes with InvalidArgument', async () => {
    await expect(
      run(
        (async function* () {
          yield new Uint8Array([1]);
          yield { not: 'bytes' };
        })(),
        {},
      ),
    ).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/yielded Object/) });
  });
});

describe('collect', () => {
  it('joins chunks and handles empty streams', async () => {
    expect(Buffer.from(await collect(chunks(bytes, 3)))).toEqual(Buffer.from(bytes));
    expect((await collect(Readable.from([]))).byteLength).toBe(0);
  });
});
