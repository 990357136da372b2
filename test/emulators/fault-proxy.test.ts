import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, seededRandom, startFaultProxy } from './fault-proxy.js';

/** An upstream that echoes the request body and counts requests. */
let upstream: Server;
let target: string;
let upstreamHits = 0;
const BIG = Buffer.alloc(64 * 1024, 7);

beforeAll(async () => {
  upstream = createServer((req, res) => {
    upstreamHits++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = req.url === '/big' ? BIG : Buffer.concat(chunks);
      res.writeHead(200, { 'content-length': body.length, 'x-echo': req.method ?? '' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const a = upstream.address();
  target = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(async () => {
  await new Promise<void>((r) => upstream.close(() => r()));
});

type Outcome =
  | { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }
  | { error: string };

/** One request on a fresh connection; resolves with the response or the socket error. */
function send(endpoint: string, path: string, body?: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const url = new URL(path, endpoint);
    const req = request(
      url,
      { method: body ? 'PUT' : 'GET', agent: false, headers: body ? { 'content-length': body.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', (e) => resolve({ error: e.message }));
        res.on('aborted', () => resolve({ error: 'aborted' }));
      },
    );
    req.on('error', (e) => resolve({ error: e.message }));
    req.end(body);
  });
}

async function withProxy<T>(
  opts: Parameters<typeof startFaultProxy>[0],
  fn: (p: FaultProxy) => Promise<T>,
): Promise<T> {
  const proxy = await startFaultProxy(opts);
  try {
    return await fn(proxy);
  } finally {
    await proxy.stop();
  }
}

describe('fault proxy', () => {
  it('seededRandom is deterministic and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(43)()).not.toBe(xs[0]);
  });

  it('forwards transparently without faults', async () => {
    await withProxy({ target }, async (proxy) => {
      const out = await send(proxy.endpoint, '/x', Buffer.from('hello'));
      expect(out).toMatchObject({ status: 200 });
      expect('body' in out && out.body.toString()).toBe('hello');
      expect(proxy.stats.forwarded).toBe(1);
    });
  });

  it('answers 503 SlowDown with an S3 XML body, without forwarding', async () => {
    await withProxy({ target, faults: { slowDown: 1 } }, async (proxy) => {
      const before = upstreamHits;
      const out = await send(proxy.endpoint, '/x', Buffer.from('data'));
      expect(out).toMatchObject({ status: 503 });
      expect('body' in out && out.body.toString()).toContain('<Code>SlowDown</Code>');
      expect(upstreamHits).toBe(before);
      expect(proxy.stats.faults.slowDown).toBe(1);
    });
  });

  it('answers 429 with Retry-After and 500 InternalError', async () => {
    await withProxy({ target, faults: { tooManyRequests: 1 }, retryAfterSeconds: 3 }, async (proxy) => {
      const out = await send(proxy.endpoint, '/x');
      expect(out).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
    });
    await withProxy({ target, faults: { serverError: 1 } }, async (proxy) => {
      const out = await send(proxy.endpoint, '/x');
      expect(out).toMatchObject({ status: 500 });
      expect('body' in out && out.body.toString()).toContain('<Code>InternalError</Code>');
    });
  });

  it('resets the connection mid-request without forwarding', async () => {
    await withProxy({ target, faults: { resetRequest: 1 } }, async (proxy) => {
      const before = upstreamHits;
      const out = await send(proxy.endpoint, '/x', Buffer.alloc(256 * 1024, 1));
      expect(out).toHaveProperty('error');
      expect(upstreamHits).toBe(before);
    });
  });

  it('resets the connection mid-response after forwarding', async () => {
    await withProxy({ target, faults: { resetResponse: 1 } }, async (proxy) => {
      const before = upstreamHits;
      const out = await send(proxy.endpoint, '/big');
      expect(out).toHaveProperty('error');
      expect(upstreamHits).toBe(before + 1);
      expect(proxy.stats.faults.resetResponse).toBe(1);
    });
  });

  it('adds latency when drawn', async () => {
    await withProxy({ target, faults: { latency: 1 }, latencyMs: 5 }, async (proxy) => {
      const out = await send(proxy.endpoint, '/x');
      expect(out).toMatchObject({ status: 200 });
      expect(proxy.stats.delayed).toBe(1);
    });
  });

  it('gives the same fault sequence for the same seed', async () => {
    const faults = { slowDown: 0.2, serverError: 0.2, tooManyRequests: 0.2 };
    const run = () =>
      withProxy({ target, seed: 99, faults }, async (proxy) => {
        const statuses: number[] = [];
        for (let i = 0; i < 30; i++) {
          const out = await send(proxy.endpoint, '/x');
          statuses.push('status' in out ? out.status : -1);
        }
        return statuses;
      });
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(2);
  });

  it('rejects rates outside [0, 1] and sums above 1', async () => {
    await expect(startFaultProxy({ target, faults: { slowDown: 1.5 } })).rejects.toThrow(TypeError);
    await expect(startFaultProxy({ target, faults: { slowDown: 0.6, serverError: 0.6 } })).rejects.toThrow(
      /sum/,
    );
  });
});
