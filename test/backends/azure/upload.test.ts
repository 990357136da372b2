/**
 * Block uploads on Azurite: unknown-length bodies in many small blocks with
 * bounded concurrency, abort while the source is paused, source errors that
 * leave nothing committed, and the block-size plan.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azure } from '../../../src/backends/azure/index.js';
import { blockSizeAt, MAX_BLOCK_SIZE, MAX_BLOCKS } from '../../../src/backends/azure/upload.js';
import { isStorageError } from '../../../src/core/errors.js';
import { azuriteConnectionString } from '../../emulators/azurite.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { freshContainer, rawService } from './helpers.js';
import { startProxy, type TestProxy } from './proxy.js';

const MiB = 1024 * 1024;

/** A stream of `total` random bytes in 64 KiB chunks; its length is unknown to the consumer. */
function randomStream(total: number): { stream: Readable; md5: () => string } {
  const hash = createHash('md5');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const chunk = randomBytes(Math.min(64 * 1024, total - sent));
      sent += chunk.byteLength;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, md5: () => hash.digest('hex') };
}

describe('blockSizeAt', () => {
  it('keeps the base size for a known size that fits in 50,000 blocks', () => {
    expect(blockSizeAt(0, 8 * MiB, 100 * MiB)).toBe(8 * MiB);
  });
  it('grows the block size so a known size fits in 50,000 blocks', () => {
    const size = 1024 * 1024 * MiB; // 1 TiB
    const block = blockSizeAt(0, 8 * MiB, size);
    expect(block * MAX_BLOCKS).toBeGreaterThanOrEqual(size);
    expect(block % MiB).toBe(0);
  });
  it('doubles every 5,000 blocks for unknown sizes, up to 4000 MiB', () => {
    expect(blockSizeAt(4_999, 8 * MiB)).toBe(8 * MiB);
    expect(blockSizeAt(5_000, 8 * MiB)).toBe(16 * MiB);
    expect(blockSizeAt(49_999, 8 * MiB)).toBe(MAX_BLOCK_SIZE);
    let total = 0;
    for (let i = 0; i < MAX_BLOCKS; i++) total += blockSizeAt(i, 8 * MiB);
    expect(total).toBeGreaterThan(30 * 1024 ** 4); // over 30 TiB from an 8 MiB start
  });
});

describeWithEmulator('azurite', 'azure block uploads', (endpoint) => {
  let container: string;
  let proxy: TestProxy;
  beforeAll(async () => {
    container = await freshContainer(endpoint, 'upload');
    proxy = await startProxy(endpoint);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  const backend = (options: { blockSize?: string; concurrency?: number } = {}) =>
    azure({ container, connectionString: azuriteConnectionString(proxy.endpoint), ...options });
  const blob = (key: string) => rawService(endpoint).getContainerClient(container).getBlockBlobClient(key);

  it('uploads an unknown-length 10 MiB stream in small blocks, at most `concurrency` at once', async () => {
    const key = `big-${Date.now()}.bin`;
    const staging = proxy.trackConcurrency((r) => r.method === 'PUT' && r.url.includes('comp=block&'));
    const { stream, md5 } = randomStream(10 * MiB + 123);
    const progress: number[] = [];
    const info = await backend({ blockSize: '256KiB', concurrency: 3 }).write(key, stream, {
      onProgress: (p) => progress.push(p.loaded),
    });
    expect(info.size).toBe(10 * MiB + 123);
    const blocks = await blob(key).getBlockList('committed');
    expect(blocks.committedBlocks?.length).toBe(41);
    const data = await blob(key).downloadToBuffer();
    expect(createHash('md5').update(data).digest('hex')).toBe(md5());
    expect(staging.peak).toBeGreaterThan(1);
    expect(staging.peak).toBeLessThanOrEqual(3);
    expect(progress.at(-1)).toBe(10 * MiB + 123);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('a stream that fits in one block is sent in one Put Blob', async () => {
    const key = `small-${Date.now()}.bin`;
    const before = proxy.requests.length;
    await backend().write(key, Readable.from([Buffer.from('hello')]));
    const puts = proxy.requests.slice(before).filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1);
    expect(puts[0]!.headers['x-ms-blob-type']).toBe('BlockBlob');
    expect((await blob(key).downloadToBuffer()).toString()).toBe('hello');
  });

  it('abort while the source is paused rejects with Aborted and commits nothing', async () => {
    const key = `paused-${Date.now()}.bin`;
    await blob(key).upload('previous', 8);
    // Three blocks of data, then the source never pushes again and never ends.
    const source = new Readable({ read() {} });
    source.push(randomBytes(3 * 256 * 1024));
    const controller = new AbortController();
    const writing = backend({ blockSize: '256KiB' }).write(key, source, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    source.pause();
    controller.abort();
    const error = await writing.catch((e: unknown) => e);
    expect(isStorageError(error, 'Aborted')).toBe(true);
    expect(source.destroyed).toBe(true);
    expect((await blob(key).downloadToBuffer()).toString()).toBe('previous');
    const list = await blob(key).getBlockList('committed');
    expect(list.committedBlocks ?? []).toHaveLength(0);
  });

  it('a source error after some blocks leaves no blob and the previous version intact', async () => {
    const fresh = `fails-${Date.now()}.bin`;
    const existing = `fails-existing-${Date.now()}.bin`;
    await blob(existing).upload('previous', 8);
    for (const key of [fresh, existing]) {
      let chunks = 0;
      const source = new Readable({
        read() {
          if (++chunks > 12) this.destroy(new Error('disk read failed'));
          else this.push(randomBytes(64 * 1024));
        },
      });
      const error = await backend({ blockSize: '128KiB' })
        .write(key, source)
        .catch((e: unknown) => e);
      expect(isStorageError(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(/body stream failed: disk read failed/);
    }
    expect(await blob(fresh).exists()).toBe(false);
    expect((await blob(existing).downloadToBuffer()).toString()).toBe('previous');
  });

  it('a body longer than the declared size fails with IntegrityError and stores nothing', async () => {
    const key = `oversize-${Date.now()}.bin`;
    const error = await backend({ blockSize: '128KiB' })
      .write(key, Readable.from([randomBytes(300 * 1024)]), { size: 200 * 1024 })
      .catch((e: unknown) => e);
    expect(isStorageError(error, 'IntegrityError')).toBe(true);
    expect(await blob(key).exists()).toBe(false);
  });

  it('ifNotExists on a block upload is checked at commit (If-None-Match: *)', async () => {
    const key = `cond-${Date.now()}.bin`;
    await blob(key).upload('first', 5);
    const error = await backend({ blockSize: '128KiB' })
      .write(key, Readable.from([randomBytes(400 * 1024)]), { ifNotExists: true })
      .catch((e: unknown) => e);
    expect(isStorageError(error, 'AlreadyExists')).toBe(true);
    expect((await blob(key).downloadToBuffer()).toString()).toBe('first');
  });
});
