// PLACEHOLDER: replaced by the gcs adapter work.
import type { StorageBackend } from '../../core/backend.js';
import { StorageError } from '../../core/errors.js';

export function gcs(_options: unknown): StorageBackend {
  throw new StorageError('Unsupported', 'the gcs backend is not built yet');
}
