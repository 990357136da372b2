/**
 * A test suite for a custom adapter: a tiny backend built on `BaseBackend`
 * (a Map, like the memory backend) checked against the whole stowage contract
 * with the conformance kit, under Node's built-in test runner. The same
 * `conformance()` call works with vitest or jest: pass their describe/it.
 *
 *   npx tsx examples/custom-adapter-conformance.ts
 */
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import {
  BaseBackend,
  type Capabilities,
  collect,
  compareKeys,
  defineCapabilities,
  type Entry,
  type ObjectInfo,
  type PreparedBody,
  type ReadOptions,
  type ResolvedListOptions,
  type ResolvedWriteOptions,
  resolveRange,
  StorageError,
} from 'stowage';
import { memory } from 'stowage/memory';
import { conformance } from 'stowage/testing';

/** A minimal adapter: the five required methods, nothing optional. */
class MapBackend extends BaseBackend {
  readonly kind = 'map';
  readonly capabilities: Capabilities = defineCapabilities({
    rangeRead: true,
    streamingWrite: true,
    metadata: true,
  });
  private readonly objects = new Map<string, { data: Uint8Array; info: ObjectInfo }>();

  protected async doStream(key: string, options: ReadOptions): Promise<Readable> {
    const object = this.objects.get(key);
    if (!object) throw new StorageError('NotFound', `No object at ${JSON.stringify(key)}.`);
    const { start, end } = resolveRange(options.range, object.data.byteLength);
    return Readable.from([Buffer.from(object.data.subarray(start, end))]);
  }

  protected async doWrite(
    key: string,
    body: PreparedBody,
    options: ResolvedWriteOptions,
  ): Promise<ObjectInfo> {
    const data = body.bytes ?? (await collect(body.stream()));
    const info: ObjectInfo = {
      key,
      size: data.byteLength,
      lastModified: new Date(),
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: options.metadata ?? {},
      // With capabilities.metadata, these headers must round-trip too (the kit checks).
      ...(options.cacheControl !== undefined && { cacheControl: options.cacheControl }),
      ...(options.contentDisposition !== undefined && { contentDisposition: options.contentDisposition }),
      ...(options.contentEncoding !== undefined && { contentEncoding: options.contentEncoding }),
    };
    this.objects.set(key, { data: data.slice(), info });
    return { ...info, metadata: { ...info.metadata } };
  }

  protected async doStat(key: string): Promise<ObjectInfo> {
    const object = this.objects.get(key);
    if (!object) throw new StorageError('NotFound', `No object at ${JSON.stringify(key)}.`);
    return { ...object.info, metadata: { ...object.info.metadata } };
  }

  protected async *doList(prefix: string, _options: ResolvedListOptions): AsyncIterable<Entry> {
    // listDelimiter is false, so the base groups folders for recursive: false.
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
    for (const key of keys) {
      const object = this.objects.get(key);
      if (object) yield { type: 'object', ...object.info, metadata: { ...object.info.metadata } };
    }
  }

  protected async doDelete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}

conformance({
  name: 'MapBackend (custom adapter)',
  create: () => new MapBackend(),
  runner: { describe, it, before, after },
});

// The memory backend is a ready-made test double for code that takes a StorageBackend.
describe('an app using memory() as a test double', () => {
  it('saves a report', async () => {
    const storage = memory();
    await storage.write('reports/today.txt', 'ok');
    const text = new TextDecoder().decode(await storage.read('reports/today.txt'));
    if (text !== 'ok') throw new Error('report not saved');
  });
});
