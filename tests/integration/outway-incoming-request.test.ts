// The outway's data path (fsc-core "Outway"; fsc-test-suite outway.md Outway-IncomingRequest-1…3):
// real managers negotiate the contracts, the real inway serves, everything over real mTLS.
import net from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutway } from '../../gateway/outway/index.ts';
import { loadPeerTls } from '../../gateway/runtime/index.ts';
import { connectionGrant, freePort } from './manager-fixture.ts';
import { createOutwayWorld, fscErrorOf, json, OIN, outwayConfig, rawHttp, type OutwayWorld, type ServiceRequest } from './outway-fixture.ts';

const PATH_AND_QUERY = '/a%2Fb/c?x=1&x=2&y=%20';

let world: OutwayWorld;
let stalled: net.Server;
const stalledSockets = new Set<net.Socket>();

beforeAll(async () => {
  world = await createOutwayWorld({ services: ['basisregistratie', 'kadaster'], connect: ['basisregistratie'], timeouts: { connectMs: 1_000, headersMs: 1_500 } });
  // An inway address nobody listens on, and one that accepts TCP but never completes TLS.
  const closedPort = await freePort();
  stalled = net.createServer((socket) => {
    stalledSockets.add(socket);
    socket.on('close', () => stalledSockets.delete(socket));
  });
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  const stalledPort = (stalled.address() as net.AddressInfo).port;
  await world.addService('offline', `https://127.0.0.1:${closedPort}`);
  await world.addService('stalled', `https://127.0.0.1:${stalledPort}`);
  const consumerCert = world.fed.pki.peers[OIN.consumer]!;
  for (const name of ['offline', 'stalled']) {
    world.connections.set(name, await world.negotiate(world.consumer, [connectionGrant(consumerCert, OIN.provider, name)], [world.provider]));
  }
});

afterAll(async () => {
  for (const s of stalledSockets) s.destroy();
  await new Promise<void>((resolve) => stalled?.close(() => resolve()));
  await world?.close();
});

function grantHashOf(service: string): string {
  const hash = world.connections.get(service)?.grantHashes[0];
  if (hash === undefined) throw new Error(`no connection for ${service}`);
  return hash;
}

function lastSeen(): ServiceRequest {
  const seen = world.service.received.at(-1);
  if (seen === undefined) throw new Error('the service received nothing');
  return seen;
}

describe('Outway-IncomingRequest-1: a request that can be proxied to the inway', () => {
  it('Outway-IncomingRequest-1: obtains a token for the valid ServiceConnectionGrant, proxies to the inway and returns the response', async () => {
    const before = world.service.received.length;
    const res = await world.call(`/${OIN.provider}/basisregistratie/persons/1`);
    expect(res.statusCode).toBe(200);
    const echoed = await json<ServiceRequest>(res);
    expect(world.service.received.length).toBe(before + 1);
    expect(echoed.url).toBe('/persons/1');
    // The token the service sees was issued by the provider for our grant and certificate.
    const token = echoed.headers['fsc-authorization'] as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ gth: grantHashOf('basisregistratie'), sub: OIN.consumer, iss: OIN.provider, svc: 'basisregistratie', aud: world.inway.url });
  });

  it('friendly form: the prefix is removed, the rest of the path and the query go byte for byte', async () => {
    const res = await world.call(`/${OIN.provider}/basisregistratie${PATH_AND_QUERY}`);
    expect(res.statusCode).toBe(200);
    expect((await json<ServiceRequest>(res)).url).toBe(PATH_AND_QUERY);
    const bare = await world.call(`/${OIN.provider}/basisregistratie?q=%2F`);
    expect((await json<ServiceRequest>(bare)).url).toBe('/?q=%2F');
  });

  it('refuses a path that climbs out of the service (dot segments, encoded too) with 400 before anything is sent', async () => {
    // Sent raw (a URL parser would resolve the dots before they reach the outway).
    const raw = (path: string) => world.client.request({ origin: world.outway.url, path, method: 'GET' });
    for (const rest of ['/../other', '/%2e%2e/other', '/a/%2E%2E/%2e%2e/other', '/..%2fother']) {
      const res = await raw(`/${OIN.provider}/basisregistratie${rest}`);
      expect(res.statusCode, rest).toBe(400);
      expect(await json(res)).toMatchObject({ domain: 'ERROR_DOMAIN_OUTWAY', code: 'ERROR_CODE_BAD_REQUEST' });
    }
    // Inside the service the dots resolve.
    const res = await raw(`/${OIN.provider}/basisregistratie/a/../b?x=1`);
    expect(res.statusCode).toBe(200);
    expect((await json<ServiceRequest>(res)).url).toBe('/b?x=1');
  });

  it('FSC form: Fsc-Grant-Hash on any path leaves the path untouched and is not forwarded', async () => {
    const res = await world.call(PATH_AND_QUERY, { headers: { 'fsc-grant-hash': grantHashOf('basisregistratie') } });
    expect(res.statusCode).toBe(200);
    const echoed = await json<ServiceRequest>(res);
    expect(echoed.url).toBe(PATH_AND_QUERY);
    expect(echoed.headers['fsc-grant-hash']).toBeUndefined();
  });

  it('answers a Fsc-Grant-Hash with an unknown hash algorithm with ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH, not a bad request', async () => {
    const res = await world.call('/x', { headers: { 'fsc-grant-hash': '$9$3$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(res.statusCode).toBe(422);
    expect(await json(res)).toMatchObject({ domain: 'ERROR_DOMAIN_OUTWAY', code: 'ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH' });
  });

  it('passes method, body and end-to-end headers; returns Fsc-Transaction-Id', async () => {
    const body = JSON.stringify({ name: 'Jan' });
    const res = await world.call(`/${OIN.provider}/basisregistratie/persons`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer app-credential', 'x-app': 'one' },
      body,
    });
    expect(res.statusCode).toBe(200);
    const echoed = await json<ServiceRequest>(res);
    expect(echoed).toMatchObject({ method: 'POST', bodyBytes: Buffer.byteLength(body) });
    expect(echoed.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer app-credential', 'x-app': 'one' });
    expect(res.headers['fsc-transaction-id']).toBe(echoed.headers['fsc-transaction-id']);
    expect(res.headers['fsc-transaction-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('ignores a client Fsc-Authorization and Fsc-Transaction-Id: the outway sets its own', async () => {
    const res = await world.call(`/${OIN.provider}/basisregistratie/x`, {
      headers: { 'fsc-authorization': 'forged', 'fsc-transaction-id': '01890000-0000-7000-8000-000000000000' },
    });
    const echoed = await json<ServiceRequest>(res);
    expect(echoed.headers['fsc-authorization']).not.toBe('forged');
    expect(echoed.headers['fsc-transaction-id']).not.toBe('01890000-0000-7000-8000-000000000000');
    expect(res.headers['fsc-transaction-id']).toBe(echoed.headers['fsc-transaction-id']);
  });

  it('removes hop-by-hop headers both ways and does not trust client X-Forwarded-*/Forwarded', async () => {
    // Raw, because HTTP client libraries refuse to send a Connection header naming other fields.
    const sent = await rawHttp(
      world.outway.url,
      [
        `GET /${OIN.provider}/basisregistratie/x HTTP/1.1`,
        'Host: outway.local',
        'Connection: close, x-hop-request',
        'X-Hop-Request: secret',
        'Keep-Alive: timeout=99',
        'TE: trailers',
        'X-Forwarded-For: 203.0.113.7',
        'X-Forwarded-Host: evil.example',
        'Forwarded: for=203.0.113.7',
        '',
        '',
      ].join('\r\n'),
    );
    expect(sent.status).toBe(200);
    const echoed = lastSeen();
    expect(echoed.url).toBe('/x');
    expect(echoed.headers['x-hop-request']).toBeUndefined();
    expect(echoed.headers.te).toBeUndefined();
    expect(echoed.headers['keep-alive']).toBeUndefined();
    expect(JSON.stringify(echoed.headers)).not.toContain('203.0.113.7');
    expect(JSON.stringify(echoed.headers)).not.toContain('evil.example');

    const hop = await world.call(`/${OIN.provider}/basisregistratie/hop`);
    expect(hop.statusCode).toBe(200);
    expect(hop.headers['x-hop-secret']).toBeUndefined();
    expect(hop.headers['x-end-to-end']).toBe('kept');
    await hop.body.text();
  });

  it('propagates traceparent as a child span of the same trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const res = await world.call(`/${OIN.provider}/basisregistratie/x`, { headers: { traceparent: `00-${traceId}-${parent}-01` } });
    const echoed = await json<ServiceRequest>(res);
    const [version, trace, span, flags] = String(echoed.headers.traceparent).split('-');
    expect({ version, trace, flags }).toEqual({ version: '00', trace: traceId, flags: '01' });
    expect(span).not.toBe(parent);
    // The outway's own span is the one it recorded and handed to the inway.
    const txid = String(res.headers['fsc-transaction-id']);
    const { records } = await world.consumerTxlog.query({ transactionIds: [txid] });
    expect(records[0]?.record).toMatchObject({ trace_id: traceId });
    expect(records[0]?.record.span_id).not.toBe(parent);
  });

  it('passes service errors through unaltered', async () => {
    const res = await world.call(`/${OIN.provider}/basisregistratie/status/503`);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['x-service-error']).toBe('yes');
    expect(res.headers['fsc-error-code']).toBeUndefined();
    expect(await res.body.json()).toEqual({ title: 'service says no', status: 503 });
    expect(res.headers['fsc-transaction-id']).toBeDefined();
  });

  it('answers HEAD without a body', async () => {
    const res = await world.call(`/${OIN.provider}/basisregistratie/x`, { method: 'HEAD' });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('');
  });
});

describe('Outway-IncomingRequest-2: a request that cannot be proxied', () => {
  it('Outway-IncomingRequest-2: without a valid contract no token is requested, nothing is sent to the inway, and the error lists what can be reached', async () => {
    // A connection contract that is only proposed (the provider has not accepted) is not valid.
    const consumerCert = world.fed.pki.peers[OIN.consumer]!;
    const proposed = await world.consumer.manager.service.submitContract({
      grants: [{ data: connectionGrant(consumerCert, OIN.provider, 'kadaster') }],
      validity: { not_before: Math.floor(Date.now() / 1000) - 60, not_after: Math.floor(Date.now() / 1000) + 3600 },
    });
    expect(proposed.state).toBe('proposed');
    const tokens = world.tokensIssued();
    const seen = world.service.received.length;

    const res = await world.call(`/${OIN.provider}/kadaster/parcels/1`);
    const err = await fscErrorOf(res);
    expect(err).toMatchObject({ status: 403, header: 'ERROR_CODE_NO_GRANT', code: 'ERROR_CODE_NO_GRANT', domain: 'ERROR_DOMAIN_OUTWAY' });
    expect(err.body.message).toContain('kadaster');
    const listed = err.body.reachable_services as { provider_peer_id: string; provider_name?: string; service_name: string; url?: string; grant_hash: string }[];
    expect(listed).toContainEqual({
      provider_peer_id: OIN.provider,
      provider_name: 'Provider Org',
      service_name: 'basisregistratie',
      url: `${world.outway.url}/${OIN.provider}/basisregistratie`,
      grant_hash: grantHashOf('basisregistratie'),
    });
    expect(listed.map((s) => s.service_name)).not.toContain('kadaster');
    expect(world.tokensIssued()).toBe(tokens);
    expect(world.service.received.length).toBe(seen);

    // The listed URL works.
    const ok = await world.call(new URL(listed.find((s) => s.service_name === 'basisregistratie')!.url!).pathname);
    expect(ok.statusCode).toBe(200);
    await ok.body.text();
  });

  it('an unknown Fsc-Grant-Hash is 404 ERROR_CODE_GRANT_NOT_FOUND with the listing', async () => {
    const unknown = `$1$3$${Buffer.alloc(64, 5).toString('base64url')}`;
    const err = await fscErrorOf(await world.call('/x', { headers: { 'fsc-grant-hash': unknown } }));
    expect(err).toMatchObject({ status: 404, code: 'ERROR_CODE_GRANT_NOT_FOUND', domain: 'ERROR_DOMAIN_OUTWAY' });
    expect((err.body.reachable_services as unknown[]).length).toBeGreaterThan(0);
  });

  it('a malformed Fsc-Grant-Hash is 400', async () => {
    const err = await fscErrorOf(await world.call('/x', { headers: { 'fsc-grant-hash': 'not-a-hash' } }));
    expect(err).toMatchObject({ status: 400, header: 'ERROR_CODE_BAD_REQUEST', domain: 'ERROR_DOMAIN_OUTWAY' });
  });

  it('a path that names no service is refused with the listing', async () => {
    const err = await fscErrorOf(await world.call('/'));
    expect(err).toMatchObject({ status: 403, code: 'ERROR_CODE_NO_GRANT', domain: 'ERROR_DOMAIN_OUTWAY' });
    expect((err.body.reachable_services as { service_name: string }[]).map((s) => s.service_name)).toContain('basisregistratie');
  });

  it('CONNECT is 405 ERROR_CODE_METHOD_UNSUPPORTED', async () => {
    const { head, body } = await rawHttp(world.outway.url, `CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n`);
    expect(head).toMatch(/^HTTP\/1\.1 405 /);
    expect(head?.toLowerCase()).toContain('fsc-error-code: error_code_method_unsupported');
    expect(JSON.parse(body ?? '')).toMatchObject({ code: 'ERROR_CODE_METHOD_UNSUPPORTED', domain: 'ERROR_DOMAIN_OUTWAY' });
  });
});

describe('applications over HTTPS', () => {
  it('serves applications over TLS when outway.tls is configured', async () => {
    const consumerCert = world.fed.pki.peers[OIN.consumer]!;
    const base = outwayConfig(world.fed, consumerCert, world.consumer.address, world.consumerTxlogDir);
    const config = { ...base, outway: { ...base.outway, tls: { certificatePath: consumerCert.certPath, keyPath: consumerCert.keyPath } } };
    const tls = await loadPeerTls({ trustAnchorFile: world.fed.pki.caPath, certFile: consumerCert.certPath, keyFile: consumerCert.keyPath });
    const secure = createOutway({ config, logger: world.log.logger, store: world.consumer.store, txlog: world.consumerTxlog, tls });
    const client = new Agent({ connect: { ca: world.fed.pki.caPem } });
    try {
      const running = await secure.listen();
      expect(running.url).toMatch(/^https:/);
      const res = await request(`${secure.url}/${OIN.provider}/basisregistratie/x`, { dispatcher: client });
      expect(res.statusCode).toBe(200);
      expect((await json<ServiceRequest>(res)).url).toBe('/x');
      // The listing names the https URL.
      const listed = await fscErrorOf(await request(`${secure.url}/`, { dispatcher: client }));
      expect((listed.body.reachable_services as { url?: string }[]).map((s) => s.url)).toContain(
        `https://127.0.0.1:${running.port}/${OIN.provider}/basisregistratie`,
      );
    } finally {
      await client.close();
      await secure.close();
    }
  });
});

describe('Outway-IncomingRequest-3: a request proxied to a failing inway', () => {
  it('Outway-IncomingRequest-3: an unreachable inway is 502 ERROR_CODE_INWAY_UNREACHABLE after the token was obtained', async () => {
    const tokens = world.tokensIssued();
    const res = await world.call(`/${OIN.provider}/offline/x`);
    const err = await fscErrorOf(res);
    expect(err).toMatchObject({ status: 502, header: 'ERROR_CODE_INWAY_UNREACHABLE', code: 'ERROR_CODE_INWAY_UNREACHABLE', domain: 'ERROR_DOMAIN_OUTWAY' });
    expect(world.tokensIssued()).toBe(tokens + 1);
    // The request was logged before forwarding, and the error names the transaction.
    expect(err.body.transaction_id).toBe(res.headers['fsc-transaction-id']);
    expect(JSON.stringify(err.body)).not.toContain('127.0.0.1');
  });

  it('a token the provider refuses is 502 ERROR_CODE_ACCESS_TOKEN_FETCH_FAILED, and nothing is forwarded', async () => {
    // The provider stops offering a service the consumer still holds a valid contract for.
    await world.addService('withdrawn', world.inway.url);
    const consumerCert = world.fed.pki.peers[OIN.consumer]!;
    world.connections.set('withdrawn', await world.negotiate(world.consumer, [connectionGrant(consumerCert, OIN.provider, 'withdrawn')], [world.provider]));
    await world.provider.store.deleteService('withdrawn');
    const seen = world.service.received.length;
    const res = await world.call(`/${OIN.provider}/withdrawn/x`);
    const err = await fscErrorOf(res);
    expect(err).toMatchObject({ status: 502, header: 'ERROR_CODE_ACCESS_TOKEN_FETCH_FAILED', domain: 'ERROR_DOMAIN_OUTWAY' });
    expect(err.body.message).toContain('invalid_scope');
    expect(res.headers['fsc-transaction-id']).toBeUndefined();
    expect(world.service.received.length).toBe(seen);
  });

  it('an inway that never completes the handshake is 504 ERROR_CODE_SERVICE_TIMEOUT', async () => {
    const err = await fscErrorOf(await world.call(`/${OIN.provider}/stalled/x`));
    expect(err).toMatchObject({ status: 504, code: 'ERROR_CODE_SERVICE_TIMEOUT', domain: 'ERROR_DOMAIN_OUTWAY' });
  });

  it('an inway that does not answer in time is 504 ERROR_CODE_SERVICE_TIMEOUT', async () => {
    const err = await fscErrorOf(await world.call(`/${OIN.provider}/basisregistratie/slow?ms=4000`));
    expect(err).toMatchObject({ status: 504, header: 'ERROR_CODE_SERVICE_TIMEOUT', domain: 'ERROR_DOMAIN_OUTWAY' });
  });
});

describe('whose timeout it was (issue 10 finding 5)', () => {
  let timed: OutwayWorld;
  beforeAll(async () => {
    // The same timeouts on both sides, as two organisations with default settings have.
    timed = await createOutwayWorld({ timeouts: { headersMs: 800 }, inwayTimeouts: { headersMs: 800 } });
  });
  afterAll(async () => {
    await timed?.close();
  });

  it("a slow service is the inway's 504 SERVICE_TIMEOUT, passed through, not the outway's \"inway did not respond\"", async () => {
    const err = await fscErrorOf(await timed.call(`/${OIN.provider}/basisregistratie/slow?ms=3000`));
    expect(err).toMatchObject({ status: 504, header: 'ERROR_CODE_SERVICE_TIMEOUT', domain: 'ERROR_DOMAIN_INWAY' });
  });
});

describe('one slow service does not starve the others (issue 10 finding 5)', () => {
  let busy: OutwayWorld;
  beforeAll(async () => {
    busy = await createOutwayWorld({
      services: ['basisregistratie', 'kadaster'],
      connect: ['basisregistratie', 'kadaster'],
      outway: { maxCallsPerService: 2, maxQueuedCallsPerService: 0 },
    });
  });
  afterAll(async () => {
    await busy?.close();
  });

  it('refuses a call over the per-service limit at once with 503, while another service behind the same inway answers', async () => {
    const before = busy.service.received.length;
    const slow = [1, 2].map(() => busy.call(`/${OIN.provider}/basisregistratie/slow?ms=1500`));
    await expect.poll(() => busy.service.received.length - before).toBe(2);
    const started = performance.now();
    const refused = await fscErrorOf(await busy.call(`/${OIN.provider}/basisregistratie/x`));
    expect(refused).toMatchObject({ status: 503, code: 'ERROR_CODE_SERVICE_UNAVAILABLE', domain: 'ERROR_DOMAIN_OUTWAY' });
    const other = await busy.call(`/${OIN.provider}/kadaster/x`);
    expect(other.statusCode).toBe(200);
    await other.body.dump();
    // Both answered while the slow calls still ran.
    expect(performance.now() - started).toBeLessThan(1_500);
    for (const res of await Promise.all(slow)) {
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    // The places are given back: the service takes calls again.
    const again = await busy.call(`/${OIN.provider}/basisregistratie/x`);
    expect(again.statusCode).toBe(200);
    await again.body.dump();
  });
});
