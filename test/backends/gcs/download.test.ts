/**
 * The download path against a scripted HTTP server standing in for GCS, for
 * what an emulator cannot show: stalled bodies (idle timeout), retries of
 * 503 before the body, 429 with Retry-After, corrupted bytes (checksum), and
 * the preconditions sent as query parameters.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcs } from '../../../src/backends/gcs/index.js';
import { isStorageError } from '../../../src/core/errors.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: Server;
let endpoint: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const HELLO_CRC32C = 'mnG7TA=='; // CRC32C of "hello"

function object(res: ServerResponse, body: string, hash = HELLO_CRC32C, generation = '7'): void {
  res.writeHead(200, {
    'content-length': Buffer.byteLength(body),
    'x-goog-generation': generation,
    'x-goog-hash': `crc32c=${hash}`,
    'x-goog-stored-content-encoding': 'identity',
  });
  res.end(body);
}

describe('gcs downloads', () => {
  it('reads the media endpoint with the generation preconditions as query parameters', async () => {
    seen.length = 0;
    handler = (_req, res) => object(res, 'hello');
    const backend = gcs({ bucket: 'b-1', apiEndpoint: endpoint, prefix: 'p' });
    const bytes = await backend.read('dir/a b', { ifMatch: '7' });
    expect(Buffer.from(bytes).toString()).toBe('hello');
    expect(seen[0]).toBe('/storage/v1/b/b-1/o/p%2Fdir%2Fa%20b?alt=media&ifGenerationMatch=7');
    await backend.close();
  });

  it('checks the CRC32C of whole reads: corrupted bytes fail with IntegrityError', async () => {
    handler = (_req, res) => object(res, 'hellO');
    const backend = gcs({ bucket: 'b-1', apiEndpoint: endpoint });
    const error = await backend.read('k').catch((e) => e);
    expect(isStorageError(error, 'IntegrityError')).toBe(true);
    // With validation off the bytes pass as served.
    const unchecked = gcs({ bucket: 'b-1', apiEndpoint: endpoint, validation: false });
    expect(Buffer.from(await unchecked.read('k')).toString()).toBe('hellO');
    await backend.close();
    await unchecked.close();
  });

  it('retries a 503 before the body, then succeeds', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls < 3) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: 503, message: 'Backend Error', errors: [{ reason: 'backendError' }] },
          }),
        );
        return;
      }
      object(res, 'hello');
    };
    const backend = gcs({ bucket: 'b-1', apiEndpoint: endpoint });
    expect(Buffer.from(await backend.read('k')).toString()).toBe('hello');
    expect(calls).toBe(3);
    await backend.close();
  });

  it('maps 429 after the retries to RateLimited with Retry-After, and 404 to NotFound', async () => {
    handler = (_req, res) => {
      res.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: 429, message: 'slow down', errors: [{ reason: 'rateLimitExceeded' }] },
        }),
      );
    };
    const backend = gcs({ bucket: 'b-1', apiEndpoint: endpoint, maxRetries: 0 });
    const limited = await backend.read('k').catch((e) => e);
    expect(isStorageError(limited, 'RateLimited')).toBe(true);
    expect(limited.retryAfterMs).toBe(2000);
    handler = (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: 404, message: 'No such object: b-1/k', errors: [{ reason: 'notFound' }] },
        }),
      );
    };
    const missing = await backend.read('k').catch((e) => e);
    expect(isStorageError(missing, 'NotFound')).toBe(true);
    await backend.close();
  });

  it('a 304 for ifNoneMatch is PreconditionFailed', async () => {
    handler = (_req, res) => {
      res.writeHead(304);
      res.end();
    };
    const backend = gcs({ bucket: 'b-1', apiEndpoint: endpoint });
    const error = await backend.read('k', { ifNoneMatch: '7' }).catch((e) => e);
    expect(isStorageError(error, 'PreconditionFailed')).toBe(true);
    await backend.close();
  });

  it('fails a stalled body with Timeout after readIdleTimeout', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '10', 'x-goog-generation': '1' });
      res.write('hello');
      // ...and nothing more.
    };
    const backend = gcs({
      bucket: 'b-1',
      apiEndpoint: endpoint,
      readIdleTimeout: '200ms',
      validation: false,
    });
    const stream = await backend.stream('k');
    const error = await new Promise<unknown>((resolve) => {
      stream.on('error', resolve);
      stream.resume();
    });
    expect(isStorageError(error, 'Timeout')).toBe(true);
    await backend.close();
  });
});
