/**
 * Without @aws-sdk/client-s3 installed, `import 'stowage/s3'` still works and
 * the first operation rejects with InvalidConfig naming the package.
 */
import { expect, it, vi } from 'vitest';
import { isStorageError } from '../../../src/core/errors.js';

vi.mock('@aws-sdk/client-s3', () => {
  throw new Error("Cannot find package '@aws-sdk/client-s3'");
});

it('a missing SDK gives InvalidConfig naming the package to install', async () => {
  const { s3 } = await import('../../../src/backends/s3/index.js');
  const backend = s3({ bucket: 'my-bucket', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const error = await backend.read('a.txt').catch((e: unknown) => e);
  expect(isStorageError(error, 'InvalidConfig')).toBe(true);
  expect((error as Error).message).toMatch(/npm install @aws-sdk\/client-s3/);
});
