/** meterWrite: when a streamed write body is metered, and what metering keeps. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { Progress } from '../../src/core/backend.js';
import { collect, meterWrite, prepareBody } from '../../src/core/body.js';

function byteStream(parts: string[]): Readable {
  return new Readable({
    read() {
      const next = parts.shift();
      this.push(next === undefined ? null : Buffer.from(next));
    },
  });
}

describe('meterWrite', () => {
  it('hands a byte stream over as it is when there is nothing to count, check or stop', async () => {
    const source = byteStream(['ab', 'c']);
    const metered = meterWrite(prepareBody(source), {});
    const given = metered.body.stream();
    expect(given).toBe(source);
    expect(Buffer.from(await collect(given)).toString()).toBe('abc');
    metered.dispose();
  });

  it('keeps a failing direct source from crashing the process, and reports its error', async () => {
    const source = byteStream(['ab']);
    const metered = meterWrite(prepareBody(source), {});
    const given = metered.body.stream();
    const error = new Error('source broke');
    given.destroy(error); // nobody but the core listens: a pulling backend between reads
    await new Promise((resolve) => setImmediate(resolve));
    expect(metered.streamError()).toBe(error);
    metered.dispose();
  });

  it('meters when a size, progress or signal is given', async () => {
    const cases = [
      [3, {}],
      [undefined, { onProgress: () => {} }],
      [undefined, { signal: new AbortController().signal }],
    ] as const;
    for (const [size, options] of cases) {
      const source = byteStream(['abc']);
      const metered = meterWrite(prepareBody(source, size), options);
      const given = metered.body.stream();
      expect(given).not.toBe(source);
      expect(Buffer.from(await collect(given)).toString()).toBe('abc');
      metered.dispose();
    }
  });

  it('meters object-mode and string-decoding streams, so their chunks are checked', async () => {
    const storage = memory();
    await expect(
      storage.write('bad', Readable.from([Buffer.from('a'), 42 as unknown as Buffer])),
    ).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/yielded number/) });
    expect(await storage.exists('bad')).toBe(false);
    const decoded = byteStream(['hé', 'llo']);
    decoded.setEncoding('utf8');
    await storage.write('decoded', decoded);
    expect(Buffer.from(await storage.read('decoded')).toString()).toBe('héllo');
  });

  it('still reports progress, checks sizes and aborts through the public write', async () => {
    const storage = memory();
    const events: Progress[] = [];
    await storage.write('p', byteStream(['ab', 'cd']), { onProgress: (p) => events.push(p) });
    expect(events.at(-1)).toEqual({ loaded: 4, total: undefined });
    await expect(storage.write('s', byteStream(['ab']), { size: 3 })).rejects.toMatchObject({
      code: 'IntegrityError',
    });
    const controller = new AbortController();
    const endless = new Readable({
      read() {
        setTimeout(() => {
          controller.abort();
          this.push(Buffer.alloc(16));
        }, 1);
      },
    });
    await expect(storage.write('a', endless, { signal: controller.signal })).rejects.toMatchObject({
      code: 'Aborted',
    });
    expect(await storage.exists('s')).toBe(false);
    expect(await storage.exists('a')).toBe(false);
  });
});
