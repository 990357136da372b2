/**
 * A small HTTP proxy in front of Azurite for the Azure tests: it records
 * every request (method, URL, headers), counts concurrent requests, and can
 * cut or stall a response body part-way, per request, as a test decides.
 * Shared-key signatures survive the hop (the host is not signed).
 */
import { createServer, type IncomingHttpHeaders, request as httpRequest, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** What to do with one response. */
export type ProxyAction =
  | 'forward'
  /** Send the headers and this many body bytes, then reset the connection. */
  | { cutAfter: number }
  /** Send the headers and this many body bytes, then send nothing more (until the client leaves). */
  | { stallAfter: number }
  /** Wait this long, then forward. */
  | { delayMs: number }
  /** Answer with this status and an Azure-style error code, without forwarding. */
  | { respond: number; errorCode: string };

/** One request seen by the proxy. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Set when the client closed the connection before the response finished. */
  clientLeftEarly: boolean;
  /** Set once the response is over (finished or closed). */
  closed: boolean;
}

export interface TestProxy {
  /** The Azurite-style endpoint through the proxy: `http://127.0.0.1:<port>/devstoreaccount1`. */
  endpoint: string;
  requests: SeenRequest[];
  /** Starts counting matching requests in flight; `peak` is the highest count seen since. */
  trackConcurrency(predicate: (r: SeenRequest) => boolean): { readonly peak: number };
  stop(): Promise<void>;
}

/** Starts a proxy to `target` (an Azurite endpoint URL with the account path). */
export async function startProxy(
  target: string,
  decide: (request: SeenRequest, index: number) => ProxyAction = () => 'forward',
): Promise<TestProxy> {
  const upstream = new URL(target);
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const concurrency: { predicate: (r: SeenRequest) => boolean; peak: number }[] = [];
  let active: SeenRequest[] = [];

  const server: Server = createServer((req, res) => {
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      clientLeftEarly: false,
      closed: false,
    };
    const index = requests.push(seen) - 1;
    active.push(seen);
    for (const c of concurrency) c.peak = Math.max(c.peak, active.filter(c.predicate).length);
    const action = decide(seen, index);
    res.on('close', () => {
      seen.closed = true;
      if (!res.writableFinished) seen.clientLeftEarly = true;
      active = active.filter((r) => r !== seen);
    });
    const send = () => {
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          if (action === 'forward' || !('cutAfter' in action || 'stallAfter' in action)) {
            upstreamRes.pipe(res);
            return;
          }
          const limit = 'cutAfter' in action ? action.cutAfter : action.stallAfter;
          let sent = 0;
          upstreamRes.on('data', (chunk: Buffer) => {
            if (sent >= limit) return;
            const part = chunk.subarray(0, limit - sent);
            sent += part.byteLength;
            res.write(part);
            if (sent >= limit) {
              if ('cutAfter' in action) {
                res.socket?.destroy();
                upstreamRes.destroy();
              } else {
                upstreamRes.pause();
              }
            }
          });
          res.on('close', () => upstreamRes.destroy());
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    };
    if (typeof action === 'object' && 'respond' in action) {
      req.resume();
      res.writeHead(action.respond, {
        'x-ms-error-code': action.errorCode,
        'content-type': 'application/xml',
      });
      res.end(
        `<?xml version="1.0" encoding="utf-8"?><Error><Code>${action.errorCode}</Code><Message>injected</Message></Error>`,
      );
    } else if (typeof action === 'object' && 'delayMs' in action) setTimeout(send, action.delayMs);
    else send();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}${upstream.pathname}`,
    requests,
    trackConcurrency(predicate) {
      const tracker = { predicate, peak: 0 };
      concurrency.push(tracker);
      return tracker;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
