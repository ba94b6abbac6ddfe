// The shared listener: mutual TLS against the group CA, the peer certificate in handlers, TLS 1.3 by
// default. Real servers on port 0, real certificates from the dev PKI (fsc-core "Identity": every
// FSC connection is mTLS and the certificate MUST chain to the group trust anchor).
import 'reflect-metadata';
import { connect, type TLSSocket } from 'node:tls';
import { Hono } from 'hono';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki, type TestPkiPeer } from '../../certs/index.ts';
import { peerFromCertificate } from '../../gateway/protocol/index.ts';
import {
  createMtlsAgent,
  createServerTlsOptions,
  loadPeerTls,
  peerCertificate,
  startHttpServer,
  type RunningServer,
} from '../../gateway/runtime/index.ts';
import { memoryLogger } from './log-lines.ts';

const SERVER_OIN = '00000001000000000001';
const CLIENT_OIN = '00000001000000000002';
const STRANGER_OIN = '00000001000000000099';


function peer(pki: TestPki, oin: string): TestPkiPeer {
  const p = pki.peers[oin];
  if (p === undefined) throw new Error(`no peer ${oin}`);
  return p;
}

let group: TestPki;
let otherGroup: TestPki;
let server: RunningServer;
let handled = 0;
const log = memoryLogger();
const agents: Agent[] = [];

/** A client that trusts the group CA (to verify the server) and presents `p`'s certificate. */
function agentFor(p: TestPkiPeer): Agent {
  const agent = createMtlsAgent({ ca: group.caPem, cert: p.chainPem, key: p.keyPem });
  agents.push(agent);
  return agent;
}

beforeAll(async () => {
  group = await createTestPki({
    groupId: 'runtime-test',
    peers: [
      { oin: SERVER_OIN, name: 'Server' },
      { oin: CLIENT_OIN, name: 'Client' },
    ],
  });
  otherGroup = await createTestPki({ groupId: 'other-group', peers: [{ oin: STRANGER_OIN, name: 'Stranger' }] });
  const app = new Hono();
  app.get('/whoami', (c) => {
    handled++;
    const cert = peerCertificate(c);
    if (cert === undefined) return c.json({ peer: null });
    return c.json({ peer: peerFromCertificate(cert).peerId, sameObject: cert === peerCertificate(c) });
  });
  const material = await loadPeerTls({
    trustAnchorFile: group.caPath,
    certFile: peer(group, SERVER_OIN).certPath,
    keyFile: peer(group, SERVER_OIN).keyPath,
  });
  server = await startHttpServer({
    app,
    listen: { host: '127.0.0.1', port: 0 },
    tls: createServerTlsOptions({ ca: material.ca, cert: material.cert, key: material.key }),
    name: 'test',
    logger: log.logger,
  });
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await server?.close();
  await group?.remove();
  await otherGroup?.remove();
});

describe('mTLS listener', () => {
  it('listens on the port the OS picked and reports an https URL', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
  });

  it('accepts a client whose certificate chains to the group CA and shows it to the handler', async () => {
    const agent = agentFor(peer(group, CLIENT_OIN));
    const res = await request(`https://localhost:${server.port}/whoami`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ peer: CLIENT_OIN, sameObject: true });
  });

  it('rejects a client certificate from another CA during the handshake, never reaching the handler', async () => {
    const before = handled;
    const stranger = peer(otherGroup, STRANGER_OIN);
    const agent = agentFor(stranger);
    await expect(request(`https://localhost:${server.port}/whoami`, { dispatcher: agent })).rejects.toThrow();
    expect(handled).toBe(before);
    expect(log.lines.some((l) => l.msg === 'tls handshake failed')).toBe(true);
  });

  it('rejects a client without a certificate, never reaching the handler', async () => {
    const before = handled;
    const agent = new Agent({ connect: { ca: group.caPem } });
    agents.push(agent);
    await expect(request(`https://localhost:${server.port}/whoami`, { dispatcher: agent })).rejects.toThrow();
    expect(handled).toBe(before);
  });

  it('refuses TLS 1.2 by default', async () => {
    const client = peer(group, CLIENT_OIN);
    const outcome = await new Promise<string>((resolve) => {
      const socket: TLSSocket = connect({
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        ca: group.caPem,
        cert: client.chainPem,
        key: client.keyPem,
        maxVersion: 'TLSv1.2',
      });
      socket.once('secureConnect', () => {
        resolve(`connected ${socket.getProtocol()}`);
        socket.destroy();
      });
      socket.once('error', (err: Error & { code?: string }) => resolve(err.code ?? 'error'));
    });
    expect(outcome).toMatch(/^ERR_SSL_/);
  });
});

describe('TLS settings', () => {
  it('accepts TLS 1.2 when the group allows it', async () => {
    const s = peer(group, SERVER_OIN);
    const relaxed = await startHttpServer({
      app: new Hono().get('/', (c) => c.text('ok')),
      listen: { host: '127.0.0.1', port: 0 },
      tls: createServerTlsOptions({ ca: group.caPem, cert: s.chainPem, key: s.keyPem, minVersion: 'TLSv1.2' }),
      name: 'relaxed',
      logger: log.logger,
    });
    try {
      const client = peer(group, CLIENT_OIN);
      const protocol = await new Promise<string | null>((resolve, reject) => {
        const socket = connect({
          host: '127.0.0.1',
          port: relaxed.port,
          servername: 'localhost',
          ca: group.caPem,
          cert: client.chainPem,
          key: client.keyPem,
          maxVersion: 'TLSv1.2',
        });
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol());
          socket.destroy();
        });
        socket.once('error', reject);
      });
      expect(protocol).toBe('TLSv1.2');
    } finally {
      await relaxed.close();
    }
  });

  it('has no peer certificate on a plain HTTP listener', async () => {
    let seen: unknown = 'not called';
    const plain = await startHttpServer({
      app: new Hono().get('/', (c) => {
        seen = peerCertificate(c);
        return c.text('ok');
      }),
      listen: { host: '127.0.0.1', port: 0 },
      name: 'plain',
      logger: log.logger,
    });
    try {
      expect(plain.url).toBe(`http://127.0.0.1:${plain.port}`);
      const res = await request(`${plain.url}/`);
      await res.body.text();
      expect(seen).toBeUndefined();
    } finally {
      await plain.close();
    }
  });

  it('loadPeerTls refuses a key that does not belong to the certificate, naming files only', async () => {
    const promise = loadPeerTls({
      trustAnchorFile: group.caPath,
      certFile: peer(group, SERVER_OIN).certPath,
      keyFile: peer(group, CLIENT_OIN).keyPath,
    });
    await expect(promise).rejects.toThrow(/does not belong to the certificate/);
    await expect(promise).rejects.not.toThrow(/PRIVATE KEY/);
  });
});
