// fsc-test-suite inway.md, Inway-Incoming-Request-1…6, plus the other fsc-core inway error codes
// (403 wrong group, 404 unknown service) — against a real inway on mTLS with a real SQLite log.
import { createPrivateKey } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { headerFingerprint } from '../../demo/person-registry.ts';
import { certificateThumbprint } from '../../gateway/protocol/index.ts';
import {
  GROUP_ID,
  KNOWN_BSN,
  OIN,
  createInwayPki,
  header,
  json,
  startInwayHarness,
  type InwayHarness,
  type InwayPki,
} from './inway-fixture.ts';

let pki: InwayPki;
let h: InwayHarness;

beforeAll(async () => {
  pki = await createInwayPki();
});
afterAll(async () => {
  await pki.remove();
});
afterEach(async () => {
  await h.close();
});

async function expectInwayError(
  res: Awaited<ReturnType<InwayHarness['call']>>,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  expect(res.statusCode).toBe(status);
  expect(header(res, 'fsc-error-code')).toBe(code);
  const body = await json(res);
  expect(body).toMatchObject({ domain: 'ERROR_DOMAIN_INWAY', code });
  expect(typeof body.message).toBe('string');
  return body;
}

describe('inway incoming requests', () => {
  it('Inway-Incoming-Request-1: accepts a request with a valid access token and returns the service answer', async () => {
    h = await startInwayHarness(pki);
    const res = await h.call(`/personen/${KNOWN_BSN}`);
    expect(res.statusCode).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ burgerservicenummer: KNOWN_BSN });
    expect(h.service.requests).toHaveLength(1);
    expect(h.service.requests[0]).toMatchObject({ method: 'GET', url: `/personen/${KNOWN_BSN}` });
  });

  it('Inway-Incoming-Request-2: denies a request without an access token (401 MISSING, WWW-Authenticate: Bearer)', async () => {
    h = await startInwayHarness(pki);
    const res = await h.call(`/personen/${KNOWN_BSN}`, { token: null });
    await expectInwayError(res, 401, 'ERROR_CODE_ACCESS_TOKEN_MISSING');
    expect(header(res, 'www-authenticate')).toBe('Bearer');
    const empty = await h.call(`/personen/${KNOWN_BSN}`, { token: '' });
    await expectInwayError(empty, 401, 'ERROR_CODE_ACCESS_TOKEN_MISSING');
    expect(h.service.requests).toHaveLength(0);
  });

  it('denies a validly signed token whose aud names another inway (401 INVALID; issue 10 finding 7)', async () => {
    h = await startInwayHarness(pki, { inway: { audience: 'https://inway.provider.example:443' } });
    const other = await h.call(`/personen/${KNOWN_BSN}`, { token: await h.token({ audience: 'https://other-inway.example:443' }) });
    await expectInwayError(other, 401, 'ERROR_CODE_ACCESS_TOKEN_INVALID');
    expect(h.service.requests).toHaveLength(0);
    const ours = await h.call(`/personen/${KNOWN_BSN}`, { token: await h.token({ audience: 'https://inway.provider.example:443' }) });
    expect(ours.statusCode).toBe(200);
    await ours.body.dump();
  });

  it('Inway-Incoming-Request-3: denies a token bound to a different certificate (401 INVALID)', async () => {
    h = await startInwayHarness(pki);
    // A genuine token, issued by our manager, but for the other peer's certificate…
    const forOther = await h.token({ subject: OIN.other, clientCertificateThumbprint: certificateThumbprint(pki.other.certPem) });
    // …presented over the consumer's connection.
    const res = await h.call(`/personen/${KNOWN_BSN}`, { token: forOther });
    await expectInwayError(res, 401, 'ERROR_CODE_ACCESS_TOKEN_INVALID');
    expect(header(res, 'www-authenticate')).toBe('Bearer');
    // The same token works on the connection it is bound to: the binding, not the token, failed.
    const ok = await h.call(`/personen/${KNOWN_BSN}`, { token: forOther, agent: h.agentFor(pki.other) });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    expect(h.service.requests).toHaveLength(1);
  });

  it('Inway-Incoming-Request-4: denies a connection whose certificate is not signed by the group trust anchor', async () => {
    h = await startInwayHarness(pki);
    // Same OIN, same name, valid token bound to exactly this certificate — but another CA.
    const token = await h.token({ clientCertificateThumbprint: certificateThumbprint(pki.impostor.certPem) });
    const impostor = h.agentFor(pki.impostor);
    await expect(h.call(`/personen/${KNOWN_BSN}`, { token, agent: impostor })).rejects.toThrow();
    // And without any client certificate at all.
    const anonymous = new (await import('undici')).Agent({ connect: { ca: pki.pki.caPem } });
    try {
      await expect(
        request(`${h.inway.url}/personen/999993653`, { dispatcher: anonymous, headers: { 'fsc-authorization': await h.token() } }),
      ).rejects.toThrow();
    } finally {
      await anonymous.close();
    }
    expect(h.service.requests).toHaveLength(0);
    expect(h.lines.some((l) => l.msg === 'tls handshake failed')).toBe(true);
    expect(h.lines.some((l) => l.msg === 'request completed')).toBe(false);
  });

  it('Inway-Incoming-Request-5: preserves the access token on the request to the service', async () => {
    h = await startInwayHarness(pki);
    const token = await h.token();
    const res = await h.call('/headers', { token });
    expect(res.statusCode).toBe(200);
    const body = await json(res);
    // The registry shows credentials as a fingerprint only.
    expect((body.headers as Record<string, unknown>)['fsc-authorization']).toBe(headerFingerprint(token));
    expect(h.service.requests[0]?.headers['fsc-authorization']).toBe(token);
  });

  it('Inway-Incoming-Request-6: denies an expired access token (401 EXPIRED, WWW-Authenticate: Bearer)', async () => {
    h = await startInwayHarness(pki);
    const token = await h.token({ lifetimeSeconds: 60 });
    const first = await h.call(`/personen/${KNOWN_BSN}`, { token });
    expect(first.statusCode).toBe(200);
    await first.body.dump();
    h.now.ms += 60_000; // exactly exp: RFC 7519 says "on or after" is expired
    const res = await h.call(`/personen/${KNOWN_BSN}`, { token });
    await expectInwayError(res, 401, 'ERROR_CODE_ACCESS_TOKEN_EXPIRED');
    expect(header(res, 'www-authenticate')).toBe('Bearer');
    // Not yet valid is refused with the same code.
    const future = await h.token({ now: h.now.ms + 120_000 });
    await expectInwayError(await h.call(`/personen/${KNOWN_BSN}`, { token: future }), 401, 'ERROR_CODE_ACCESS_TOKEN_EXPIRED');
    expect(h.service.requests).toHaveLength(1);
  });

  it('denies a token signed by another key than our own peer (401 INVALID)', async () => {
    h = await startInwayHarness(pki);
    // The consumer signs a token for itself: right shape, wrong signer.
    const forged = await h.token({
      privateKey: createPrivateKey(pki.consumer.keyPem),
      certificate: pki.consumer.certPem,
    });
    await expectInwayError(await h.call(`/personen/${KNOWN_BSN}`, { token: forged }), 401, 'ERROR_CODE_ACCESS_TOKEN_INVALID');
    // A garbled token and a token with a bad signature.
    await expectInwayError(await h.call('/x', { token: 'not-a-jwt' }), 401, 'ERROR_CODE_ACCESS_TOKEN_INVALID');
    const good = await h.token();
    const tampered = `${good.slice(0, -4)}${good.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await expectInwayError(await h.call('/x', { token: tampered }), 401, 'ERROR_CODE_ACCESS_TOKEN_INVALID');
    expect(h.service.requests).toHaveLength(0);
  });

  it('denies a token for another group (403 ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN)', async () => {
    h = await startInwayHarness(pki);
    const token = await h.token({ groupId: `${GROUP_ID}-other` });
    await expectInwayError(await h.call(`/personen/${KNOWN_BSN}`, { token }), 403, 'ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN');
    expect(h.service.requests).toHaveLength(0);
  });

  it('denies a token for a service this inway does not offer (404 ERROR_CODE_SERVICE_NOT_FOUND)', async () => {
    h = await startInwayHarness(pki);
    const token = await h.token({ service: 'not-offered-here' });
    const res = await h.call(`/personen/${KNOWN_BSN}`, { token });
    const body = await expectInwayError(res, 404, 'ERROR_CODE_SERVICE_NOT_FOUND');
    expect(JSON.stringify(body)).not.toContain(h.service.url);
    expect(h.service.requests).toHaveLength(0);
  });

  it('answers 502 ERROR_CODE_SERVICE_UNREACHABLE when the service is down, without leaking its address', async () => {
    h = await startInwayHarness(pki, { services: [{ name: 'down', endpointUrl: 'http://127.0.0.1:1' }] });
    const res = await h.call('/anything', { token: await h.token({ service: 'down' }) });
    const body = await expectInwayError(res, 502, 'ERROR_CODE_SERVICE_UNREACHABLE');
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
    expect(header(res, 'fsc-transaction-id')).toBeDefined();
  });

  it('accepts the token with a "Bearer " prefix as well', async () => {
    h = await startInwayHarness(pki);
    const res = await h.call(`/personen/${KNOWN_BSN}`, { token: `Bearer ${await h.token()}` });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });

  it('uses the service named in the token, never one named by the client', async () => {
    h = await startInwayHarness(pki, { services: [{ name: 'down', endpointUrl: 'http://127.0.0.1:1' }] });
    const res = await h.call(`/personen/${KNOWN_BSN}`, { headers: { 'fsc-service-name': 'down', 'x-service': 'down' } });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    // The token names SERVICE; its endpoint (the test service) got the call.
    expect(h.service.requests).toHaveLength(1);
  });
});
