/**
 * Start a hono app on a Node HTTP or HTTPS (mutual TLS) listener, with sane timeouts and a
 * graceful, idempotent close: stop accepting, let in-flight requests finish until a deadline,
 * then destroy what is left (STYLE.md "Shape": shutdown order).
 *
 * Every listener (manager, admin, inway, outway) is hardened here, in one place, against clients
 * that never authenticate (issue 10, finding 3): a TLS handshake deadline, a deadline for the first
 * request head, a connection cap; and against framing the gateway cannot pass on faithfully
 * (finding 7): too many or too large header fields (431), an over-long request target (414), a
 * transfer coding other than `chunked` (501), a declared body over the limit (413) — all refused
 * before any handler runs.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { getRequestListener } from '@hono/node-server';
import { errorBody, errorResponseFields, statusOf, type ErrorCode, type ErrorDomain } from '../protocol/index.ts';
import type { Logger } from './logger.ts';

/** Anything with hono's `fetch` signature (a `Hono` app). */
export interface FetchApp {
  fetch: (
    request: Request,
    env: { incoming: http.IncomingMessage; outgoing: http.ServerResponse },
  ) => Response | Promise<Response>;
}

/** Server timeouts in milliseconds. */
export interface ServerTimeouts {
  /**
   * How long a client may take to send a request head, counted for the first request from the
   * accept (after the handshake with TLS), so a connection that never sends one is closed too.
   * Default 20 000.
   */
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
  /**
   * TLS listeners: how long a client may take from TCP accept to a completed handshake. Default
   * 10 000 (Node's own is 120 000, which let idle unauthenticated connections pile up). Must be > 0.
   */
  handshakeTimeoutMs?: number;
}

/** Limits that refuse a flood or oversized framing before any handler runs. */
export interface ServerLimits {
  /**
   * Open TCP connections (including those still in the TLS handshake) this listener holds; further
   * ones are closed at accept. Default 4 096.
   */
  maxConnections?: number;
  /** Header fields in one request; more → 431. Default 100. */
  maxHeadersCount?: number;
  /** Bytes of the request line and header fields (Node's `maxHeaderSize`); more → 431. Default 16 384. */
  maxHeaderBytes?: number;
  /** Bytes of the request target (path and query); more → 414. Default 8 192. */
  maxRequestTargetBytes?: number;
  /** A declared request body (Content-Length) above this → 413. Default 128 MiB. */
  maxRequestBodyBytes?: number;
}

/** The `listeners` section of a peer configuration: the same numbers as {@link ServerTimeouts} and {@link ServerLimits}. */
export interface ListenerSettings {
  handshakeTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxHeadersCount: number;
  maxHeaderBytes: number;
  maxRequestTargetBytes: number;
  maxRequestBodyBytes: number;
}

/**
 * The timeouts and limits of {@link startHttpServer} from a configuration's `listeners` section
 * (none: the defaults); `timeouts` (a component's own, e.g. in tests) win over the configured ones.
 */
export function listenerOptionsFrom(
  settings: ListenerSettings | undefined,
  timeouts?: ServerTimeouts,
): { timeouts: ServerTimeouts; limits: ServerLimits } {
  if (settings === undefined) return { timeouts: { ...timeouts }, limits: {} };
  return {
    timeouts: {
      handshakeTimeoutMs: settings.handshakeTimeoutMs,
      headersTimeoutMs: settings.headersTimeoutMs,
      requestTimeoutMs: settings.requestTimeoutMs,
      keepAliveTimeoutMs: settings.keepAliveTimeoutMs,
      ...timeouts,
    },
    limits: {
      maxConnections: settings.maxConnections,
      maxHeadersCount: settings.maxHeadersCount,
      maxHeaderBytes: settings.maxHeaderBytes,
      maxRequestTargetBytes: settings.maxRequestTargetBytes,
      maxRequestBodyBytes: settings.maxRequestBodyBytes,
    },
  };
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
  limits?: ServerLimits;
  /** Domain of the FSC errors the listener answers itself (431, 414, 501, …). Default `ERROR_DOMAIN_MANAGER`. */
  errorDomain?: ErrorDomain;
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
  handshakeTimeoutMs: 10_000,
} as const satisfies Required<ServerTimeouts>;

/** The defaults of {@link ServerLimits}; `config/schema.ts` (`listeners`) documents the same numbers and why. */
export const LIMIT_DEFAULTS = {
  maxConnections: 4_096,
  maxHeadersCount: 100,
  maxHeaderBytes: 16_384,
  maxRequestTargetBytes: 8_192,
  maxRequestBodyBytes: 134_217_728,
} as const satisfies Required<ServerLimits>;

function checkTimeouts(t: Required<ServerTimeouts>): void {
  for (const [name, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`timeouts.${name} must be a non-negative number`);
  }
  // Node reads 0 as "use the default of 120 s", not as "no deadline".
  if (t.handshakeTimeoutMs === 0) throw new RangeError('timeouts.handshakeTimeoutMs must be greater than 0');
  // Node's own rule: the whole-request deadline cannot be shorter than the headers deadline.
  if (t.requestTimeoutMs !== 0 && t.headersTimeoutMs > t.requestTimeoutMs) {
    throw new RangeError('timeouts.headersTimeoutMs must not exceed timeouts.requestTimeoutMs');
  }
}

function checkLimits(l: Required<ServerLimits>): void {
  for (const [name, value] of Object.entries(l)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`limits.${name} must be a positive whole number`);
  }
}

/**
 * How often Node checks the header and request deadlines of open connections. Node's default of
 * 30 s let a connection that never sends a byte live up to `headersTimeoutMs` + 30 s; a tenth of the
 * shortest deadline, between 10 ms and 1 s, keeps the overshoot small at the cost of one cheap sweep.
 */
function checkIntervalMs(t: Required<ServerTimeouts>): number {
  const deadlines = [t.headersTimeoutMs, t.requestTimeoutMs].filter((ms) => ms > 0);
  const shortest = Math.min(...deadlines, 10_000);
  return Math.min(1_000, Math.max(10, Math.floor(shortest / 10)));
}

/** Why a request is refused before any handler sees it, or undefined when its framing is fine. */
function framingRefusal(
  req: http.IncomingMessage,
  limits: Required<ServerLimits>,
): { code: ErrorCode; message: string; reason: string } | undefined {
  // Node keeps only about `maxHeadersCount` fields and drops the rest without a word (an inway then
  // lost `Fsc-Authorization` behind 2 000 junk headers): the server is set one above the limit, so a
  // request over it still shows more fields than allowed here.
  if (req.rawHeaders.length / 2 > limits.maxHeadersCount) {
    return { code: 'ERROR_CODE_HEADERS_TOO_LARGE', message: 'too many request header fields', reason: 'header-count' };
  }
  // The request line reaches us as a one-byte string: its length is its size in bytes.
  if ((req.url ?? '').length > limits.maxRequestTargetBytes) {
    return { code: 'ERROR_CODE_URI_TOO_LONG', message: 'request target too long', reason: 'request-target-length' };
  }
  // A body we would refuse anyway is refused before it is read, and before any token work.
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) > limits.maxRequestBodyBytes) {
    return { code: 'ERROR_CODE_PAYLOAD_TOO_LARGE', message: 'request body too large', reason: 'body-length' };
  }
  // RFC 9112 §6.1: a server that receives a transfer coding it does not understand SHOULD answer 501.
  // Node would unchunk `gzip, chunked` and hand on a body whose remaining coding nobody announces.
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') {
    return { code: 'ERROR_CODE_NOT_IMPLEMENTED', message: 'transfer coding not supported', reason: 'transfer-coding' };
  }
  return undefined;
}

/** The FSC error body and headers of an answer the listener gives itself; the connection is closed after. */
function fscErrorParts(code: ErrorCode, message: string, domain: ErrorDomain): { body: string; headers: string[] } {
  const body = JSON.stringify(errorBody({ code, message, domain }));
  const headers = [...errorResponseFields(body, code), 'connection', 'close'];
  return { body, headers };
}

/** The answers to what Node's parser refuses (`clientError`), as Node would give them, in the FSC shape. */
const clientErrorAnswers: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  HPE_HEADER_OVERFLOW: { code: 'ERROR_CODE_HEADERS_TOO_LARGE', message: 'request header fields too large' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { code: 'ERROR_CODE_PAYLOAD_TOO_LARGE', message: 'chunk extensions too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'ERROR_CODE_REQUEST_TIMEOUT', message: 'request not received in time' },
};

function clientErrorAnswer(err: Error & { code?: string }): { code: ErrorCode; message: string } | undefined {
  if (err.code === undefined) return undefined;
  // Any other parser error is malformed framing; socket errors (ECONNRESET, …) get no answer.
  return (
    clientErrorAnswers[err.code] ??
    (err.code.startsWith('HPE_') ? { code: 'ERROR_CODE_BAD_REQUEST', message: 'bad request' } : undefined)
  );
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
  const limits: Required<ServerLimits> = { ...LIMIT_DEFAULTS, ...options.limits };
  checkLimits(limits);
  const { logger, name } = options;
  const errorDomain = options.errorDomain ?? 'ERROR_DOMAIN_MANAGER';
  const httpOptions: http.ServerOptions = {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    // Node applies headersTimeout from the moment the connection (or, with TLS, the handshake) is
    // done, so a client that never sends a request head is closed too — once this sweep runs.
    connectionsCheckingInterval: checkIntervalMs(timeouts),
    maxHeaderSize: limits.maxHeaderBytes,
  };

  // hono's listener returns a promise it settles itself; Node ignores what a listener returns.
  let app: (req: http.IncomingMessage, res: http.ServerResponse) => unknown;
  if (options.handler !== undefined) {
    app = options.handler;
  } else if (options.app !== undefined) {
    app = getRequestListener(options.app.fetch as Parameters<typeof getRequestListener>[0]);
  } else {
    throw new TypeError('startHttpServer needs an app or a handler');
  }

  function refuse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    code: ErrorCode,
    message: string,
    reason: string,
  ): void {
    const status = statusOf(code);
    logger.info({ server: name, status, code, reason, remoteAddress: req.socket.remoteAddress }, 'request rejected');
    const { body, headers } = fscErrorParts(code, message, errorDomain);
    res.writeHead(status, headers);
    res.end(body);
  }

  // The app only sees requests whose framing passed; the rest are answered here.
  const listener: http.RequestListener = function guardedRequest(req, res) {
    const refusal = framingRefusal(req, limits);
    if (refusal === undefined) {
      void app(req, res);
      return;
    }
    refuse(req, res, refusal.code, refusal.message, refusal.reason);
  };

  const server: http.Server | https.Server =
    options.tls === undefined
      ? http.createServer(httpOptions, listener)
      : https.createServer({ ...options.tls, ...httpOptions, handshakeTimeout: timeouts.handshakeTimeoutMs }, listener);
  // Set again as properties: not every Node 20 minor reads all of them from the constructor options.
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  // One above the limit, so that a request over it can be seen and refused (see framingRefusal).
  server.maxHeadersCount = limits.maxHeadersCount + 1;
  // net.Server closes connections over the cap at accept, before TLS or HTTP spend anything on them.
  server.maxConnections = limits.maxConnections;

  // Every TCP socket (also those still in the TLS handshake) so the drain deadline can end them;
  // the sockets HTTP runs on (the TLSSocket for HTTPS) and their unfinished requests, so idle
  // keep-alive connections can be closed at once when the drain starts.
  const sockets = new Set<Socket>();
  const httpSockets = new Set<Socket>();
  const inFlight = new Map<Socket, number>();
  // The response a socket is busy with, so a late parser error does not write over its head.
  const responses = new WeakMap<Socket, http.ServerResponse>();
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
    // A handshake that never came (or was cut) is what a flood looks like: debug, or the flood floods the log.
    server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      const fields = { server: name, reason: err.code ?? 'unknown', remoteAddress: socket.remoteAddress };
      if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' || err.code === 'ECONNRESET')
        logger.debug(fields, 'tls handshake failed');
      else logger.info(fields, 'tls handshake failed');
    });
  }

  // Connections over the cap: one warning per 10 s at most, with the count, however hard the flood.
  let dropped = 0;
  let droppedSince = -Infinity;
  server.on('drop', () => {
    dropped++;
    const now = performance.now();
    if (now - droppedSince < 10_000) return;
    logger.warn({ server: name, dropped, maxConnections: limits.maxConnections }, 'connection limit reached');
    dropped = 0;
    droppedSince = now;
  });

  // What Node's parser refuses (header fields over maxHeaderBytes, a malformed head, the headers
  // deadline) is answered as Node would answer it, but in the FSC error shape; then the connection
  // ends, because its framing can no longer be trusted.
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    const answer = clientErrorAnswer(err);
    const responding = responses.get(socket);
    if (answer !== undefined && socket.writable && (responding === undefined || !responding.headersSent)) {
      const status = statusOf(answer.code);
      logger.debug({ server: name, status, code: answer.code, reason: err.code }, 'request rejected');
      const { body, headers } = fscErrorParts(answer.code, answer.message, errorDomain);
      let head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n`;
      for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
      socket.write(`${head}\r\n${body}`);
    }
    socket.destroy();
  });

  // Prepended so it runs before the app's listener, which may answer synchronously.
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    // A request that reached a connection we already ended for the drain (the client sent it before it
    // saw the end) could be handled but never answered: drop it unhandled, the client may retry it.
    if (closing && socket.writableEnded) {
      socket.destroy();
      return;
    }
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    responses.set(socket, res);
    // Requests that arrive while draining are still served, but their connection closes after.
    if (closing) res.setHeader('connection', 'close');
    res.once('close', () => {
      if (responses.get(socket) === res) responses.delete(socket);
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
      // Calls in flight whose answer has not begun: answer them with `Connection: close`, so the
      // client does not send its next request on a connection we end after this answer.
      for (const socket of httpSockets) {
        const res = responses.get(socket);
        if (res !== undefined && inFlight.has(socket) && !res.headersSent) res.shouldKeepAlive = false;
      }
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
