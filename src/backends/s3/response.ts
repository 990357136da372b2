/** The body of a GetObject response, handed to callers as it is. */
import type { Readable } from 'node:stream';
import { StorageError } from '../../core/errors.js';

/**
 * Makes the response body itself the stream callers get (no extra stream
 * hop): errors it is destroyed with become StorageErrors (`mapError`), an
 * abort of `signal` destroys it with `Aborted`, and destroying it early
 * closes the response and its socket.
 */
export function guardBody(
  body: Readable,
  signal: AbortSignal | undefined,
  mapError: (e: Error) => StorageError,
  context: () => { backend: string; key: string },
): Readable {
  const destroyBody = body._destroy.bind(body);
  // Node emits the error handed to _destroy's callback: map it on the way out.
  body._destroy = (error, callback) => destroyBody(error, (e) => callback(e ? mapError(e) : e));
  if (signal !== undefined) {
    const onAbort = () =>
      body.destroy(
        new StorageError('Aborted', 'read was aborted', {
          ...context(),
          operation: 'read',
          cause: signal.reason,
        }),
      );
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      body.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }
  return body;
}
