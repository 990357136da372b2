// PLACEHOLDER: replaced by the local adapter work.
import type { StorageBackend } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';

export function local(_options: unknown): StorageBackend {
  throw new StorageError('Unsupported', 'the local backend is not built yet');
}
