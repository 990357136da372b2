/**
 * An HTTP proxy in front of fake-gcs-server for the chunked-upload tests: it
 * points resumable session URLs (`Location`) back at itself, so every chunk
 * goes through it, and fails chosen chunk PUTs the way networks and GCS do.
 *
 * It also answers status queries (`PUT <session>` with
 * `Content-Range: bytes *\/*` and no body) itself, as GCS does: `308` and
 * the `Range` fake-gcs-server last reported for that session, or the object
 * once the session finished;
 * fake-gcs-server would instead finalise the object with what it holds.
 * `passStatusQueries: true` forwards them, to test what the adapter does
 * when a session is finalised early.
 *
 * Chunk bodies are gathered in memory (tests send a few MiB).
 */
import { type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { startLoopbackServer } from '../../emulators/loopback-server.js';

/**
 * What happens to one chunk PUT:
 * - `503`: answered 503 without forwarding;
 * - `reset`: the connection is cut while the body arrives (nothing forwarded);
 * - `resetResponse`: forwarded (GCS persists it), then the connection is cut before the answer;
 * - `short`: only the first half of the chunk is forwarded (with its Content-Range), so GCS persists less than was sent;
 * - `corrupt`: one byte is flipped before forwarding;
 * - `delay`: forwarded after `delayMs`.
 */
export type ChunkFault = '503' | 'reset' | 'resetResponse' | 'short' | 'corrupt' | 'delay';

/** One request the proxy saw on a session URL. */
export interface SessionRequest {
  method: string;
  contentRange: string | undefined;
  bytes: number;
  /** The X-Goog-Hash header, if any. */
  hash: string | undefined;
  /** What the proxy did. */
  fault: ChunkFault | 'statusQuery' | undefined;
}

/** Options of {@link startSessionProxy}. */
export interface SessionProxyOptions {
  /** fake-gcs-server's URL. */
  target: string;
  /** The fault of data PUT number `index` (0-based, status queries not counted). */
  fault?: (index: number) => ChunkFault | undefined;
  /** Forward status queries to fake-gcs-server (which finalises the object then). @default false */
  passStatusQueries?: boolean;
  /** Delay of the `delay` fault. @default 300 */
  delayMs?: number;
}

/** A running proxy. */
export interface SessionProxy {
  /** Give this to the backend as `apiEndpoint`. */
  endpoint: string;
  /** Requests made to session URLs, in order. */
  requests: SessionRequest[];
  stop(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** Starts the proxy on a free 127.0.0.1 port. */
export async function startSessionProxy(options: SessionProxyOptions): Promise<SessionProxy> {
  const target = new URL(options.target);
  const requests: SessionRequest[] = [];
  // Bytes fake-gcs-server holds per session, from its last 308; the answer that finalised a session.
  const persisted = new Map<string, number>();
  const finalised = new Map<string, Upstream>();
  let dataPuts = 0;
  let endpoint = '';

  const forward = (req: IncomingMessage, body: Buffer, headers = req.headers): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const up = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...headers, host: target.host, 'content-length': String(body.byteLength) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.once('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.once('error', reject);
        },
      );
      up.once('error', reject);
      up.end(body);
    });

  const reply = (res: ServerResponse, upstream: Upstream) => {
    const headers = { ...upstream.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(upstream.body.byteLength);
    // Session URLs point back here.
    if (typeof headers.location === 'string')
      headers.location = headers.location.replace(target.origin, endpoint);
    res.writeHead(upstream.status, headers);
    res.end(upstream.body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', endpoint);
    const session = url.searchParams.get('upload_id');
    if (session === null) {
      reply(res, await forward(req, await readBody(req)));
      return;
    }
    const contentRange = req.headers['content-range'];
    const hash = req.headers['x-goog-hash'] as string | undefined;
    const record: SessionRequest = {
      method: req.method ?? '',
      contentRange,
      bytes: 0,
      hash,
      fault: undefined,
    };
    requests.push(record);
    const isQuery = req.method === 'PUT' && contentRange === 'bytes */*';
    if (isQuery && options.passStatusQueries !== true) {
      await readBody(req);
      record.fault = 'statusQuery';
      const done = finalised.get(session);
      if (done !== undefined) {
        // GCS answers a finished session's status query with the object.
        reply(res, done);
        return;
      }
      const held = persisted.get(session) ?? 0;
      res.writeHead(308, { 'content-length': '0', ...(held > 0 ? { range: `bytes=0-${held - 1}` } : {}) });
      res.end();
      return;
    }
    const fault = req.method === 'PUT' && !isQuery ? options.fault?.(dataPuts++) : undefined;
    record.fault = fault;
    if (fault === 'reset') {
      req.once('data', () => req.socket.destroy());
      return;
    }
    let body = await readBody(req);
    record.bytes = body.byteLength;
    let headers = req.headers;
    if (fault === '503') {
      const text = JSON.stringify({
        error: { code: 503, message: 'Backend Error', errors: [{ reason: 'backendError' }] },
      });
      res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (fault === 'delay') await new Promise((r) => setTimeout(r, options.delayMs ?? 300));
    if (fault === 'corrupt' && body.byteLength > 0) {
      body = Buffer.from(body);
      body[0] = body[0]! ^ 0xff;
    }
    if (fault === 'short' && body.byteLength > 1 && typeof contentRange === 'string') {
      const match = /^bytes (\d+)-\d+\/(.+)$/.exec(contentRange);
      if (match !== null) {
        const half = Math.floor(body.byteLength / 2);
        body = body.subarray(0, half);
        const range = `bytes ${match[1]}-${Number(match[1]) + half - 1}/${match[2]}`;
        headers = { ...headers, 'content-range': range };
      }
    }
    const upstream = await forward(req, body, headers);
    const range = upstream.headers.range;
    if (upstream.status === 308 && typeof range === 'string') {
      persisted.set(session, Number(/-(\d+)$/.exec(range)?.[1] ?? -1) + 1);
    }
    if (upstream.status === 200 || upstream.status === 201) finalised.set(session, upstream);
    if (fault === 'resetResponse') {
      req.socket.destroy();
      return;
    }
    reply(res, upstream);
  }

  const server = await startLoopbackServer(handle);
  endpoint = server.endpoint;
  return { endpoint, requests, stop: () => server.stop() };
}
