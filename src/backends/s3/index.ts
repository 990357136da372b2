// PLACEHOLDER: replaced by the s3 adapter work.
import type { StorageBackend } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';

export function s3(_options: unknown): StorageBackend {
  throw new StorageError('Unsupported', 'the s3 backend is not built yet');
}
