// PLACEHOLDER: replaced by the r2 adapter work.
import type { StorageBackend } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';

export function r2(_options: unknown): StorageBackend {
  throw new StorageError('Unsupported', 'the r2 backend is not built yet');
}
