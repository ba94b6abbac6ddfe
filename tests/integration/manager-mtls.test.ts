// fsc-core manager "Authentication": "The Manager MUST only accept mTLS connections from other
// external Managers with an X.509 certificate that is signed by the TA of the Group". A client
// certificate of another CA — even one carrying a group member's OIN — never reaches a handler; and
// our own calls to other managers trust only the group's trust anchor.
import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createServerTlsOptions, startHttpServer } from '../../gateway/runtime/index.ts';
import {
  connectionGrant,
  createFederation,
  expectedError,
  fscError,
  nowSeconds,
  OIN,
  rawClient,
  startPeer,
  type Federation,
  type RunningPeer,
} from './manager-fixture.ts';

interface LogLine {
  msg: string;
  path?: string;
  reason?: string;
  [key: string]: unknown;
}

const lines: LogLine[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
    callback();
  },
});

let fed: Federation;
let provider: RunningPeer;

beforeAll(async () => {
  fed = await createFederation({ logger: createLogger({ level: 'debug', name: 'test', destination: sink }) });
  provider = await startPeer(fed, { oin: OIN.provider, services: ['basisregistratie'] });
});

afterAll(async () => {
  await provider.destroy();
  await fed.remove();
});

describe('manager mTLS', () => {
  it('a client certificate from another CA never reaches a handler', async () => {
    const before = lines.length;
    // Same OIN as the group's consumer, issued by a CA outside the group.
    const impostor = rawClient(fed, fed.foreign.peers[OIN.consumer]!, fed.pki.caPem);
    try {
      await expect(
        impostor.call('PUT', `${provider.address}/v1/announce`, { headers: { 'fsc-manager-address': 'https://impostor.example:8443' } }),
      ).rejects.toThrow();
      await expect(impostor.call('GET', `${provider.address}/v1/peers`)).rejects.toThrow();
    } finally {
      await impostor.close();
    }
    expect(await provider.store.getPeer(OIN.consumer)).toBeUndefined();
    const after = lines.slice(before);
    expect(after.some((l) => l.msg === 'tls handshake failed')).toBe(true);
    expect(after.filter((l) => l.msg === 'request completed' || l.msg === 'request rejected')).toEqual([]);
  });

  it('a client without a certificate never reaches a handler', async () => {
    const before = lines.length;
    const anonymous = new Agent({ connect: { ca: fed.pki.caPem, rejectUnauthorized: true } });
    try {
      await expect(request(`${provider.address}/v1/peer`, { dispatcher: anonymous }).then((r) => r.body.text())).rejects.toThrow();
    } finally {
      await anonymous.close();
    }
    expect(lines.slice(before).filter((l) => l.msg === 'request completed')).toEqual([]);
  });

  it('a group certificate gets through (the same request as above succeeds)', async () => {
    const member = rawClient(fed, fed.pki.peers[OIN.consumer]!);
    try {
      const res = await member.call('GET', `${provider.address}/v1/peer`);
      expect(res.status).toBe(200);
    } finally {
      await member.close();
    }
  });

  it('without mTLS (the app used directly) every FSC route answers 401, the token endpoint 400 invalid_client', async () => {
    const res = await provider.manager.app.request('/v1/peers');
    expect(res.status).toBe(401);
    expect(res.headers.get('fsc-error-code')).toBe('ERROR_CODE_UNAUTHORIZED');
    // manager.yaml getToken documents only 200 and 400 (RFC 6749 §5.2 allows 400 for invalid_client).
    const token = await provider.manager.app.request('/v1/token', { method: 'POST' });
    expect(token.status).toBe(400);
    expect(await token.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('does not deliver to a manager whose server certificate is not of the group', async () => {
    // A "consumer manager" serving with a certificate of the foreign CA.
    const app = new Hono();
    let reached = 0;
    app.all('*', (c) => {
      reached++;
      return c.body(null, 201);
    });
    const impostor = fed.foreign.peers[OIN.consumer]!;
    const server = await startHttpServer({
      app,
      listen: { host: '127.0.0.1', port: 0 },
      tls: createServerTlsOptions({ ca: fed.foreign.caPem, cert: impostor.chainPem, key: impostor.keyPem, requestClientCert: false }),
      name: 'impostor',
      logger: fed.logger,
    });
    try {
      await provider.store.upsertPeer({ id: OIN.consumer, name: 'Consumer Org', managerAddress: `https://localhost:${server.port}`, seenAt: Date.now() });
      const view = await provider.manager.service.submitContract({
        grants: [{ data: connectionGrant(fed.pki.peers[OIN.consumer]!, OIN.provider) }],
        validity: { not_before: nowSeconds() - 10, not_after: nowSeconds() + 3600 },
      });
      await provider.manager.service.flushOutbox();
      const pending = await provider.manager.service.pendingDeliveries(OIN.consumer);
      expect(pending.map((i) => i.id)).toContain(`contract:${view.contentHash}:${OIN.consumer}`);
      expect(pending.every((i) => i.attempts >= 1 && i.lastError !== undefined)).toBe(true);
      expect(reached).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('refuses a contract submission without a client certificate with an FSC 401', async () => {
    const res = await provider.manager.app.request('/v1/contracts', { method: 'POST', body: '{}' });
    expect(fscError({ status: res.status, headers: { 'fsc-error-code': res.headers.get('fsc-error-code') ?? undefined }, text: '', json: await res.json() })).toEqual(
      expectedError(401, 'ERROR_CODE_UNAUTHORIZED'),
    );
  });
});
