// Every listener (manager, admin, inway, outway) is startHttpServer: what an unauthenticated client
// can hold, and what framing reaches a handler, is decided there (issue 10, findings 3 and 7). Real
// servers on port 0, real mTLS with the test PKI, raw TCP and TLS sockets for what a well-behaved
// client would never send.
import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Hono } from 'hono';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki, type TestPkiPeer } from '../../certs/index.ts';
import { resolveConfig, isConfigError } from '../../config/index.ts';
import type { ErrorDomain } from '../../gateway/protocol/index.ts';
import {
  createMtlsAgent,
  createServerTlsOptions,
  listenerOptionsFrom,
  startHttpServer,
  type RunningServer,
  type StartHttpServerOptions,
} from '../../gateway/runtime/index.ts';
import { memoryLogger } from './log-lines.ts';

const SERVER_OIN = '00000001000000000001';
const CLIENT_OIN = '00000001000000000002';


/** Rejects when `promise` has not settled within `ms`: an upper bound for an event, not a wait. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Resolves once `count()` reaches `target`, checked whenever `onChange` fires. */
function whenCount(target: number, count: () => number, onChange: (cb: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (count() >= target) {
      resolve();
      return;
    }
    onChange(() => {
      if (count() >= target) resolve();
    });
  });
}

let pki: TestPki;
const cleanups: (() => Promise<unknown> | void)[] = [];

function peer(oin: string): TestPkiPeer {
  const p = pki.peers[oin];
  if (p === undefined) throw new Error(`no peer ${oin}`);
  return p;
}

beforeAll(async () => {
  pki = await createTestPki({
    groupId: 'runtime-limits',
    peers: [
      { oin: SERVER_OIN, name: 'Server' },
      { oin: CLIENT_OIN, name: 'Client' },
    ],
  });
});
afterAll(async () => {
  await pki?.remove();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Started {
  server: RunningServer;
  log: ReturnType<typeof memoryLogger>;
  handled: () => number;
}

/** An mTLS listener serving a hono app (like the manager). */
async function startTls(extra: Partial<StartHttpServerOptions> = {}, closeAfterEach = true): Promise<Started> {
  let handled = 0;
  const app = new Hono();
  app.all('*', async (c) => {
    handled++;
    return c.json({ ok: true, body: await c.req.text(), headers: Object.keys(c.req.header()).length });
  });
  const s = peer(SERVER_OIN);
  const log = memoryLogger();
  const server = await startHttpServer({
    app,
    listen: { host: '127.0.0.1', port: 0 },
    tls: createServerTlsOptions({ ca: pki.caPem, cert: s.chainPem, key: s.keyPem }),
    name: 'inway',
    logger: log.logger,
    errorDomain: 'ERROR_DOMAIN_INWAY',
    ...extra,
  });
  if (closeAfterEach) cleanups.push(() => server.close());
  return { server, log, handled: () => handled };
}

/** A plain-HTTP listener serving a Node request listener (like the outway's hop). */
async function startPlain(extra: Partial<StartHttpServerOptions> = {}, closeAfterEach = true): Promise<Started> {
  let handled = 0;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handled++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        ok: true,
        body: Buffer.concat(chunks).toString(),
        headers: req.rawHeaders.length / 2,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  };
  const log = memoryLogger();
  const server = await startHttpServer({
    handler,
    listen: { host: '127.0.0.1', port: 0 },
    name: 'outway',
    logger: log.logger,
    errorDomain: 'ERROR_DOMAIN_OUTWAY',
    ...extra,
  });
  if (closeAfterEach) cleanups.push(() => server.close());
  return { server, log, handled: () => handled };
}

/** A raw TCP connection that says nothing; `closed` resolves when the other side ends it. */
async function idleTcp(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = tcpConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, closed };
}

/** Open `n` idle TCP connections, `batch` at a time (the listen backlog is finite). */
async function idleFlood(port: number, n: number, batch = 250): Promise<{ socket: Socket; closed: Promise<number> }[]> {
  const all: { socket: Socket; closed: Promise<number> }[] = [];
  cleanups.push(() => {
    for (const c of all) c.socket.destroy();
  });
  for (let i = 0; i < n; i += batch) {
    all.push(...(await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => idleTcp(port)))));
  }
  return all;
}

/** Server-side TCP sockets as they are accepted (those over the cap never show up here). */
function acceptedSockets(server: RunningServer): Socket[] {
  const accepted: Socket[] = [];
  server.server.on('connection', (s: Socket) => accepted.push(s));
  return accepted;
}

function connectionCount(server: RunningServer): Promise<number> {
  return new Promise((resolve, reject) => server.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseAnswer(raw: string): RawAnswer {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no response head in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(end + 4) };
}

/** Send `text` as-is (over mTLS with the client certificate when `tls`) and read until the server closes. */
function exchange(port: number, tls: boolean, text: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const client = peer(CLIENT_OIN);
    const socket = tls
      ? tlsConnect({
          host: '127.0.0.1',
          port,
          servername: 'localhost',
          ca: pki.caPem,
          cert: client.chainPem,
          key: client.keyPem,
        })
      : tcpConnect(port, '127.0.0.1');
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (raw += d));
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(text));
    // A server that refuses mid-request may reset the connection; what it answered first counts.
    socket.on('error', (err: Error) => (raw === '' ? reject(err) : undefined));
    socket.once('close', () => {
      let answer: RawAnswer;
      try {
        answer = parseAnswer(raw);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      resolve(answer);
    });
  });
}

function headerLines(n: number): string {
  let lines = '';
  for (let i = 0; i < n; i++) lines += `h${i.toString(36)}: 1\r\n`;
  return lines;
}

function expectFscError(answer: RawAnswer, status: number, code: string, domain: ErrorDomain): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['fsc-error-code']).toBe(code);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.headers.connection).toBe('close');
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body).toEqual({ message: expect.any(String) as string, domain, code });
}

describe('connections that never authenticate (finding 3)', () => {
  it('closes a TCP connection that never starts the TLS handshake after handshakeTimeoutMs', async () => {
    const { server, log } = await startTls({ timeouts: { handshakeTimeoutMs: 300 } });
    const { closed } = await idleTcp(server.port);
    const opened = performance.now();
    const at = await within(closed, 5_000, 'server closes the idle connection');
    expect(at - opened).toBeGreaterThanOrEqual(250);
    expect(await connectionCount(server)).toBe(0);
    // A flood of these must not flood the log at info.
    const line = log.lines.find((l) => l.msg === 'tls handshake failed');
    expect(line).toMatchObject({ level: 'debug', reason: 'ERR_TLS_HANDSHAKE_TIMEOUT' });
  });

  it('closes a TLS connection that completes the handshake but sends no request after headersTimeoutMs', async () => {
    const { server } = await startTls({ timeouts: { headersTimeoutMs: 300, requestTimeoutMs: 1_000 } });
    const client = peer(CLIENT_OIN);
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: pki.caPem,
      cert: client.chainPem,
      key: client.keyPem,
    });
    cleanups.push(() => void socket.destroy());
    socket.on('error', () => undefined);
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (raw += d));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    await within(closed, 5_000, 'server closes the silent TLS connection');
    expectFscError(parseAnswer(raw), 408, 'ERROR_CODE_REQUEST_TIMEOUT', 'ERROR_DOMAIN_INWAY');
  });

  it('closes a plain TCP connection that never sends a request after headersTimeoutMs', async () => {
    const { server } = await startPlain({ timeouts: { headersTimeoutMs: 300, requestTimeoutMs: 1_000 } });
    const { closed } = await idleTcp(server.port);
    const opened = performance.now();
    const at = await within(closed, 5_000, 'server closes the idle connection');
    expect(at - opened).toBeGreaterThanOrEqual(250);
  });

  it('holds at most maxConnections, closes the rest at accept, and serves a real mTLS request afterwards', async () => {
    const { server, log } = await startTls({
      limits: { maxConnections: 20 },
      timeouts: { handshakeTimeoutMs: 60_000 },
    });
    const accepted = acceptedSockets(server);
    const flood = await idleFlood(server.port, 100);
    let closedByServer = 0;
    const listeners: (() => void)[] = [];
    for (const c of flood) {
      void c.closed.then(() => {
        closedByServer++;
        for (const l of listeners) l();
      });
    }
    await within(
      whenCount(
        80,
        () => closedByServer,
        (cb) => listeners.push(cb),
      ),
      10_000,
      '80 connections over the cap closed',
    );
    expect(closedByServer).toBe(80);
    expect(accepted).toHaveLength(20);
    expect(await connectionCount(server)).toBe(20);
    expect(log.lines.filter((l) => l.msg === 'connection limit reached')).toHaveLength(1);
    expect(log.lines.find((l) => l.msg === 'connection limit reached')).toMatchObject({
      level: 'warn',
      maxConnections: 20,
    });

    // The flood goes away; the listener is whole again.
    const serverSideClosed = accepted.map(
      (s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve()))),
    );
    for (const c of flood) c.socket.destroy();
    await within(Promise.all(serverSideClosed), 10_000, 'server-side sockets closed');
    expect(await connectionCount(server)).toBe(0);
    const client = peer(CLIENT_OIN);
    const agent = createMtlsAgent({ ca: pki.caPem, cert: client.chainPem, key: client.keyPem });
    cleanups.push(() => agent.close());
    const res = await request(`https://localhost:${server.port}/after`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toMatchObject({ ok: true });
  });

  it.each([
    ['mTLS (handshake deadline)', true],
    ['plain HTTP (headers deadline)', false],
  ])('after a flood of 2 000 idle connections over %s, every server-side socket is destroyed', async (_, tls) => {
    const timeouts = { handshakeTimeoutMs: 500, headersTimeoutMs: 500, requestTimeoutMs: 1_000 };
    const { server } = tls ? await startTls({ timeouts }) : await startPlain({ timeouts });
    const accepted = acceptedSockets(server);
    const flood = await idleFlood(server.port, 2_000);
    expect(accepted.length).toBeGreaterThan(0);
    // Nobody on the client side closes anything: the server must end all of them itself.
    await within(Promise.all(flood.map((c) => c.closed)), 20_000, 'server closes all 2 000');
    expect(accepted).toHaveLength(2_000);
    expect(accepted.every((s) => s.destroyed)).toBe(true);
    expect(await connectionCount(server)).toBe(0);
  });
});

describe.each([
  { listener: 'mTLS with a hono app', tls: true, domain: 'ERROR_DOMAIN_INWAY' as const },
  { listener: 'plain HTTP with a request listener', tls: false, domain: 'ERROR_DOMAIN_OUTWAY' as const },
])('framing refused before any handler on $listener (finding 7)', ({ tls, domain }) => {
  let started: Started;
  beforeAll(async () => {
    started = tls ? await startTls({}, false) : await startPlain({}, false);
    return () => started.server.close();
  });

  const send = (text: string) => exchange(started.server.port, tls, text);

  it('answers 2 000 header fields with 431 and an FSC error, not a request with fields dropped', async () => {
    const before = started.handled();
    const answer = await send(`GET /svc HTTP/1.1\r\nHost: localhost\r\n${headerLines(2_000)}Connection: close\r\n\r\n`);
    expectFscError(answer, 431, 'ERROR_CODE_HEADERS_TOO_LARGE', domain);
    expect(started.handled()).toBe(before);
  });

  it('takes 100 header fields and refuses 101', async () => {
    const ok = await send(`GET /svc HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headerLines(98)}\r\n`);
    expect(ok.status).toBe(200);
    const before = started.handled();
    const refused = await send(`GET /svc HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headerLines(99)}\r\n`);
    expectFscError(refused, 431, 'ERROR_CODE_HEADERS_TOO_LARGE', domain);
    expect(started.handled()).toBe(before);
  });

  it('answers header fields over 16 KiB with 431 and an FSC error', async () => {
    const before = started.handled();
    const answer = await send(
      `GET /svc HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\nConnection: close\r\n\r\n`,
    );
    expectFscError(answer, 431, 'ERROR_CODE_HEADERS_TOO_LARGE', domain);
    expect(started.handled()).toBe(before);
  });

  it('answers a 10 KiB request target with 414 and an FSC error, and serves 8 KiB', async () => {
    const before = started.handled();
    const answer = await send(`GET /${'a'.repeat(10 * 1024)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    expectFscError(answer, 414, 'ERROR_CODE_URI_TOO_LONG', domain);
    expect(started.handled()).toBe(before);
    const ok = await send(`GET /${'a'.repeat(8 * 1024 - 1)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    expect(ok.status).toBe(200);
  });

  it('answers a declared body over maxRequestBodyBytes with 413 and an FSC error before reading it', async () => {
    const before = started.handled();
    const answer = await send(`POST /svc HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${134_217_728 + 1}\r\nConnection: close\r\n\r\nabc`);
    expectFscError(answer, 413, 'ERROR_CODE_PAYLOAD_TOO_LARGE', domain);
    expect(started.handled()).toBe(before);
  });

  it('answers Transfer-Encoding: gzip, chunked with 501 and an FSC error', async () => {
    const before = started.handled();
    const answer = await send(
      `POST /svc HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    );
    expectFscError(answer, 501, 'ERROR_CODE_NOT_IMPLEMENTED', domain);
    expect(started.handled()).toBe(before);
  });

  it('serves an ordinary chunked request unchanged', async () => {
    const before = started.handled();
    const answer = await send(
      `POST /svc HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: true, body: 'abc' });
    expect(started.handled()).toBe(before + 1);
  });
});

describe('the listeners section of the configuration', () => {
  const minimal = {
    groupId: 'fsc-test',
    peer: { trustAnchorPath: 'ca.pem', certificatePath: 'peer.pem', keyPath: 'peer.key.pem' },
    manager: { publicAddress: 'https://manager.example.nl:8443' },
  };

  it('reaches the Node server through listenerOptionsFrom', async () => {
    const config = resolveConfig({
      file: {
        ...minimal,
        listeners: { maxConnections: 7, maxHeadersCount: 10, handshakeTimeoutMs: 1_234, headersTimeoutMs: 2_345 },
      },
    });
    const { server } = await startTls(listenerOptionsFrom(config.listeners));
    expect(server.server.maxConnections).toBe(7);
    expect(server.server.headersTimeout).toBe(2_345);
    expect(server.server.keepAliveTimeout).toBe(config.listeners.keepAliveTimeoutMs);
    const answer = await exchange(
      server.port,
      true,
      `GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headerLines(9)}\r\n`,
    );
    expect(answer.status).toBe(431);
  });

  it('refuses a headers deadline longer than the request deadline before anything listens', () => {
    let issues: readonly { path: string }[] = [];
    try {
      resolveConfig({ file: { ...minimal, listeners: { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 } } });
    } catch (err) {
      if (!isConfigError(err)) throw err;
      issues = err.issues;
    }
    expect(issues.map((i) => i.path)).toEqual(['listeners.headersTimeoutMs']);
  });
});
