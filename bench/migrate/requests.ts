/**
 * A counting HTTP proxy for the benchmark: sits between a client (stowage or
 * rclone) and moto, forwards every request unchanged, and counts them by S3
 * operation, so the two contenders' requests per object can be compared.
 * Only for a separate, small counting run: the extra hop would skew timings.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The S3 operation a request is, from its method, path and query (path-style URLs). */
export function operationOf(method: string, url: string): string {
  const parsed = new URL(url, 'http://x');
  const segments = parsed.pathname.split('/').filter(Boolean);
  const q = parsed.searchParams;
  const onObject = segments.length > 1;
  if (!onObject) {
    if (method === 'GET' && q.has('list-type')) return 'ListObjectsV2';
    if (method === 'GET' && q.has('location')) return 'GetBucketLocation';
    if (method === 'GET') return 'ListObjects';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'POST' && q.has('delete')) return 'DeleteObjects';
    return `${method} bucket`;
  }
  if (method === 'PUT' && q.has('partNumber')) return 'UploadPart';
  if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'PUT') return 'PutObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'DELETE') return 'DeleteObject';
  return `${method} object`;
}

/** A running counting proxy. */
export interface CountingProxy {
  /** The proxy's endpoint, to give the client instead of moto's. */
  endpoint: string;
  /** Requests seen so far, by operation. */
  counts: Map<string, number>;
  stop(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 in front of `upstream` (an http:// endpoint). */
export async function countingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const op = operationOf(req.method ?? 'GET', req.url ?? '/');
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}

/** "PutObject 1.00, HeadObject 1.00, ListObjectsV2 0.01" per object. */
export function perObject(counts: Map<string, number>, objects: number): string {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op} ${(n / objects).toFixed(n / objects >= 0.1 ? 2 : 3)}`)
    .join(', ');
}
