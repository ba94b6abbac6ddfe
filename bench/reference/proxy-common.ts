// Shared parts of the naive Node reference proxies (outway.ts, inway.ts): a copy of
// ../shared/bench/lib/proxy-common.mjs with CLIENT=undici — an undici Pool per upstream,
// streaming bodies, hop-by-hop headers dropped.
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Pool } from 'undici';

/** The environment variable NAME, or a clear exit when it is missing. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
}

export const readPem = (envName: string): Buffer => readFileSync(requiredEnv(envName));

// RFC 9110 7.6.1 hop-by-hop headers, plus ones undici refuses in request headers.
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'expect',
]);

type Headers = Record<string, string | string[] | undefined>;

/** The end-to-end headers of HEADERS (hop-by-hop ones and those named in Connection dropped), plus EXTRA. */
export function endToEnd(headers: IncomingHttpHeaders | Headers, extra?: Headers): Headers {
  const out: Headers = {};
  let named: Set<string> | undefined;
  const connection = headers.connection;
  if (typeof connection === 'string' && connection !== 'keep-alive' && connection !== 'close') {
    named = new Set(
      connection
        .toLowerCase()
        .split(',')
        .map((s) => s.trim()),
    );
  }
  for (const [name, value] of Object.entries(headers)) {
    if (HOP.has(name) || named?.has(name)) continue;
    out[name] = value;
  }
  return extra === undefined ? out : Object.assign(out, extra);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export interface UpstreamTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  servername: string;
}

export type Forward = (req: IncomingMessage, res: ServerResponse, extra?: Headers) => void;

/** Forwards each request to UPSTREAM through one undici Pool (unbounded connections, keep-alive). */
export function createForwarder(upstream: string, tls?: UpstreamTls): Forward {
  const origin = new URL(upstream);
  const pool = new Pool(origin.origin, {
    connections: null,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    ...(tls === undefined ? {} : { connect: { ...tls, minVersion: 'TLSv1.3', rejectUnauthorized: true } }),
  });
  const host = origin.host;
  return function forward(req, res, extra) {
    pool
      .request({
        path: req.url ?? '/',
        method: req.method as 'GET',
        headers: endToEnd(req.headers, { host, ...extra }) as Record<string, string>,
        body: hasBody(req) ? req : null,
      })
      .then(
        ({ statusCode, headers, body }) => {
          res.writeHead(statusCode, endToEnd(headers));
          body.on('error', () => res.destroy());
          body.pipe(res);
        },
        (err: { code?: string; message: string }) => sendError(res, 502, `upstream: ${err.code ?? err.message}`),
      );
  };
}

export function tuneServer<S extends Server>(server: S): S {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  return server;
}

export function stopOnSignal(server: Server): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => server.close(() => process.exit(0)).closeAllConnections());
  }
}
