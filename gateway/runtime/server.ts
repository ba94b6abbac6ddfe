/**
 * Start a hono app on a Node HTTP or HTTPS (mutual TLS) listener, with sane timeouts and a
 * graceful, idempotent close: stop accepting, let in-flight requests finish until a deadline,
 * then destroy what is left (STYLE.md "Shape": shutdown order).
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from './logger.ts';

/** Anything with hono's `fetch` signature (a `Hono` app). */
export interface FetchApp {
  fetch: (request: Request, env: { incoming: http.IncomingMessage; outgoing: http.ServerResponse }) => Response | Promise<Response>;
}

/** Server timeouts in milliseconds. */
export interface ServerTimeouts {
  /** How long a client may take to send the request headers. Default 20 000. */
  headersTimeoutMs?: number;
  /** How long a client may take to send a whole request (headers and body). Default 120 000. */
  requestTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection stays open. Default 5 000: longer than undici's client
   * default (4 000), so the client, not the server, closes an idle connection and no request races
   * a server-side close.
   */
  keepAliveTimeoutMs?: number;
  /** How long {@link RunningServer.close} waits for in-flight requests before destroying sockets. Default 10 000. */
  drainTimeoutMs?: number;
}

/** Options of {@link startHttpServer}. */
export interface StartHttpServerOptions {
  /** A hono app (APIs, console), served through @hono/node-server … */
  app?: FetchApp;
  /** … or a Node request listener (the data-plane hop: no web Request/Response per call). */
  handler?: http.RequestListener;
  /** Address to bind; port 0 picks a free port. */
  listen: { host: string; port: number };
  /** Node `https` server options (see `createServerTlsOptions`); plain HTTP without it. */
  tls?: https.ServerOptions;
  /** Component name for log lines (`inway`, `manager`, …). */
  name: string;
  logger: Logger;
  timeouts?: ServerTimeouts;
}

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. `https://127.0.0.1:8443` (IPv6 hosts in brackets). */
  readonly url: string;
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
  readonly host: string;
  /** The underlying Node server, for tests and low-level hooks. */
  readonly server: http.Server | https.Server;
  /**
   * Stop accepting connections, let in-flight requests finish (their connections then close),
   * destroy whatever is still open after `drainTimeoutMs`. Idempotent: every call returns the
   * same promise.
   */
  close(): Promise<void>;
}

const DEFAULTS = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  drainTimeoutMs: 10_000,
} as const satisfies Required<ServerTimeouts>;

function checkTimeouts(t: Required<ServerTimeouts>): void {
  for (const [name, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`timeouts.${name} must be a non-negative number`);
  }
  // Node's own rule: the whole-request deadline cannot be shorter than the headers deadline.
  if (t.requestTimeoutMs !== 0 && t.headersTimeoutMs > t.requestTimeoutMs) {
    throw new RangeError('timeouts.headersTimeoutMs must not exceed timeouts.requestTimeoutMs');
  }
}

function formatUrl(scheme: 'http' | 'https', host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${h}:${port}`;
}

/**
 * Listen with `app` on `listen.host:listen.port` (HTTPS with mutual TLS when `tls` is given) and
 * resolve once the socket is bound. Handlers reach the TLS socket through `c.env.incoming.socket`
 * (see `peerCertificate`).
 */
export async function startHttpServer(options: StartHttpServerOptions): Promise<RunningServer> {
  const timeouts: Required<ServerTimeouts> = { ...DEFAULTS, ...options.timeouts };
  checkTimeouts(timeouts);
  const { logger, name } = options;
  const httpOptions = {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
  };

  let server: http.Server | https.Server;
  if (options.handler !== undefined) {
    server =
      options.tls === undefined
        ? http.createServer(httpOptions, options.handler)
        : https.createServer({ ...options.tls, ...httpOptions }, options.handler);
  } else if (options.app !== undefined) {
    const fetch = options.app.fetch as Parameters<typeof createAdaptorServer>[0]['fetch'];
    server = (
      options.tls === undefined
        ? createAdaptorServer({ fetch, createServer: http.createServer, serverOptions: httpOptions })
        : createAdaptorServer({
            fetch,
            createServer: https.createServer,
            serverOptions: { ...options.tls, ...httpOptions },
          })
    ) as http.Server | https.Server;
  } else {
    throw new TypeError('startHttpServer needs an app or a handler');
  }
  // Set again as properties: not every Node 20 minor reads all of them from the constructor options.
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;

  // Every TCP socket (also those still in the TLS handshake) so the drain deadline can end them;
  // the sockets HTTP runs on (the TLSSocket for HTTPS) and their unfinished requests, so idle
  // keep-alive connections can be closed at once when the drain starts.
  const sockets = new Set<Socket>();
  const httpSockets = new Set<Socket>();
  const inFlight = new Map<Socket, number>();
  let closing = false;

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (options.tls === undefined) trackHttpSocket(socket);
  });

  function trackHttpSocket(socket: Socket): void {
    httpSockets.add(socket);
    socket.once('close', () => {
      httpSockets.delete(socket);
      inFlight.delete(socket);
    });
  }

  if (options.tls !== undefined) {
    server.on('secureConnection', (socket: TLSSocket) => {
      trackHttpSocket(socket);
      // A TLS 1.2 renegotiation could swap the client certificate under a live connection (and is
      // a cheap CPU attack); TLS 1.3 has none. The peer certificate is cached per socket.
      socket.disableRenegotiation();
    });
    // A refused client certificate ends here, before any request exists: a peer-side failure, so info.
    server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      logger.info({ server: name, reason: err.code ?? 'unknown', remoteAddress: socket.remoteAddress }, 'tls handshake failed');
    });
  }

  // Prepended so it runs before the app's listener, which may answer synchronously.
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    // Requests that arrive while draining are still served, but their connection closes after.
    if (closing) res.setHeader('connection', 'close');
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (left > 0) {
        inFlight.set(socket, left);
        return;
      }
      inFlight.delete(socket);
      // The response went out keep-alive before the drain began: end the now idle connection.
      if (closing && !socket.destroyed) socket.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err: Error) => logger.error({ server: name, err }, 'server error'));

  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server did not bind to a TCP address');
  const scheme = options.tls === undefined ? 'http' : 'https';
  const host = options.listen.host;
  const url = formatUrl(scheme, host, address.port);
  logger.info({ server: name, url }, 'server listening');

  let closed: Promise<void> | undefined;

  function close(): Promise<void> {
    closed ??= new Promise<void>((resolve) => {
      closing = true;
      const started = performance.now();
      const deadline = setTimeout(() => {
        logger.warn({ server: name, open: sockets.size }, 'drain deadline reached, destroying connections');
        for (const socket of sockets) socket.destroy();
      }, timeouts.drainTimeoutMs);
      deadline.unref();
      server.close(() => {
        clearTimeout(deadline);
        logger.info({ server: name, durationMs: Math.round(performance.now() - started) }, 'server closed');
        resolve();
      });
      // Idle keep-alive connections carry nothing to finish; connections with work left close
      // when their last response is done (the 'close' handler above). Sockets still in the TLS
      // handshake or sending their first request are left to finish or meet the deadline.
      for (const socket of httpSockets) {
        if (!inFlight.has(socket)) socket.destroy();
      }
    });
    return closed;
  }

  return { url, port: address.port, host, server, close };
}
