/**
 * Object downloads over the JSON API media endpoint, with the SDK's
 * credentials but our own HTTP request.
 *
 * Why not `File.createReadStream()`: when its stream is destroyed early, the
 * SDK destroys the whole shared keep-alive agent (a workaround for a
 * node-fetch leak), which resets every other request in flight on it — so an
 * early `destroy()`, which the contract allows, broke concurrent and following
 * requests. Here each download owns its response: destroying it closes that
 * one socket, and a finished download returns its socket to this backend's
 * keep-alive pool. It also lets `ifMatch` / `ifNoneMatch` go to GCS as
 * `ifGenerationMatch` / `ifGenerationNotMatch`, keeps gzip-stored bytes as
 * stored (no transcoding, no decompression), and checks CRC32C or MD5 of
 * whole-object reads against `x-goog-hash`.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type { Storage } from '@google-cloud/storage';
import type { ReadOptions } from '../../core/backend.js';
import { StorageError, throwIfAborted } from '../../core/errors.js';
import { loadSdk } from './client.js';
import { generationOf } from './info.js';
import { abortableSleep } from '../../core/sleep.js';

/** Where and how to download. */
export interface DownloadTarget {
  storage: Storage;
  agent: HttpAgent | HttpsAgent;
  bucket: string;
  name: string;
  generation?: number;
  userProject?: string;
  validation: 'crc32c' | 'md5' | false;
  /** Retries of the opening request on 429, 5xx and network errors. */
  maxRetries: number;
}

/** An error shaped like the SDK's `ApiError`, so `mapGcsError` reads it the same way. */
export class HttpApiError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly errors: { reason?: string; message?: string }[] | undefined,
    readonly response: { status: number; headers: Record<string, unknown> },
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Builds the media URL of an object. */
function mediaUrl(target: DownloadTarget, options: ReadOptions): URL {
  const base = target.storage.apiEndpoint.replace(/\/+$/, '');
  const url = new URL(
    `${base}/storage/v1/b/${encodeURIComponent(target.bucket)}/o/${encodeURIComponent(target.name)}`,
  );
  url.searchParams.set('alt', 'media');
  if (target.generation !== undefined) url.searchParams.set('generation', String(target.generation));
  if (target.userProject !== undefined) url.searchParams.set('userProject', target.userProject);
  // GCS checks these itself; the generation header is checked again by the caller for emulators.
  const ifMatch = options.ifMatch === undefined ? undefined : generationOf(options.ifMatch, 'ifMatch');
  if (ifMatch !== undefined) url.searchParams.set('ifGenerationMatch', String(ifMatch));
  const ifNoneMatch =
    options.ifNoneMatch === undefined ? undefined : generationOf(options.ifNoneMatch, 'ifMatch');
  if (ifNoneMatch !== undefined) url.searchParams.set('ifGenerationNotMatch', String(ifNoneMatch));
  return url;
}

/** Authorization headers, unless the endpoint is an emulator the SDK would not authenticate to. */
export async function authHeaders(storage: Storage, url: URL): Promise<Record<string, string>> {
  const service = storage as Storage & { customEndpoint?: boolean; useAuthWithCustomEndpoint?: boolean };
  if (service.customEndpoint === true && service.useAuthWithCustomEndpoint !== true) return {};
  const headers = await storage.authClient.getRequestHeaders(url.href);
  return { ...(headers as Record<string, string>) };
}

/**
 * Sends one request over `agent` (`undefined`: Node's default agent for the
 * URL's scheme) and resolves with the response once its headers arrive.
 */
export function send(
  url: URL,
  agent: HttpAgent | HttpsAgent | undefined,
  headers: Record<string, string>,
  signal?: AbortSignal,
  method = 'GET',
  body?: Buffer,
): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = requestFn(url, { method, agent: agent as HttpAgent | undefined, headers, signal }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads an error response (up to 64 KiB of it) into an `ApiError`-shaped error. */
export async function readErrorBody(response: IncomingMessage): Promise<HttpApiError> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (length < 64 * 1024) chunks.push(chunk);
    length += chunk.byteLength;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let message = text.trim() || `HTTP ${response.statusCode}`;
  let errors: HttpApiError['errors'];
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string; errors?: HttpApiError['errors'] } };
    if (parsed.error?.message) message = parsed.error.message;
    errors = parsed.error?.errors;
  } catch {}
  const status = response.statusCode ?? 0;
  return new HttpApiError(message, status, errors, { status, headers: response.headers });
}

/** Network error codes after which a request is worth retrying. */
const RETRYABLE_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Whether a request that failed without an answer (reset, refused, ...) is worth retrying. */
export function isRetryableNetworkError(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && RETRYABLE_NETWORK.has(code);
}

/** Whether an HTTP answer is worth retrying: 408, 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Opens a download and resolves with the response stream once GCS answered
 * 200 or 206. Other statuses reject with an `ApiError`-shaped error (for
 * `mapGcsError`); 429, 5xx and network errors are retried first.
 */
export async function openDownload(
  target: DownloadTarget,
  options: ReadOptions,
  ranged: { start: number; end?: number } | undefined,
): Promise<{ stream: Readable; headers: IncomingMessage['headers'] }> {
  const url = mediaUrl(target, options);
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(options.signal, 'read');
    const headers: Record<string, string> = {
      ...(await authHeaders(target.storage, url)),
      // Ask for stored bytes: without it GCS decompresses gzip-encoded objects.
      'Accept-Encoding': 'gzip',
      'User-Agent': 'stowage',
    };
    if (ranged !== undefined) headers.Range = `bytes=${ranged.start}-${ranged.end ?? ''}`;
    let response: IncomingMessage;
    try {
      response = await send(url, target.agent, headers, options.signal);
    } catch (e) {
      if (attempt < target.maxRetries && isRetryableNetworkError(e)) {
        await backoff(attempt, options.signal);
        continue;
      }
      throw e;
    }
    const status = response.statusCode ?? 0;
    if (status === 200 || status === 206) {
      return {
        stream: await validated(response, target.validation, ranged !== undefined),
        headers: response.headers,
      };
    }
    const error = await readErrorBody(response);
    if (attempt < target.maxRetries && isRetryableStatus(status)) {
      await backoff(attempt, options.signal);
      continue;
    }
    throw error;
  }
}

/** Exponential backoff with full jitter: up to 250 ms, 500 ms, 1 s, ... */
export function backoff(attempt: number, signal?: AbortSignal, operation = 'read'): Promise<void> {
  const ms = Math.random() * 250 * 2 ** attempt;
  return abortableSleep(ms, signal, `${operation} was aborted`);
}

/** Wraps a whole-object response in a checksum check when GCS sent the hash. */
async function validated(
  response: IncomingMessage,
  validation: 'crc32c' | 'md5' | false,
  ranged: boolean,
): Promise<Readable> {
  if (validation === false || ranged) return response;
  // Hashes are of the stored bytes; only compare when the bytes arrive as stored.
  const stored = String(response.headers['x-goog-stored-content-encoding'] ?? 'identity');
  const served = String(response.headers['content-encoding'] ?? 'identity');
  if (stored !== served && !(stored === 'identity' && served === 'identity')) return response;
  const hashes = Object.fromEntries(
    String(response.headers['x-goog-hash'] ?? '')
      .split(',')
      .map((pair) => pair.trim())
      .filter((pair) => pair.includes('='))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  ) as { crc32c?: string; md5?: string };
  const expected = validation === 'md5' ? hashes.md5 : hashes.crc32c;
  if (expected === undefined) return response;
  const hasher = await makeHasher(validation);
  const check = new Transform({
    highWaterMark: 1024 * 1024,
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hasher.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      const actual = hasher.digest();
      if (actual !== expected) {
        callback(
          new StorageError(
            'IntegrityError',
            `The downloaded bytes do not match the ${validation.toUpperCase()} GCS reported (${expected}, got ${actual}); read the object again.`,
            { retryable: true },
          ),
        );
        return;
      }
      callback();
    },
  });
  response.on('error', (e) => check.destroy(e));
  response.on('aborted', () =>
    check.destroy(new StorageError('Unavailable', 'GCS closed the download early.')),
  );
  check.on('close', () => {
    if (!response.destroyed && !response.complete) response.destroy();
  });
  return response.pipe(check);
}

/** A CRC32C (the SDK's, base64 like GCS reports it) or MD5 (base64) hasher. */
export async function makeHasher(
  kind: 'crc32c' | 'md5',
): Promise<{ update(b: Buffer): void; digest(): string }> {
  if (kind === 'md5') {
    const md5 = createHash('md5');
    return { update: (b) => md5.update(b), digest: () => md5.digest('base64') };
  }
  const { CRC32C } = await loadSdk();
  const crc = new CRC32C();
  return { update: (b) => crc.update(b), digest: () => crc.toString() };
}
