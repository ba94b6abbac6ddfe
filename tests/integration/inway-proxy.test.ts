// The inway as a reverse proxy: what reaches the service (path and query as sent, hop-by-hop headers
// dropped, X-Forwarded-* our own), what comes back (service answers of any status unaltered,
// hop-by-hop response headers dropped), upstream failures as 502/504 FSC errors, client aborts
// reaching the service, and the one log line per request.
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  KNOWN_BSN,
  OIN,
  SERVICE,
  createInwayPki,
  header,
  json,
  newTransactionId,
  startInwayHarness,
  startTestService,
  type InwayHarness,
  type InwayPki,
} from './inway-fixture.ts';
import { createStore } from '../../gateway/store/index.ts';

let pki: InwayPki;
let h: InwayHarness | undefined;
const extraCleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  pki = await createInwayPki();
});
afterAll(async () => {
  await pki.remove();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of extraCleanups.splice(0)) await c();
});

/** A request through Node's own client, which sends hop-by-hop fields exactly as given. */
function rawRequest(
  harness: InwayHarness,
  path: string,
  rawHeaders: [string, string][],
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; rawHeaders: string[]; body: string }> {
  const url = new URL(harness.inway.url);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: url.hostname,
      port: url.port,
      path,
      method: 'GET',
      ca: pki.pki.caPem,
      cert: pki.consumer.chainPem,
      key: pki.consumer.keyPem,
      agent: false,
      setHost: true,
    });
    for (const [name, value] of rawHeaders) {
      const existing = req.getHeader(name);
      req.setHeader(name, existing === undefined ? value : [...(Array.isArray(existing) ? existing : [String(existing)]), value]);
    }
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

describe('inway proxying', () => {
  it('forwards path and query exactly as received, after the endpoint base path', async () => {
    h = await startInwayHarness(pki);
    const h2 = h;
    const paths = ['/headers/a%2Fb/c?x=1&y=%20z&x=2', '/headers;matrix=1?', '/headers/%E2%82%AC?q=%2B'];
    for (const path of paths) {
      const res = await h2.call(path);
      await res.body.dump();
    }
    expect(h.service.requests.map((r) => r.url)).toEqual(paths);
    // Dot segments are resolved (RFC 3986 §5.2.4) inside the service; `%2F` in a segment stays.
    const dotted = await h2.call('/headers/a%2Fb/./c/../d?x=1');
    await dotted.body.dump();
    expect(h.service.requests.at(-1)?.url).toBe('/headers/a%2Fb/d?x=1');

    // An endpoint with a base path: /base + the path as sent.
    await h.close();
    const service = await startTestService();
    extraCleanups.push(() => service.close());
    h = await startInwayHarness(pki, { services: [{ name: 'prefixed', endpointUrl: `${service.url}/base/` }] });
    const res = await h.call('/x/y?z=1', { token: await h.token({ service: 'prefixed' }) });
    await res.body.dump();
    expect(service.requests.map((r) => r.url)).toEqual(['/base/x/y?z=1']);
  });

  it('refuses a path that would leave the endpoint base (raw, encoded, mixed-case dots, %2f) with 400, before the service or the log sees it', async () => {
    const service = await startTestService();
    extraCleanups.push(() => service.close());
    h = await startInwayHarness(pki, { services: [{ name: 'files', endpointUrl: `${service.url}/public` }] });
    const token = await h.token({ service: 'files' });
    const logged = h.txlog.stats().entries;
    for (const path of ['/../secret/key.txt', '/%2e%2e/secret/key.txt', '/%2E%2e/secret', '/a/../../secret', '/..%2fsecret/key.txt', '/x/..%2F..%2Fsecret', '/..%5csecret']) {
      const res = await h.call(path, { token });
      expect(res.statusCode, path).toBe(400);
      expect(header(res, 'fsc-error-code')).toBe('ERROR_CODE_BAD_REQUEST');
      expect(await json(res)).toMatchObject({ domain: 'ERROR_DOMAIN_INWAY', code: 'ERROR_CODE_BAD_REQUEST' });
    }
    expect(service.requests).toEqual([]);
    expect(h.txlog.stats().entries).toBe(logged);
    // Inside the base, dot segments resolve and the call goes through.
    const inside = await h.call('/docs/../readme.txt', { token });
    await inside.body.dump();
    expect(header(inside, 'fsc-error-code')).toBeUndefined();
    expect(service.requests.map((r) => r.url)).toEqual(['/public/readme.txt']);
  });

  it('drops hop-by-hop headers, those named in Connection, and client X-Forwarded-*; keeps the rest byte for byte', async () => {
    h = await startInwayHarness(pki);
    const token = await h.token();
    const transactionId = newTransactionId();
    const res = await rawRequest(h, '/headers', [
      ['Fsc-Authorization', token],
      ['Fsc-Transaction-Id', transactionId],
      ['Connection', 'keep-alive, X-Drop-Me'],
      ['X-Drop-Me', 'secret hop value'],
      ['Keep-Alive', 'timeout=30'],
      ['Proxy-Authorization', 'Basic Zm9vOmJhcg=='],
      ['TE', 'trailers'],
      ['X-Forwarded-For', '6.6.6.6'],
      ['X-Forwarded-Host', 'evil.example'],
      ['X-Forwarded-Proto', 'http'],
      ['Forwarded', 'for=6.6.6.6;host=evil.example'],
      ['X-Real-IP', '6.6.6.6'],
      ['X-Keep', 'first  value '],
      ['X-Keep', 'second'],
      ['Accept', 'application/json'],
      ['X-Latin1', 'caf\u00e9'],
    ]);
    expect(res.status).toBe(200);
    const got = pairs(h.service.requests[0]!.rawHeaders);
    const names = got.map(([n]) => n);
    for (const dropped of ['x-drop-me', 'keep-alive', 'proxy-authorization', 'te', 'x-real-ip']) expect(names).not.toContain(dropped);
    // Our own view of the connection, never the client's claims.
    expect(got.filter(([n]) => n === 'x-forwarded-for')).toEqual([['x-forwarded-for', '127.0.0.1']]);
    expect(got.filter(([n]) => n === 'x-forwarded-proto')).toEqual([['x-forwarded-proto', 'https']]);
    expect(got.find(([n]) => n === 'x-forwarded-host')?.[1]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(got.find(([n]) => n === 'forwarded')?.[1]).toMatch(/^for=127\.0\.0\.1;proto=https;host=127\.0\.0\.1:\d+$/);
    // Repeated fields stay repeated, values untouched (inner whitespace and all), latin1 bytes kept.
    expect(got.filter(([n]) => n === 'x-keep')).toEqual([
      ['x-keep', 'first  value'],
      ['x-keep', 'second'],
    ]);
    expect(got.find(([n]) => n === 'x-latin1')?.[1]).toBe('caf\u00e9');
    expect(got.find(([n]) => n === 'accept')?.[1]).toBe('application/json');
    expect(got.find(([n]) => n === 'fsc-authorization')?.[1]).toBe(token);
    expect(got.find(([n]) => n === 'fsc-transaction-id')?.[1]).toBe(transactionId);
  });

  it('drops hop-by-hop response headers and those the service named in Connection; keeps its own', async () => {
    h = await startInwayHarness(pki);
    const token = await h.token();
    const res = await rawRequest(h, '/wrapper/hop-by-hop-response', [
      ['Fsc-Authorization', token],
      ['Fsc-Transaction-Id', newTransactionId()],
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toBe('ok');
    expect(res.headers['x-secret-hop']).toBeUndefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
    expect(res.headers['x-service-header']).toBe('kept');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers['content-length']).toBe('2');
    expect(res.headers['fsc-transaction-id']).toBeDefined();
    // `keep-alive` on the way back is the inway's own (its listener's), not the service's 30 s.
    expect(res.headers['keep-alive']).not.toBe('timeout=5, max=1');
  });

  it.each([400, 404, 409, 500, 503])('passes a service answer with status %i through unaltered (no Fsc-Error-Code)', async (status) => {
    h = await startInwayHarness(pki);
    const transactionId = newTransactionId();
    const res = await h.call(`/status/${status}`, { transactionId });
    expect(res.statusCode).toBe(status);
    expect(header(res, 'fsc-error-code')).toBeUndefined();
    expect(header(res, 'x-person-registry-status')).toBe(String(status));
    expect(header(res, 'fsc-transaction-id')).toBe(transactionId);
    expect(await json(res)).toEqual({ status, source: 'person-registry' });
  });

  it('passes bodyless answers (204, 304, HEAD) through', async () => {
    h = await startInwayHarness(pki);
    const noContent = await h.call('/status/204');
    expect(noContent.statusCode).toBe(204);
    expect(await noContent.body.text()).toBe('');
    const head = await h.call(`/bulk?bytes=1234`, { method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    expect(header(head, 'content-length')).toBe('1234');
    expect(await head.body.text()).toBe('');
  });

  it('answers 504 ERROR_CODE_SERVICE_TIMEOUT when the service sends no headers in time', async () => {
    h = await startInwayHarness(pki, { timeouts: { headersMs: 300 } });
    const started = performance.now();
    const res = await h.call('/slow?ms=5000');
    expect(res.statusCode).toBe(504);
    expect(header(res, 'fsc-error-code')).toBe('ERROR_CODE_SERVICE_TIMEOUT');
    expect(await json(res)).toMatchObject({ domain: 'ERROR_DOMAIN_INWAY', code: 'ERROR_CODE_SERVICE_TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(h.lines.some((l) => l.msg === 'service call failed' && l.kind === 'headers-timeout')).toBe(true);
    // The abandoned request is cancelled at the service as well.
    await expect.poll(() => h!.service.aborted).toBe(1);
  });

  it('answers 504 when connecting (TCP + TLS handshake) to the service takes too long', async () => {
    // Accepts TCP and never speaks TLS.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    extraCleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          silent.close(() => r());
        }),
    );
    const port = (silent.address() as net.AddressInfo).port;
    h = await startInwayHarness(pki, { timeouts: { connectMs: 300 }, services: [{ name: 'tls-silent', endpointUrl: `https://127.0.0.1:${port}` }] });
    const res = await h.call('/x', { token: await h.token({ service: 'tls-silent' }) });
    expect(res.statusCode).toBe(504);
    expect(header(res, 'fsc-error-code')).toBe('ERROR_CODE_SERVICE_TIMEOUT');
    await res.body.dump();
  });

  it('answers 502 ERROR_CODE_SERVICE_UNREACHABLE when the service drops the connection', async () => {
    h = await startInwayHarness(pki);
    const res = await h.call('/wrapper/reset');
    expect(res.statusCode).toBe(502);
    expect(header(res, 'fsc-error-code')).toBe('ERROR_CODE_SERVICE_UNREACHABLE');
    await res.body.dump();
  });

  it('cuts the response off when the service body stalls longer than the body-idle timeout', async () => {
    h = await startInwayHarness(pki, { timeouts: { bodyIdleMs: 300 } });
    const res = await h.call('/slow?ms=5000&after=headers');
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();
    await expect.poll(() => h!.lines.some((l) => l.msg === 'service response body failed')).toBe(true);
  });

  it('completion records carry the true outcome: bytes, the code of a cut, who aborted (issue 10 finding 4)', async () => {
    h = await startInwayHarness(pki, { timeouts: { bodyIdleMs: 300 } });
    const completion = async (id: string) => {
      let c: Record<string, unknown> | undefined;
      await expect
        .poll(async () => {
          c = (await h!.txlog.query({ transactionIds: [id] })).records[0]?.completion as Record<string, unknown> | undefined;
          return c !== undefined;
        })
        .toBe(true);
      return c!;
    };
    // A whole answer: its status and size, nobody aborted.
    const okId = newTransactionId();
    const ok = await h.call('/bulk?bytes=4321', { transactionId: okId });
    expect((await ok.body.arrayBuffer()).byteLength).toBe(4321);
    const okDone = await completion(okId);
    expect(okDone).toMatchObject({ status: 200, bytes: 4321 });
    expect(okDone.aborted_by).toBeUndefined();
    expect(okDone.error_code).toBeUndefined();

    // The service stalls after its head: the inway cuts the answer, and says so.
    const stallId = newTransactionId();
    const stalled = await h.call('/slow?ms=5000&after=headers', { transactionId: stallId });
    await expect(stalled.body.text()).rejects.toThrow();
    expect(await completion(stallId)).toMatchObject({ status: 200, error_code: 'ERROR_CODE_SERVICE_TIMEOUT', aborted_by: 'upstream' });

    // The client leaves before any answer: no status went out.
    const goneId = newTransactionId();
    const received = new Promise<void>((resolve) => {
      h!.service.onRequest = () => resolve();
    });
    const controller = new AbortController();
    const pending = h.call('/slow?ms=10000', { transactionId: goneId, signal: controller.signal });
    await received;
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(await completion(goneId)).toMatchObject({ status: 0, aborted_by: 'client' });
  });

  it('propagates a client abort to the service', async () => {
    h = await startInwayHarness(pki);
    const received = new Promise<void>((resolve) => {
      h!.service.onRequest = () => resolve();
    });
    const controller = new AbortController();
    const pending = h.call('/slow?ms=10000', { signal: controller.signal });
    await received;
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => h!.service.aborted).toBe(1);
    await expect.poll(() => h!.lines.some((l) => l.msg === 'request aborted' && l.reason === 'client-aborted')).toBe(true);
    expect(h.lines.some((l) => l.msg === 'service call failed')).toBe(false);
  });

  it('writes one debug line per request (the access log at info is aggregated), without path, data subjects or tokens', async () => {
    h = await startInwayHarness(pki);
    const token = await h.token();
    const transactionId = newTransactionId();
    const res = await h.call(`/personen/${KNOWN_BSN}?fields=naam`, {
      token,
      transactionId,
      headers: { 'x-nlx-request-data-subject': `bsn=${KNOWN_BSN}`, 'x-nlx-request-user-id': 'user-42' },
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await expect.poll(() => h!.lines.filter((l) => l.msg === 'request completed').length).toBe(1);
    const line = h.lines.find((l) => l.msg === 'request completed');
    expect(line).toMatchObject({ level: 'debug', method: 'GET', status: 200, transactionId, service: SERVICE, peer: OIN.consumer });
    expect(typeof line?.durationMs).toBe('number');
    const all = h.rawLines.join('\n');
    expect(all).not.toContain(KNOWN_BSN);
    expect(all).not.toContain('user-42');
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.split('.')[2]!);

    // A refused request also gets exactly one line, with its code.
    const refused = await h.call('/x', { token: null });
    await refused.body.dump();
    await expect.poll(() => h!.lines.filter((l) => l.msg === 'request completed').length).toBe(2);
    expect(h.lines.filter((l) => l.msg === 'request completed')[1]).toMatchObject({ status: 401, code: 'ERROR_CODE_ACCESS_TOKEN_MISSING' });
  });

  it('counts requests per service and outcome, and the HTTP duration, in its metrics registry', async () => {
    h = await startInwayHarness(pki);
    const ok = await h.call('/status/200');
    await ok.body.dump();
    const missing = await h.call('/status/200', { transactionId: null });
    await missing.body.dump();
    await expect
      .poll(() => h!.inway.metrics.text())
      .toMatch(new RegExp(`koppel_inway_requests_total\\{service="${SERVICE}",outcome="OK",component="inway"\\} 1`));
    const text = await h.inway.metrics.text();
    expect(text).toMatch(new RegExp(`koppel_inway_requests_total\\{service="${SERVICE}",outcome="MISSING_LOG_RECORD_ID",component="inway"\\} 1`));
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_response_status_code="200"[^}]*\} 1/);
  });

  it('serves many requests over one pooled keep-alive connection to the service', async () => {
    h = await startInwayHarness(pki);
    for (let i = 0; i < 20; i++) {
      const res = await h.call(`/personen/${KNOWN_BSN}`);
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    expect(h.service.requests).toHaveLength(20);
    // Sequential requests reuse one connection to the service.
    expect(new Set(h.service.requests.map((r) => r.remotePort)).size).toBe(1);
  });

  it('offers services added to the store (admin API) besides the configured ones', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'koppel-inway-store-'));
    const store = await createStore({ kind: 'sqlite', dataDir });
    extraCleanups.push(async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    });
    const service = await startTestService();
    extraCleanups.push(() => service.close());
    h = await startInwayHarness(pki, { inway: { store } });
    const token = await h.token({ service: 'from-store' });
    const before = await h.call('/x', { token });
    expect(before.statusCode).toBe(404);
    await before.body.dump();
    await store.putService({ name: 'from-store', endpointUrl: service.url, inwayAddress: 'https://localhost:443', protocol: 'PROTOCOL_TCP_HTTP_1.1' });
    // Store answers are cached for a few seconds (no store round trip per request); move the clock.
    h.now.ms += 10_000;
    const after = await h.call('/status/201', { token: await h.token({ service: 'from-store' }) });
    expect(after.statusCode).toBe(201);
    await after.body.dump();
    expect(service.requests.map((r) => r.url)).toEqual(['/status/201']);
  });

  it('closes idempotently and refuses to listen again', async () => {
    h = await startInwayHarness(pki);
    const url = h.inway.url;
    await Promise.all([h.inway.close(), h.inway.close()]);
    await expect(h.inway.listen()).rejects.toThrow('closed');
    await expect(fetchStatus(url)).rejects.toThrow();
  });
});

function fetchStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca: pki.pki.caPem, cert: pki.consumer.chainPem, key: pki.consumer.keyPem, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
