/** The SDK is optional: `azure()` works without it, and the first call says what to install. */
import { expect, it, vi } from 'vitest';

vi.mock('@azure/storage-blob', () => {
  throw new Error("Cannot find package '@azure/storage-blob'");
});

it('without @azure/storage-blob, azure() still builds and the first call rejects with InvalidConfig naming it', async () => {
  const { azure } = await import('../../../src/backends/azure/index.js');
  const storage = azure({
    container: 'media',
    accountName: 'acct',
    accountKey: Buffer.alloc(64).toString('base64'),
  });
  expect(storage.capabilities.rangeRead).toBe(true);
  const error = await storage.stat('a.txt').catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'InvalidConfig', backend: 'azure' });
  expect((error as Error).message).toContain('npm install @azure/storage-blob');
});
