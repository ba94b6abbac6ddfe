// Outgoing mTLS: the pooled undici Agent and the one table that maps real upstream failures
// (STYLE.md "Errors": upstream failures map in one table from undici's err.code to ours).
import 'reflect-metadata';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Hono } from 'hono';
import type { Agent } from 'undici';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki, type TestPkiPeer } from '../../certs/index.ts';
import { peerFromCertificate } from '../../gateway/protocol/index.ts';
import {
  createLogger,
  createMtlsAgent,
  createServerTlsOptions,
  peerCertificate,
  startHttpServer,
  upstreamErrorFor,
  type MtlsAgentOptions,
  type RunningServer,
} from '../../gateway/runtime/index.ts';

const SERVER_OIN = '00000001000000000001';
const CLIENT_OIN = '00000001000000000002';
let pki: TestPki;
let otherPki: TestPki;
let server: TestPkiPeer;
let client: TestPkiPeer;
const cleanups: (() => Promise<unknown>)[] = [];
const logger = createLogger({ level: 'silent', name: 'test' });

beforeAll(async () => {
  pki = await createTestPki({
    groupId: 'runtime-upstream',
    peers: [
      { oin: SERVER_OIN, name: 'Server' },
      { oin: CLIENT_OIN, name: 'Client' },
    ],
  });
  otherPki = await createTestPki({ groupId: 'elsewhere', peers: [{ oin: SERVER_OIN, name: 'Impostor' }] });
  server = pki.peers[SERVER_OIN]!;
  client = pki.peers[CLIENT_OIN]!;
});
afterAll(async () => {
  await pki?.remove();
  await otherPki?.remove();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function agent(extra: Partial<MtlsAgentOptions> = {}): Agent {
  const a = createMtlsAgent({ ca: pki.caPem, cert: client.chainPem, key: client.keyPem, ...extra });
  cleanups.push(() => a.close());
  return a;
}

/** A raw HTTPS server that misbehaves in `handler`; mutual TLS like a real inway. */
async function rawServer(handler: http.RequestListener, cert: TestPkiPeer = server, ca: string = pki.caPem): Promise<number> {
  const s = https.createServer(createServerTlsOptions({ ca, cert: cert.chainPem, key: cert.keyPem }), handler);
  const sockets = new Set<net.Socket>();
  s.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        s.close(() => resolve());
      }),
  );
  return (s.address() as net.AddressInfo).port;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('the request did not fail');
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('upstreamErrorFor against real failures', () => {
  it('maps a refused connection to 502 connection-refused, before the request was sent', async () => {
    const port = await closedPort();
    const err = await failureOf(request(`https://localhost:${port}/`, { dispatcher: agent() }));
    expect(upstreamErrorFor(err)).toMatchObject({ status: 502, kind: 'connection-refused', beforeRequestSent: true, code: 'ECONNREFUSED' });
  });

  it('maps a server that never sends headers to 504 headers-timeout', async () => {
    const port = await rawServer(() => {
      /* never answers */
    });
    const err = await failureOf(request(`https://localhost:${port}/`, { dispatcher: agent({ headersTimeoutMs: 200 }) }));
    expect(upstreamErrorFor(err)).toMatchObject({ status: 504, kind: 'headers-timeout', code: 'UND_ERR_HEADERS_TIMEOUT' });
  });

  it('maps a body that stalls to 504 body-timeout', async () => {
    const port = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('the first part and then nothing');
    });
    const res = await request(`https://localhost:${port}/`, { dispatcher: agent({ bodyTimeoutMs: 200 }) });
    expect(res.statusCode).toBe(200);
    const err = await failureOf(res.body.text());
    expect(upstreamErrorFor(err)).toMatchObject({ status: 504, kind: 'body-timeout', code: 'UND_ERR_BODY_TIMEOUT' });
  });

  it('maps a server certificate for another host name to 502 tls (host name checks stay on)', async () => {
    const elsewhere = await pki.issue({ oin: SERVER_OIN, name: 'Server', hosts: ['other.example'], label: 'other-host' });
    const port = await rawServer((_req, res) => res.end('should not be reached'), elsewhere);
    const err = await failureOf(request(`https://localhost:${port}/`, { dispatcher: agent() }));
    expect(upstreamErrorFor(err)).toMatchObject({ status: 502, kind: 'tls', beforeRequestSent: true, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('maps a server certificate from another CA to 502 tls', async () => {
    const impostor = otherPki.peers[SERVER_OIN]!;
    const port = await rawServer((_req, res) => res.end('should not be reached'), impostor, pki.caPem);
    const err = await failureOf(request(`https://localhost:${port}/`, { dispatcher: agent() }));
    // The impostor sends its own CA along: SELF_SIGNED_CERT_IN_CHAIN; a bare leaf would give
    // UNABLE_TO_VERIFY_LEAF_SIGNATURE. Either way nothing was sent.
    expect(upstreamErrorFor(err)).toMatchObject({
      status: 502,
      kind: 'tls',
      beforeRequestSent: true,
      code: expect.stringMatching(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/) as unknown,
    });
  });

  it('maps a connection dropped mid-request to 502 socket', async () => {
    const port = await rawServer((req) => req.socket.destroy());
    const err = await failureOf(request(`https://localhost:${port}/`, { dispatcher: agent() }));
    expect(upstreamErrorFor(err)).toMatchObject({ status: 502, kind: 'socket', beforeRequestSent: false, code: 'UND_ERR_SOCKET' });
  });
});

describe('createMtlsAgent', () => {
  async function countingServer(app: Hono): Promise<{ running: RunningServer; handshakes: () => number; resumed: () => number }> {
    let handshakes = 0;
    let resumed = 0;
    const running = await startHttpServer({
      app,
      listen: { host: '127.0.0.1', port: 0 },
      tls: createServerTlsOptions({ ca: pki.caPem, cert: server.chainPem, key: server.keyPem }),
      name: 'counting',
      logger,
    });
    running.server.on('secureConnection', (socket: TLSSocket) => {
      handshakes++;
      if (socket.isSessionReused()) resumed++;
    });
    cleanups.push(() => running.close());
    return { running, handshakes: () => handshakes, resumed: () => resumed };
  }

  it('reuses keep-alive connections for 20 sequential requests', async () => {
    const { running, handshakes } = await countingServer(new Hono().get('/', (c) => c.text('ok')));
    const a = agent();
    for (let i = 0; i < 20; i++) {
      const res = await request(`https://localhost:${running.port}/`, { dispatcher: a });
      expect(await res.body.text()).toBe('ok');
    }
    // undici may open a second connection while the first is being released; never one per request.
    expect(handshakes()).toBeGreaterThanOrEqual(1);
    expect(handshakes()).toBeLessThanOrEqual(2);
  });

  it('keeps 20 concurrent requests within the connection limit', async () => {
    const { running, handshakes } = await countingServer(new Hono().get('/', (c) => c.text('ok')));
    const a = agent({ connections: 2 });
    const bodies = await Promise.all(
      Array.from({ length: 20 }, async () => (await request(`https://localhost:${running.port}/`, { dispatcher: a })).body.text()),
    );
    expect(bodies).toEqual(Array(20).fill('ok'));
    expect(handshakes()).toBeGreaterThanOrEqual(1);
    expect(handshakes()).toBeLessThanOrEqual(2);
  });

  it('resumes the TLS session when a new connection is needed, and the server still sees the client certificate', async () => {
    // The server closes every connection, so each request needs a new handshake.
    const app = new Hono().get('/', (c) => {
      const cert = peerCertificate(c);
      return c.text(cert === undefined ? 'no certificate' : peerFromCertificate(cert).peerId, 200, { connection: 'close' });
    });
    const { running, handshakes, resumed } = await countingServer(app);
    const a = agent();
    for (let i = 0; i < 3; i++) {
      const res = await request(`https://localhost:${running.port}/`, { dispatcher: a });
      expect(await res.body.text()).toBe(CLIENT_OIN);
    }
    expect(handshakes()).toBe(3);
    expect(resumed()).toBeGreaterThanOrEqual(1);
  });

  it('validates its options up front', () => {
    expect(() => createMtlsAgent({ ca: pki.caPem, cert: client.chainPem, key: client.keyPem, headersTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => createMtlsAgent({ ca: pki.caPem, cert: client.chainPem, key: client.keyPem, connections: 1.5 })).toThrow(RangeError);
  });
});
