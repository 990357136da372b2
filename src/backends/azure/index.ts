// PLACEHOLDER: replaced by the azure adapter work.
import type { StorageBackend } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';

export function azure(_options: unknown): StorageBackend {
  throw new StorageError('Unsupported', 'the azure backend is not built yet');
}
