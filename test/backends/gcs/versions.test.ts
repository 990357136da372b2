/**
 * Generations as versions, on a bucket with Object Versioning. It needs
 * fake-gcs-server's memory backend (its filesystem backend keeps no old
 * generations), so this file starts its own instance.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type GcsBackend, gcs } from '../../../src/backends/gcs/index.js';
import { isStorageError } from '../../../src/core/errors.js';
import { describeWithEmulator } from '../../emulators/env.js';
import { startFakeGcs } from '../../emulators/fake-gcs.js';
import type { EmulatorHandle } from '../../emulators/types.js';
import { freshBucket } from './helpers.js';

describeWithEmulator('gcs', 'gcs versions (fake-gcs-server, memory backend, versioned bucket)', () => {
  let emulator: EmulatorHandle;
  let backend: GcsBackend;
  beforeAll(async () => {
    emulator = await startFakeGcs({ backend: 'memory' });
    const bucket = await freshBucket(emulator.endpoint, 'versions', true);
    backend = gcs({ bucket, apiEndpoint: emulator.endpoint, versioning: true });
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('reads, stats and deletes an older generation by version', async () => {
    const first = await backend.write('doc.txt', 'one');
    expect(first.version).toBe(first.etag);
    const second = await backend.write('doc.txt', 'two!');
    expect(second.version).not.toBe(first.version);
    expect(Buffer.from(await backend.read('doc.txt', { version: first.version })).toString()).toBe('one');
    expect((await backend.stat('doc.txt', { version: first.version })).size).toBe(3);
    expect(Buffer.from(await backend.read('doc.txt')).toString()).toBe('two!');

    await backend.delete('doc.txt', { version: first.version });
    const gone = await backend.read('doc.txt', { version: first.version }).catch((e) => e);
    expect(isStorageError(gone, 'NotFound')).toBe(true);
    expect(Buffer.from(await backend.read('doc.txt')).toString()).toBe('two!');
  });

  it('a plain delete keeps the old generation readable by version', async () => {
    const info = await backend.write('kept.txt', 'kept');
    await backend.delete('kept.txt');
    expect(await backend.exists('kept.txt')).toBe(false);
    expect(Buffer.from(await backend.read('kept.txt', { version: info.version })).toString()).toBe('kept');
  });

  it('a version that is not a generation is refused', async () => {
    const error = await backend.read('doc.txt', { version: 'v1' }).catch((e) => e);
    expect(isStorageError(error, 'InvalidArgument')).toBe(true);
  });
});
