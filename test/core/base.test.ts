import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DeleteOptions, Entry, ObjectInfo, ReadOptions, StatOptions } from '../../src/core/backend.js';
import {
  BaseBackend,
  normalizeMetadata,
  type ResolvedListOptions,
  type ResolvedWriteOptions,
} from '../../src/core/base.js';
import { collect, type PreparedBody } from '../../src/core/body.js';
import { type Capabilities, defineCapabilities } from '../../src/core/capabilities.js';
import { isStorageError, StorageError } from '../../src/core/errors.js';

/** A backend that records every `do*` call and fails on demand, to see what the base does before I/O. */
class ProbeBackend extends BaseBackend {
  readonly kind = 'probe';
  readonly capabilities: Capabilities;
  readonly calls: string[] = [];
  failWith: unknown;
  readonly objects = new Map<string, Uint8Array>();
  lastWrite: ResolvedWriteOptions | undefined;

  constructor(caps: Partial<Capabilities> = {}) {
    super();
    this.capabilities = defineCapabilities(caps);
  }

  private io(name: string): void {
    this.calls.push(name);
    if (this.failWith !== undefined) throw this.failWith;
  }

  protected async doStream(key: string, _o: ReadOptions): Promise<Readable> {
    this.io('stream');
    const data = this.objects.get(key);
    if (!data) throw new StorageError('NotFound', 'absent');
    return Readable.from([Buffer.from(data)]);
  }

  protected async doWrite(key: string, body: PreparedBody, o: ResolvedWriteOptions): Promise<ObjectInfo> {
    this.io('write');
    this.lastWrite = o;
    const data = body.bytes ?? (await collect(body.stream()));
    this.objects.set(key, data);
    return { key, size: data.byteLength, lastModified: new Date(), metadata: o.metadata ?? {} };
  }

  protected async doStat(key: string, _o: StatOptions): Promise<ObjectInfo> {
    this.io('stat');
    const data = this.objects.get(key);
    if (!data) throw new StorageError('NotFound', 'absent');
    return { key, size: data.byteLength, lastModified: new Date(), metadata: {} };
  }

  protected async *doList(prefix: string, o: ResolvedListOptions): AsyncIterable<Entry> {
    this.io(`list:${o.recursive}`);
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix))
        yield { type: 'object', key, size: 0, lastModified: new Date(), metadata: {} };
    }
  }

  protected async doDelete(key: string, _o: DeleteOptions): Promise<void> {
    this.io('delete');
    this.objects.delete(key);
  }
}

const aborted = () => AbortSignal.abort();

describe('BaseBackend: checks before any I/O', () => {
  it('rejects invalid keys on every method without calling the backend', async () => {
    const b = new ProbeBackend();
    const calls = [
      b.read('/a'),
      b.stream('a//b'),
      b.write('a/', 'x'),
      b.stat(''),
      b.exists('..'),
      b.delete('a\0'),
      b.deleteMany(['/bad', 'ok']),
      b.copy('ok', 'a/./b'),
      b.move('/x', 'ok'),
      b.presign('a/', { method: 'GET', expiresIn: 60 }),
    ];
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: 'InvalidKey' });
    expect(b.calls).toEqual([]);
  });

  it('deleteMany validates every key of an array before deleting any', async () => {
    const b = new ProbeBackend();
    await expect(b.deleteMany(['ok', 'fine', '/bad'])).rejects.toMatchObject({ code: 'InvalidKey' });
    expect(b.calls).toEqual([]);
  });

  it('rejects unknown options (typos) with InvalidArgument naming the option', async () => {
    const b = new ProbeBackend({ conditionalWrite: true });
    await expect(b.write('k', 'x', { ifNotExist: true } as never)).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('`ifNotExist`'),
    });
    await expect(b.read('k', { rang: {} } as never)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(b.stat('k', 5 as never)).rejects.toMatchObject({ code: 'InvalidArgument' });
    // An option explicitly set to undefined is not a typo worth failing on.
    await expect(b.write('k', 'x', { bogus: undefined } as never)).resolves.toMatchObject({ size: 1 });
    expect(b.calls).toEqual(['write']);
  });

  it.each([
    ['rangeRead', (b: ProbeBackend) => b.read('k', { range: { offset: 0, length: 1 } })],
    ['rangeRead', (b: ProbeBackend) => b.stream('k', { range: { offset: 1 } })],
    ['conditionalRead', (b: ProbeBackend) => b.read('k', { ifMatch: '"e"' })],
    ['conditionalRead', (b: ProbeBackend) => b.stat('k', { ifNoneMatch: '"e"' })],
    ['conditionalWrite', (b: ProbeBackend) => b.write('k', 'x', { ifNotExists: true })],
    ['conditionalWrite', (b: ProbeBackend) => b.write('k', 'x', { ifMatch: '"e"' })],
    ['conditionalWrite', (b: ProbeBackend) => b.copy('k', 'l', { ifNotExists: true })],
    ['metadata', (b: ProbeBackend) => b.write('k', 'x', { metadata: { a: 'b' } })],
    ['versioning', (b: ProbeBackend) => b.read('k', { version: '1' })],
    ['versioning', (b: ProbeBackend) => b.delete('k', { version: '1' })],
    ['storageClass', (b: ProbeBackend) => b.write('k', 'x', { storageClass: 'COLD' })],
    ['presign', (b: ProbeBackend) => b.presign('k', { method: 'PUT', expiresIn: '15m' })],
  ] as const)('without %s the option rejects with Unsupported before I/O', async (flag, call) => {
    const b = new ProbeBackend();
    const error = await call(b).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Unsupported', backend: 'probe' });
    expect((error as Error).message).toContain('probe backend does not support');
    expect(b.calls).toEqual([]);
    // With the capability the same call reaches the backend (or fails there, not with Unsupported).
    const capable = new ProbeBackend({ [flag]: true });
    capable.objects.set('k', new Uint8Array([1, 2, 3]));
    const second = await call(capable).catch((e: unknown) => e);
    expect(isStorageError(second, 'Unsupported')).toBe(flag === 'presign');
  });

  it('rejects a pre-aborted call with Aborted without calling the backend', async () => {
    const b = new ProbeBackend();
    const signal = aborted();
    const calls = [
      b.read('k', { signal }),
      b.stream('k', { signal }),
      b.write('k', 'x', { signal }),
      b.stat('k', { signal }),
      b.exists('k', { signal }),
      b.delete('k', { signal }),
      b.deleteMany(['k'], { signal }),
      b.copy('k', 'l', { signal }),
      b.move('k', 'l', { signal }),
      (async () => {
        for await (const _ of b.list('', { signal })) break;
      })(),
    ];
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: 'Aborted' });
    expect(b.calls).toEqual([]);
  });

  it('resolves write options into one fixed shape, parsed and normalised', async () => {
    const b = new ProbeBackend({ metadata: true });
    const signal = new AbortController().signal;
    const fields = [
      'contentType',
      'metadata',
      'cacheControl',
      'contentDisposition',
      'contentEncoding',
      'ifNotExists',
      'ifMatch',
      'size',
      'storageClass',
      'partSize',
      'concurrency',
      'signal',
      'onProgress',
    ];
    await b.write('a.txt', 'x');
    expect(Object.keys(b.lastWrite ?? {})).toEqual(fields);
    expect(b.lastWrite).toMatchObject({
      contentType: 'text/plain; charset=utf-8',
      size: 1,
      metadata: undefined,
    });
    await b.write('b.bin', 'xy', { partSize: '8MiB', metadata: { Owner: 'ada' }, signal, concurrency: 2 });
    expect(Object.keys(b.lastWrite ?? {})).toEqual(fields);
    expect(b.lastWrite).toMatchObject({
      contentType: 'application/octet-stream',
      partSize: 8 * 1024 * 1024,
      metadata: { owner: 'ada' },
      signal,
      concurrency: 2,
      size: 2,
    });
  });

  it('validates range, size, limit and presign values', async () => {
    const b = new ProbeBackend({ rangeRead: true, presign: true });
    await expect(b.read('k', { range: { offset: -1 } })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(b.read('k', { range: { offset: 0, length: 0.5 } })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(b.write('k', Readable.from([]), { size: -3 })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(b.write('k', 'x', { partSize: 'big' })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(b.presign('k', { method: 'GET', expiresIn: 0 })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(b.presign('k', { method: 'GET', expiresIn: '8d' })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(b.presign('k', { method: 'POST' } as never)).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    const listing = async (o: object) => {
      for await (const _ of b.list('', o)) break;
    };
    await expect(listing({ limit: -1 })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(listing({ pageSize: 0 })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(listing({ startAfter: 5 })).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(b.calls).toEqual([]);
  });
});

describe('BaseBackend: error normalisation', () => {
  it('wraps a foreign error as Unknown naming backend, operation and key', async () => {
    const b = new ProbeBackend();
    b.failWith = new TypeError('socket hang up');
    const error = await b.stat('some/key').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'Unknown', backend: 'probe', operation: 'stat', key: 'some/key' });
    expect((error as Error).message).toContain('socket hang up');
  });

  it('fills in context on a StorageError from the backend', async () => {
    const b = new ProbeBackend();
    b.failWith = new StorageError('Unavailable', 'try later');
    await expect(b.read('k')).rejects.toMatchObject({
      code: 'Unavailable',
      retryable: true,
      backend: 'probe',
      operation: 'read',
      key: 'k',
    });
    await expect(b.deleteMany(['a', 'b'])).resolves.toMatchObject({
      deleted: 0,
      errors: [{ key: 'a' }, { key: 'b' }],
    });
  });

  it('turns a failure after the signal fired into Aborted', async () => {
    const b = new ProbeBackend();
    const controller = new AbortController();
    b.failWith = new Error('stream destroyed');
    const call = b.stat('k', { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'Aborted', operation: 'stat' });
  });

  it('wraps list failures the same way', async () => {
    const b = new ProbeBackend();
    b.failWith = new RangeError('bad page');
    const run = async () => {
      for await (const _ of b.list('p/')) break;
    };
    await expect(run()).rejects.toMatchObject({
      code: 'Unknown',
      backend: 'probe',
      operation: 'list',
      key: 'p/',
    });
  });
});

describe('BaseBackend: defaults built on the do* methods', () => {
  it('emulates recursive:false, startAfter and limit when the backend lacks a delimiter', async () => {
    const b = new ProbeBackend({ listDelimiter: false });
    for (const k of ['a/1', 'a/2', 'b', 'c/d/e', 'd']) b.objects.set(k, new Uint8Array());
    const keys = async (o: object) => {
      const out: string[] = [];
      for await (const e of b.list('', o)) out.push(e.type === 'prefix' ? `${e.key}*` : e.key);
      return out;
    };
    expect(await keys({ recursive: false })).toEqual(['a/*', 'b', 'c/*', 'd']);
    expect(b.calls).toEqual(['list:true']);
    expect(await keys({ startAfter: 'b' })).toEqual(['c/d/e', 'd']);
    expect(await keys({ limit: 2 })).toEqual(['a/1', 'a/2']);
    expect(await keys({ limit: 0 })).toEqual([]);
  });

  it('exists maps NotFound to false, copy streams, move deletes the source', async () => {
    const b = new ProbeBackend();
    expect(await b.exists('k')).toBe(false);
    await b.write('k', 'hello');
    expect(await b.exists('k')).toBe(true);
    await b.copy('k', 'c');
    expect(Buffer.from(await b.read('c')).toString()).toBe('hello');
    await b.move('c', 'm');
    expect(await b.exists('c')).toBe(false);
    expect(Buffer.from(await b.read('m')).toString()).toBe('hello');
  });

  it('reports write progress for in-memory bodies and a meter error for bad streams', async () => {
    const b = new ProbeBackend();
    const events: number[] = [];
    await b.write('p', 'abcdef', { onProgress: (p) => events.push(p.loaded) });
    expect(events).toEqual([6]);
    await expect(b.write('s', Readable.from([Buffer.from('abc')]), { size: 4 })).rejects.toMatchObject({
      code: 'IntegrityError',
    });
    expect(b.objects.has('s')).toBe(false);
  });

  it('rejects a body over maxObjectSize before calling the backend', async () => {
    const b = new ProbeBackend({ maxObjectSize: 3 });
    await expect(b.write('k', 'abcd')).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(b.calls).toEqual([]);
  });

  it('close is safe to call twice', async () => {
    const b = new ProbeBackend();
    await b.close();
    await b.close();
  });
});

describe('normalizeMetadata', () => {
  it('lower-cases keys and keeps values', () => {
    expect(normalizeMetadata({ 'X-Owner': 'Alice', a: 'B' })).toEqual({ 'x-owner': 'Alice', a: 'B' });
  });
  it.each([[{ clé: 'v' }], [{ 'a b': 'v' }], [{ 'a:b': 'v' }], [{ a: 1 }], [null]])('rejects %j', (m) => {
    expect(() => normalizeMetadata(m as never)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});
