// The per-run test PKI (createTestPki) as every other suite uses it: real mutual TLS 1.3 with
// node:tls, the peer identity read from the certificate, and the failures that must happen.
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki, type TestPkiPeer } from '../../certs/index.ts';

const PROVIDER = { oin: '00000000000000000011', name: 'Gemeente Aanbieder' };
const CONSUMER = { oin: '00000000000000000012', name: 'Gemeente Afnemer' };

function peer(pki: TestPki, oin: string): TestPkiPeer {
  const p = pki.peers[oin];
  if (p === undefined) throw new Error(`no peer ${oin}`);
  return p;
}

interface Server {
  port: number;
  server: tls.Server;
  /** Connections that completed the handshake with an authorised client certificate. */
  accepted: () => number;
  close(): Promise<void>;
}

async function startServer(pki: TestPki, identity: TestPkiPeer): Promise<Server> {
  let accepted = 0;
  const server = tls.createServer(
    {
      cert: identity.chainPem,
      key: identity.keyPem,
      ca: pki.caPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (socket) => {
      accepted++;
      const subject = socket.getPeerCertificate().subject;
      socket.end(JSON.stringify({ serialNumber: subject.serialNumber, O: subject.O }));
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    server,
    accepted: () => accepted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function connect(port: number, options: tls.ConnectionOptions): Promise<{ socket: tls.TLSSocket; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options });
    let body = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (body += chunk));
    socket.once('end', () => resolve({ socket, body }));
    socket.once('error', reject);
  });
}

describe('createTestPki', () => {
  let pki: TestPki;
  let other: TestPki;
  let server: Server;

  beforeAll(async () => {
    pki = await createTestPki({ groupId: 'fsc-test', peers: [PROVIDER, CONSUMER] });
    other = await createTestPki({ groupId: 'other-group', peers: [{ oin: CONSUMER.oin, name: 'Impostor' }] });
    server = await startServer(pki, peer(pki, PROVIDER.oin));
  });

  afterAll(async () => {
    await server.close();
    await pki.remove();
    await other.remove();
  });

  it('writes the files it returns, keys with mode 0600', async () => {
    const p = peer(pki, CONSUMER.oin);
    expect(await readFile(p.certPath, 'utf8')).toBe(p.chainPem);
    expect(await readFile(p.keyPath, 'utf8')).toBe(p.keyPem);
    expect(await readFile(pki.caPath, 'utf8')).toBe(pki.caPem);
    expect(p.chainPem).toBe(p.certPem + pki.caPem);
    expect((await stat(p.keyPath)).mode & 0o777).toBe(0o600);
    expect(p.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('gives a TLS 1.3 mutual-TLS connection in which each side sees the other peer', async () => {
    const consumer = peer(pki, CONSUMER.oin);
    const { socket, body } = await connect(server.port, {
      cert: consumer.chainPem,
      key: consumer.keyPem,
      ca: pki.caPem,
      servername: 'localhost',
    });
    expect(socket.authorized).toBe(true);
    expect(socket.getProtocol()).toBe('TLSv1.3');
    expect(socket.getPeerCertificate().subject).toMatchObject({
      serialNumber: PROVIDER.oin,
      O: PROVIDER.name,
      CN: 'localhost',
    });
    expect(JSON.parse(body)).toEqual({ serialNumber: CONSUMER.oin, O: CONSUMER.name });
  });

  it('certificates hold IP addresses in the SAN (connecting by IP verifies)', async () => {
    const consumer = peer(pki, CONSUMER.oin);
    const { socket } = await connect(server.port, { cert: consumer.chainPem, key: consumer.keyPem, ca: pki.caPem });
    expect(socket.authorized).toBe(true);
  });

  it('the server refuses a client certificate from another group CA', async () => {
    const impostor = peer(other, CONSUMER.oin);
    const before = server.accepted();
    const refused = once(server.server, 'tlsClientError') as Promise<[Error]>;
    const client = connect(server.port, {
      cert: impostor.chainPem,
      key: impostor.keyPem,
      ca: pki.caPem,
      servername: 'localhost',
    });
    // In TLS 1.3 the client finishes its side of the handshake first; the server then refuses the
    // certificate and drops the connection without ever handing it to the application.
    const [err] = await refused;
    expect(err).toBeInstanceOf(Error);
    const body = await client.then(
      (r) => r.body,
      () => '',
    );
    expect(body).toBe('');
    expect(server.accepted()).toBe(before);
  });

  it('the client refuses a server whose certificate chains to another CA', async () => {
    const consumer = peer(pki, CONSUMER.oin);
    const foreign = await startServer(other, peer(other, CONSUMER.oin));
    try {
      await expect(
        connect(foreign.port, {
          cert: consumer.chainPem,
          key: consumer.keyPem,
          ca: pki.caPem,
          servername: 'localhost',
        }),
      ).rejects.toMatchObject({ code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    } finally {
      await foreign.close();
    }
  });

  it('issue() adds certificates from the same CA, including expired ones', async () => {
    const second = await pki.issue({ ...CONSUMER });
    expect(second.certPath).not.toBe(peer(pki, CONSUMER.oin).certPath);
    const expired = await pki.issue({
      ...PROVIDER,
      label: 'expired',
      notBefore: new Date(Date.now() - 2 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const stale = await startServer(pki, expired);
    try {
      await expect(
        connect(stale.port, { cert: second.chainPem, key: second.keyPem, ca: pki.caPem, servername: 'localhost' }),
      ).rejects.toMatchObject({ code: 'CERT_HAS_EXPIRED' });
    } finally {
      await stale.close();
    }
  });

  it('remove() deletes the directory and may be called twice', async () => {
    const throwaway = await createTestPki({ groupId: 'gone', peers: [] });
    await throwaway.remove();
    await throwaway.remove();
    await expect(stat(throwaway.dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
