/**
 * One resumable upload session of GCS, spoken over plain HTTP(S) with the
 * SDK's credentials and the backend's keep-alive agent: chunk PUTs with
 * `Content-Range`, `308` + `Range` for what GCS persisted, status queries
 * (`Content-Range: bytes *\/*`) to resume after 408, 429, 5xx and network
 * errors, and cancellation (`DELETE`, answered 499). Used by `chunked.ts`.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { File, FileMetadata } from '@google-cloud/storage';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import {
  authHeaders,
  backoff,
  isRetryableNetworkError,
  isRetryableStatus,
  readErrorBody,
  send,
} from './download.js';

/** Deletes the generation an upload created (not a newer one), best effort. */
export async function deleteGeneration(file: File, resource: FileMetadata): Promise<void> {
  const generation = resource.generation === undefined ? undefined : Number(resource.generation);
  await file.delete(generation !== undefined ? { ifGenerationMatch: generation } : {}).catch(() => {});
}

/** One resumable session: sends chunks, resumes after failures, cancels. */
export class Session {
  constructor(
    private readonly uri: URL,
    private readonly file: File,
    private readonly agent: HttpAgent | HttpsAgent,
    private readonly maxRetries: number,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Sends `data` as bytes `offset`.. of the object; `total` is the object's
   * size when known (`*` otherwise). `lastHeaders` (such as `X-Goog-Hash`)
   * marks the last chunk, which must come with `total` and resolves with the
   * object's resource; other chunks resolve `undefined` once GCS persisted
   * all of them.
   */
  async send(
    data: Buffer,
    offset: number,
    total: number | undefined,
    lastHeaders?: Record<string, string>,
  ): Promise<FileMetadata | undefined> {
    const last = lastHeaders !== undefined;
    const end = offset + data.byteLength;
    const totalText = total === undefined ? '*' : String(total);
    let position = offset;
    let failures = 0;
    let asking = false;
    for (;;) {
      throwIfAborted(this.signal, 'write');
      let response: IncomingMessage;
      try {
        if (asking) response = await this.put(undefined, 'bytes */*', {});
        else if (position === end) response = await this.put(undefined, `bytes */${totalText}`, lastHeaders);
        else {
          const range = `bytes ${position}-${end - 1}/${totalText}`;
          response = await this.put(data.subarray(position - offset), range, last ? lastHeaders : {});
        }
      } catch (e) {
        if (!isRetryableNetworkError(e) || this.signal.aborted) throw e;
        await this.pause(++failures, e);
        asking = true;
        continue;
      }
      const status = response.statusCode ?? 0;
      if (status === 200 || status === 201) {
        const resource = await readJson(response);
        if (!last || Number(resource.size) !== total) throw await this.finalisedEarly(resource);
        return resource;
      }
      if (status === 308) {
        response.resume();
        const persisted = persistedBytes(response.headers.range);
        if (persisted < offset || persisted > end) throw lostBytes(persisted, offset, end);
        if (persisted === end && !last) return undefined;
        // GCS kept less than was sent (or a status query told where it stands): send the rest.
        if (persisted <= position && !asking) await this.pause(++failures, noProgress(offset, end));
        position = persisted;
        asking = false;
        continue;
      }
      const error = await readErrorBody(response);
      if (status === 404 || status === 410) throw sessionGone(status);
      if (status === 400 && last && /crc32c|md5|hash/i.test(error.message)) {
        throw new StorageError(
          'IntegrityError',
          `GCS refused the upload: the bytes it received do not match their checksum (${error.message}); nothing was stored, write it again.`,
          { status, cause: error },
        );
      }
      if (!isRetryableStatus(status)) throw error;
      await this.pause(++failures, error);
      asking = true;
    }
  }

  /** Cancels the session (GCS answers 499); best effort, errors ignored. */
  async cancel(): Promise<void> {
    try {
      const response = await this.request('DELETE', undefined, {}, AbortSignal.timeout(10_000));
      response.resume();
    } catch {}
  }

  /** Waits before retry `failures`, or throws `error` when the retries are used up. */
  private async pause(failures: number, error: unknown): Promise<void> {
    if (failures > this.maxRetries) throw error;
    await backoff(failures - 1, this.signal, 'write');
  }

  /** The session finalised before the last chunk (fake-gcs-server does on status queries): remove that object. */
  private async finalisedEarly(resource: FileMetadata): Promise<StorageError> {
    await deleteGeneration(this.file, resource);
    return new StorageError(
      'Unavailable',
      'The upload session was finalised before its last chunk (fake-gcs-server does so when a failed chunk is resumed); the partial object was removed: write it again.',
    );
  }

  private put(
    body: Buffer | undefined,
    contentRange: string,
    extra: Record<string, string> | undefined,
  ): Promise<IncomingMessage> {
    return this.request('PUT', body, { 'Content-Range': contentRange, ...extra }, this.signal);
  }

  private async request(
    method: string,
    body: Buffer | undefined,
    extra: Record<string, string>,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    const headers: Record<string, string> = {
      ...(await authHeaders(this.file.storage, this.uri)),
      'User-Agent': 'stowage',
      'Content-Length': String(body?.byteLength ?? 0),
      ...extra,
    };
    // The backend's agent serves its own scheme; another one gets Node's default agent.
    const sameScheme = (this.uri.protocol === 'https:') === this.agent instanceof HttpsAgent;
    return send(this.uri, sameScheme ? this.agent : undefined, headers, signal, method, body);
  }
}

/** Bytes GCS holds, from a 308's `Range: bytes=0-N` (none when the header is absent). */
function persistedBytes(range: string | undefined): number {
  const match = range === undefined ? null : /^bytes=0-(\d+)$/.exec(range.trim());
  return match === null ? 0 : Number(match[1]) + 1;
}

async function readJson(response: IncomingMessage): Promise<FileMetadata> {
  const chunks: Buffer[] = [];
  for await (const chunk of response as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as FileMetadata;
  } catch (e) {
    throw new StorageError('Unknown', 'GCS finalised the upload but its answer was not an object resource.', {
      cause: e,
    });
  }
}

function lostBytes(persisted: number, offset: number, end: number): StorageError {
  return new StorageError(
    'Unavailable',
    `The upload session holds ${persisted} bytes, outside the chunk ${offset}-${end} being sent, so it cannot be resumed; write it again.`,
  );
}

function sessionGone(status: number): StorageError {
  return new StorageError(
    'Unavailable',
    `The resumable upload session is gone (HTTP ${status}: expired or cancelled); nothing was stored, write it again.`,
    { status },
  );
}

function noProgress(offset: number, end: number): StorageError {
  return new StorageError(
    'Unavailable',
    `GCS kept none of the bytes sent at offset ${offset} (chunk ${offset}-${end}) after several tries; write it again.`,
  );
}
