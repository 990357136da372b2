/**
 * A fault-injecting HTTP proxy for tests: listens on 127.0.0.1, forwards to
 * an emulator, and on a seeded schedule resets connections mid-body, answers
 * 503 SlowDown / 429 Retry-After / 500, or adds latency.
 *
 * Deterministic: one PRNG (mulberry32) seeded by `seed` draws, per request in
 * arrival order, which fault (if any) applies. The same seed and the same
 * request sequence give the same faults.
 *
 * Faults that answer without forwarding (resetRequest, slowDown,
 * tooManyRequests, serverError) never reach the emulator, like a throttling
 * front end; `resetResponse` forwards first, so the operation happened but the
 * client never learns it (the case idempotent retries must survive).
 *
 * @example
 * const proxy = await startFaultProxy({ target: endpoint, seed: 7, faults: { slowDown: 0.1 } });
 * const s3Endpoint = proxy.endpoint;
 * // ...
 * await proxy.stop();
 */
import { type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { startLoopbackServer } from './loopback-server.js';

/** Probability (0..1) of each fault per request. Reset/answer faults are exclusive and must sum to ≤ 1. */
export interface FaultRates {
  /** Destroy the connection while the request body is being received (nothing is forwarded). @default 0 */
  resetRequest?: number;
  /** Forward the request, then destroy the connection part-way through the response. @default 0 */
  resetResponse?: number;
  /** Answer `503 SlowDown` with an S3 XML error body. @default 0 */
  slowDown?: number;
  /** Answer `429 Too Many Requests` with `Retry-After`. @default 0 */
  tooManyRequests?: number;
  /** Answer `500 InternalError`. @default 0 */
  serverError?: number;
  /** Delay the request by `latencyMs` before handling it (independent of the others). @default 0 */
  latency?: number;
}

export type FaultKind = 'resetRequest' | 'resetResponse' | 'slowDown' | 'tooManyRequests' | 'serverError';
const EXCLUSIVE: FaultKind[] = [
  'resetRequest',
  'resetResponse',
  'slowDown',
  'tooManyRequests',
  'serverError',
];

export interface FaultProxyOptions {
  /** The emulator's base URL (http only), e.g. `http://127.0.0.1:5000`. */
  target: string;
  /** PRNG seed. @default 1 */
  seed?: number;
  /** Fault probabilities. @default {} (a transparent proxy) */
  faults?: FaultRates;
  /** Latency added when the latency fault fires. @default 50 */
  latencyMs?: number;
  /** Seconds put in `Retry-After` on 429 answers. @default 1 */
  retryAfterSeconds?: number;
}

export interface FaultStats {
  /** Requests received. */
  requests: number;
  /** Requests forwarded to the target (including those whose response was then reset). */
  forwarded: number;
  /** Requests delayed by the latency fault. */
  delayed: number;
  /** Faults injected, by kind. */
  faults: Record<FaultKind, number>;
}

export interface FaultProxy {
  /** The proxy's URL; give it to the client instead of the target's. */
  endpoint: string;
  /** Live counters. */
  stats: FaultStats;
  /** Replaces the fault rates (e.g. `{}` to verify results without faults). */
  setFaults(faults: FaultRates): void;
  /** Closes the listener and every open connection. */
  stop(): Promise<void>;
}

/** mulberry32: a tiny, well-distributed 32-bit PRNG; enough for test schedules. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function validate(faults: FaultRates): void {
  let sum = 0;
  for (const [k, v] of Object.entries(faults)) {
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      throw new TypeError(`fault rate ${k} must be in [0, 1], got ${v}`);
    if (k !== 'latency') sum += v;
  }
  if (sum > 1 + 1e-9) throw new TypeError(`exclusive fault rates sum to ${sum}, more than 1`);
}

function s3Error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': 'fault-proxy',
    ...headers,
  });
  res.end(body);
}

/** Reads and discards the request body, so the client is not cut off while still sending. */
function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.on('data', () => {});
    req.once('end', resolve);
    req.once('error', () => resolve());
    req.once('close', () => resolve());
  });
}

/** Starts the proxy on a free 127.0.0.1 port. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new TypeError('fault proxy targets must be http:// URLs');
  let faults: FaultRates = { ...options.faults };
  validate(faults);
  const random = seededRandom(options.seed ?? 1);
  const latencyMs = options.latencyMs ?? 50;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const stats: FaultStats = {
    requests: 0,
    forwarded: 0,
    delayed: 0,
    faults: { resetRequest: 0, resetResponse: 0, slowDown: 0, tooManyRequests: 0, serverError: 0 },
  };

  /** Draws this request's fate; two draws per request keep the schedule stable when rates change. */
  function draw(): { fault?: FaultKind; delay: boolean; cut: number } {
    const pick = random();
    const delay = random() < (faults.latency ?? 0);
    const cut = random();
    let acc = 0;
    for (const kind of EXCLUSIVE) {
      acc += faults[kind] ?? 0;
      if (pick < acc) return { fault: kind, delay, cut };
    }
    return { delay, cut };
  }

  function forward(req: IncomingMessage, res: ServerResponse, resetAt?: number) {
    stats.forwarded++;
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port || 80,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        if (resetAt === undefined) {
          res.writeHead(up.statusCode ?? 502, up.rawHeaders);
          up.pipe(res);
          return;
        }
        const bodyless = req.method === 'HEAD' || up.statusCode === 204 || up.statusCode === 304;
        const length = bodyless ? 0 : Number(up.headers['content-length'] ?? Number.NaN);
        if (!(length > 1)) {
          // Nothing to cut in the middle of: drop the connection before any answer.
          up.resume();
          up.once('end', () => req.socket.destroy());
          return;
        }
        const keep = Math.min(length - 1, Math.max(1, Math.floor(length * resetAt)));
        res.writeHead(up.statusCode ?? 502, up.rawHeaders);
        let sent = 0;
        // Whatever happens, the client never gets a complete answer.
        up.once('end', () => req.socket.destroy());
        up.on('data', (chunk: Buffer) => {
          if (sent >= keep) return;
          const part = chunk.subarray(0, keep - sent);
          sent += part.length;
          if (sent < keep) {
            res.write(part);
            return;
          }
          // Let the partial body reach the client, then cut.
          res.write(part, () => req.socket.destroy());
          up.destroy();
        });
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    stats.requests++;
    const { fault, delay, cut } = draw();
    if (delay) {
      stats.delayed++;
      await new Promise((r) => setTimeout(r, latencyMs));
    }
    if (fault) stats.faults[fault]++;
    switch (fault) {
      case 'resetRequest': {
        const hasBody =
          Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
        if (!hasBody) {
          req.socket.destroy();
          return;
        }
        // Cut after the first chunk of the body arrives.
        req.once('data', () => req.socket.destroy());
        req.once('end', () => req.socket.destroy());
        return;
      }
      case 'slowDown':
        await drain(req);
        return s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.');
      case 'tooManyRequests':
        await drain(req);
        return s3Error(res, 429, 'TooManyRequests', 'Too many requests.', {
          'retry-after': String(retryAfter),
        });
      case 'serverError':
        await drain(req);
        return s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      case 'resetResponse':
        return forward(req, res, cut);
      default:
        return forward(req, res);
    }
  }

  const server = await startLoopbackServer(handle);

  return {
    endpoint: server.endpoint,
    stats,
    setFaults(next) {
      validate(next);
      faults = { ...next };
    },
    stop: () => server.stop(),
  };
}
