// The operator console's routes (gateway/console), served by `app.request` against a real provider
// manager (SQLite store, real contracts signed over mTLS by another peer) and a real SQLite
// transaction log: login and sessions, the bearer alternative, CSRF on every form, contract actions,
// the traffic filters, pagination, exports, language, security headers and the live tail.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleAdminFrom, type GroupService } from '../../gateway/admin/index.ts';
import { createConsole, type ConsoleApp } from '../../gateway/console/index.ts';
import { createUuidV7Generator } from '../../gateway/protocol/index.ts';
import { createTxLog, type LogRecord, type TxLog } from '../../gateway/txlog/index.ts';
import {
  connectionGrant,
  contractContent,
  createFederation,
  hashOf,
  OIN,
  postContract,
  rawClient,
  signedBody,
  startPeer,
  type Federation,
  type RawClient,
  type RunningPeer,
} from './manager-fixture.ts';

const TOKEN = 'console-test-token-0123456789abcdef';
const NOW_S = 1_760_000_000;
const BSN = '999993653';
const ORIGIN = 'http://localhost';
const uuid = createUuidV7Generator();

/** A minimal cookie jar over `app.request`. */
class Browser {
  readonly cookies = new Map<string, string>();
  constructor(private readonly app: ConsoleApp) {}

  async go(path: string, init: Omit<RequestInit, 'headers'> & { headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await this.app.request(`${ORIGIN}${path}`, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = { origin: ORIGIN }): Promise<Response> {
    return this.go(path, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  }

  async login(): Promise<void> {
    const res = await this.post('/console/login', { token: TOKEN, next: '/console/services' });
    expect(res.status).toBe(303);
  }

  /** The CSRF token of the current session, read from a page's logout form. */
  async csrf(): Promise<string> {
    const text = await (await this.go('/console/services')).text();
    const m = /name="csrf" value="([^"]+)"/.exec(text);
    if (!m?.[1]) throw new Error('no csrf field');
    return m[1];
  }
}

function rec(overrides: Partial<LogRecord>): LogRecord {
  return {
    transaction_id: uuid(),
    direction: 'DIRECTION_INCOMING',
    grant_hash: '$1$3$AAAAgrant',
    source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.consumer },
    destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: OIN.provider },
    service_name: 'basisregistratie',
    created_at: NOW_S - 600,
    ...overrides,
  };
}

const rowsOf = (html: string): string[] => [...html.matchAll(/<tr data-tx="([^"]+)"/g)].map((m) => m[1]!);

describe('operator console routes', () => {
  let fed: Federation;
  let provider: RunningPeer;
  let asConsumer: RawClient;
  let dataDir: string;
  let txlog: TxLog;
  let app: ConsoleApp;
  const group: GroupService[] = [
    { type: 'SERVICE_TYPE_SERVICE', peer: { id: OIN.provider, name: 'Provider Org' }, name: 'basisregistratie', protocol: 'PROTOCOL_TCP_HTTP_1.1', inwayAddress: 'https://inway.example:443', health: { status: 'up', checkedAt: NOW_S - 5 } },
    { type: 'SERVICE_TYPE_SERVICE', peer: { id: OIN.third, name: 'Third Org' }, name: 'kadaster', protocol: 'PROTOCOL_TCP_HTTP_2', health: { status: 'down', checkedAt: NOW_S - 5, reason: 'connect-refused' } },
  ];
  const tx = { withSubject: '', withProcess: '', failed: '', other: '', lastWritten: '' };

  beforeAll(async () => {
    fed = await createFederation();
    provider = await startPeer(fed, { oin: OIN.provider, services: ['basisregistratie'] });
    asConsumer = rawClient(fed, fed.pki.peers[OIN.consumer]!);
    dataDir = await mkdtemp(join(tmpdir(), 'koppel-console-'));
    txlog = await createTxLog({ kind: 'sqlite', dataDir, peerId: OIN.provider, headIntervalMs: 0 });
    const a = rec({ additional_data: { data_subject: `bsn=${BSN}`, process_id: 'p-1' } });
    const b = rec({ created_at: NOW_S - 500, additional_data: { process_id: 'p-2' } });
    const c = rec({ created_at: NOW_S - 400, service_name: 'kadaster', source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.third } });
    const d = rec({ created_at: NOW_S - 300, additional_data: { data_subject: 'bsn=111222333', process_id: '=cmd|calc' } });
    for (const r of [a, b, c, d]) await txlog.write(r);
    await txlog.writeCompletion({ transaction_id: a.transaction_id, direction: a.direction, status: 200, duration_ms: 12 });
    await txlog.writeCompletion({ transaction_id: c.transaction_id, direction: c.direction, status: 502, duration_ms: 40, error_code: 'ERROR_CODE_SERVICE_UNREACHABLE' });
    tx.withSubject = a.transaction_id;
    tx.withProcess = b.transaction_id;
    tx.failed = c.transaction_id;
    tx.other = d.transaction_id;
    // 60 more, for pagination (50 per page).
    for (let i = 0; i < 60; i++) {
      const r = rec({ created_at: NOW_S - 3000 + i });
      await txlog.write(r);
      tx.lastWritten = r.transaction_id;
    }
    app = createConsole({
      store: provider.store,
      txlog,
      admin: consoleAdminFrom({ service: provider.manager.service, store: provider.store, groupServices: { listServices: () => Promise.resolve(group) }, peerName: 'Provider Org' }),
      adminToken: TOKEN,
      peerId: OIN.provider,
      peerName: 'Provider Org',
      logger: fed.logger,
      clock: () => NOW_S * 1000,
      liveKeepAliveMs: 60_000,
    });
  });

  afterAll(async () => {
    await app?.close();
    await asConsumer?.close();
    await txlog?.close();
    await provider?.destroy();
    await rm(dataDir, { recursive: true, force: true });
    await fed?.remove();
  });

  /** A connection contract the consumer signed and sent: pending at the provider. */
  async function pendingContract(): Promise<string> {
    const content = contractContent([connectionGrant(fed.pki.peers[OIN.consumer]!, OIN.provider, 'basisregistratie')]);
    const res = await postContract(asConsumer, provider, await signedBody(fed.pki.peers[OIN.consumer]!, content));
    expect(res.status).toBe(201);
    return hashOf(content);
  }

  describe('authentication', () => {
    it('sends a browser to the login form and refuses other clients with 401', async () => {
      const b = new Browser(app);
      const page = await b.go('/console/traffic?subject=bsn%3D1');
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe(`/console/login?next=${encodeURIComponent('/console/traffic?subject=bsn%3D1')}`);
      for (const path of ['/console/traffic/export?format=csv', '/console/traffic/stream', '/console/contracts']) {
        const res = await b.go(path, { headers: { accept: 'application/json' } });
        expect({ path, status: res.status }).toEqual({ path, status: 401 });
      }
      const post = await b.post('/console/contracts/$1$1$abc/accept', {});
      expect(post.status).toBe(401);
    });

    it('logs in with the admin token into an HttpOnly, SameSite=Strict session cookie', async () => {
      const b = new Browser(app);
      const form = await b.go('/console/login');
      expect(form.status).toBe(200);
      const wrong = await b.post('/console/login', { token: 'not-the-token-at-all', next: '/console/contracts' });
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).toContain('That token is not valid.');
      expect(b.cookies.has('koppel_console')).toBe(false);

      const res = await b.post('/console/login', { token: TOKEN, next: '/console/contracts' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/console/contracts');
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('koppel_console='));
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).toMatch(/Path=\/console/);
      expect(cookie).not.toContain(TOKEN);
      const page = await b.go('/console/contracts');
      expect(page.status).toBe(200);
      expect(await page.text()).not.toContain(TOKEN);
    });

    it('never redirects to another site after login', async () => {
      const b = new Browser(app);
      for (const next of ['https://evil.example/', '//evil.example/x', '/console/../admin', '/console/%2e%2e/admin', '/console/login', '/console\\evil']) {
        const res = await b.post('/console/login', { token: TOKEN, next });
        expect({ next, location: res.headers.get('location') }).toEqual({ next, location: '/console/services' });
      }
      const ok = await b.post('/console/login', { token: TOKEN, next: '/console/traffic?subject=bsn%3D1' });
      expect(ok.headers.get('location')).toBe('/console/traffic?subject=bsn%3D1');
    });

    it('accepts the bearer header instead of a session, and no other token', async () => {
      const b = new Browser(app);
      expect((await b.go('/console/services', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      expect((await b.go('/console/services', { headers: { authorization: 'Bearer wrong-token-wrong-token', accept: 'application/json' } })).status).toBe(401);
    });

    it('logs out: the session stops working', async () => {
      const b = new Browser(app);
      await b.login();
      const cookie = b.cookies.get('koppel_console');
      const csrf = await b.csrf();
      expect((await b.post('/console/logout', { csrf })).status).toBe(303);
      const replay = await app.request(`${ORIGIN}/console/services`, { headers: { cookie: `koppel_console=${cookie ?? ''}`, accept: 'text/html' } });
      expect(replay.status).toBe(303);
      expect(replay.headers.get('location')).toContain('/console/login');
    });

    it('throttles guessing: after 10 failures in a minute even the right token is refused (429)', async () => {
      const fresh = createConsole({
        store: provider.store,
        txlog,
        admin: consoleAdminFrom({ service: provider.manager.service, store: provider.store }),
        adminToken: TOKEN,
        peerId: OIN.provider,
        logger: fed.logger,
      });
      const b = new Browser(fresh);
      for (let i = 0; i < 10; i++) expect((await b.post('/console/login', { token: `guess-${i}-xxxxxxxxxxxx` })).status).toBe(401);
      expect((await b.post('/console/login', { token: TOKEN })).status).toBe(429);
      await fresh.close();
    });

    it('answers only on loopback host names (DNS rebinding)', async () => {
      const res = await app.request('http://attacker.example/console/login');
      expect(res.status).toBe(421);
      expect((await app.request('http://127.0.0.1:9002/console/login')).status).toBe(200);
    });
  });

  describe('contracts and CSRF', () => {
    it('shows a pending contract with who must still sign, and accepts it only with a valid CSRF token', async () => {
      const hash = await pendingContract();
      const b = new Browser(app);
      await b.login();
      const page = await (await b.go('/console/contracts')).text();
      expect(page).toContain(`data-contract="${hash}"`);
      expect(page).toMatch(/Waiting for: you \(00000000000000000002\)/);
      expect(page).toContain('Accepted by: Consumer Org (00000000000000000003)');
      const csrf = await b.csrf();
      const path = `/console/contracts/${encodeURIComponent(hash)}/accept`;

      expect((await b.post(path, {})).status).toBe(403);
      expect((await b.post(path, { csrf: 'x'.repeat(43) })).status).toBe(403);
      expect((await b.post(path, { csrf }, { origin: 'https://evil.example' })).status).toBe(403);
      expect((await b.post(path, { csrf }, { origin: ORIGIN, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      expect((await provider.manager.service.getContract(hash))?.state).toBe('proposed');

      const ok = await b.post(path, { csrf });
      expect(ok.status).toBe(303);
      expect((await provider.manager.service.getContract(hash))?.state).toBe('valid');
      const after = await (await b.go(ok.headers.get('location') ?? '')).text();
      expect(after).toContain('You accepted contract');
    });

    it('rejects through the form, and revokes only after a confirmation page', async () => {
      const b = new Browser(app);
      await b.login();
      const csrf = await b.csrf();
      const toReject = await pendingContract();
      expect((await b.post(`/console/contracts/${encodeURIComponent(toReject)}/reject`, { csrf })).status).toBe(303);
      expect((await provider.manager.service.getContract(toReject))?.state).toBe('rejected');

      const toRevoke = await pendingContract();
      await provider.manager.service.sign(toRevoke, 'accept');
      const confirm = await b.go(`/console/contracts/${encodeURIComponent(toRevoke)}/revoke`);
      expect(confirm.status).toBe(200);
      const text = await confirm.text();
      expect(text).toContain('Yes, revoke this contract');
      expect((await provider.manager.service.getContract(toRevoke))?.state).toBe('valid');
      expect((await b.post(`/console/contracts/${encodeURIComponent(toRevoke)}/revoke`, { csrf })).status).toBe(303);
      expect((await provider.manager.service.getContract(toRevoke))?.state).toBe('revoked');
    });

    it('a script with the bearer header needs no CSRF token; an unknown contract is 404', async () => {
      const hash = await pendingContract();
      const res = await app.request(`${ORIGIN}/console/contracts/${encodeURIComponent(hash)}/accept`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      expect(res.status).toBe(303);
      expect((await provider.manager.service.getContract(hash))?.state).toBe('valid');
      const unknown = await app.request(`${ORIGIN}/console/contracts/${encodeURIComponent('$1$1$AAAAAAAAAAAAAAAAAAAAAAAA')}/accept`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(unknown.status).toBe(404);
    });
  });

  describe('services', () => {
    it('lists own services with their directory health and the group services with up/down', async () => {
      const b = new Browser(app);
      await b.login();
      const text = await (await b.go('/console/services')).text();
      expect(text).toMatch(/data-own-service="basisregistratie"[\s\S]*?data-health="up"/);
      expect(text).toMatch(/data-service="00000000000000000004\/kadaster"[\s\S]*?data-health="down"/);
      expect(text).not.toContain(BSN);
    });
  });

  describe('traffic log', () => {
    let b: Browser;
    beforeAll(async () => {
      b = new Browser(app);
      await b.login();
    });

    it('filters by data subject, process id, peer, service, direction, transaction id and time', async () => {
      const get = async (q: string): Promise<string[]> => rowsOf(await (await b.go(`/console/traffic?${q}`)).text());
      expect(await get(`subject=${encodeURIComponent(`bsn=${BSN}`)}`)).toEqual([tx.withSubject]);
      expect(await get(`subject=${encodeURIComponent(`BSN = ${BSN}`)}`)).toEqual([tx.withSubject]);
      expect(await get('process=p-2')).toEqual([tx.withProcess]);
      expect(await get(`peer=${OIN.third}`)).toEqual([tx.failed]);
      expect(await get('service=kadaster')).toEqual([tx.failed]);
      expect(await get('direction=DIRECTION_OUTGOING')).toEqual([]);
      expect(await get(`transaction=${tx.other}&service=kadaster`)).toEqual([tx.other]);
      const from = encodeURIComponent(new Date((NOW_S - 450) * 1000).toISOString());
      const to = encodeURIComponent(new Date((NOW_S - 300) * 1000).toISOString());
      expect(await get(`from=${from}&to=${to}`)).toEqual([tx.other, tx.failed]);
      expect(await get(`from=${NOW_S - 450}&to=${NOW_S - 300}`)).toEqual([tx.other, tx.failed]);
    });

    it('reports invalid filter values instead of guessing', async () => {
      const text = await (await b.go('/console/traffic?subject=nobody&from=yesterday')).text();
      expect(text).toContain('Left out of the filter');
      expect(text).toContain('aria-invalid="true"');
    });

    it('shows data subjects, status and errors in the table, and a chart per service', async () => {
      const text = await (await b.go(`/console/traffic?transaction=${tx.failed}`)).text();
      expect(text).toContain('ERROR_CODE_SERVICE_UNREACHABLE');
      expect(text).toContain('status-error');
      const all = await (await b.go('/console/traffic')).text();
      expect(all).toContain(`bsn=${BSN}`);
      expect(all).toMatch(/data-chart-service="basisregistratie"/);
      expect(all).toMatch(/<svg[^>]*role="img"/);
      expect(all).toMatch(/kadaster – calls: 1, errors: 1,/);
    });

    it('pages through the log with a cursor, 50 rows a page, last written first', async () => {
      const first = await (await b.go('/console/traffic')).text();
      const page1 = rowsOf(first);
      expect(page1).toHaveLength(50);
      expect(page1[0]).toBe(tx.lastWritten);
      const next = /href="(\/console\/traffic\?cursor=[^"]+)" rel="next"/.exec(first)?.[1]?.replace(/&amp;/g, '&');
      expect(next).toBeDefined();
      const second = await (await b.go(next!)).text();
      const page2 = rowsOf(second);
      expect(page2).toHaveLength(14);
      expect(new Set([...page1, ...page2]).size).toBe(64);
      expect(second).not.toContain('rel="next"');
    });

    it('exports the filtered records as CSV (RFC 4180, formula-safe) and JSON Lines', async () => {
      const csv = await b.go(`/console/traffic/export?format=csv&peer=${OIN.consumer}&process=${encodeURIComponent('=cmd|calc')}`);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="koppel-log-00000000000000000002-\d{8}-\d{4}\.csv"$/);
      const lines = (await csv.text()).trimEnd().split('\r\n');
      expect(lines[0]).toMatch(/^created_at,created_at_iso,transaction_id,/);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain(tx.other);
      expect(lines[1]).toContain(",'=cmd|calc,");

      const jsonl = await b.go(`/console/traffic/export?format=jsonl&subject=${encodeURIComponent(`bsn=${BSN}`)}`);
      const rows = (await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l) as { transaction_id: string; status?: number; additional_data?: Record<string, string> });
      expect(rows).toEqual([expect.objectContaining({ transaction_id: tx.withSubject, status: 200, additional_data: { data_subject: `bsn=${BSN}`, process_id: 'p-1' } })]);
      expect((await b.go('/console/traffic/export?format=xml')).status).toBe(400);
    });

    it('streams new matching calls and then their outcome as server-sent events', async () => {
      const res = await b.go(`/console/traffic/stream?subject=${encodeURIComponent(`bsn=${BSN}`)}`, { headers: { accept: 'text/event-stream' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      async function until(pattern: RegExp): Promise<string> {
        while (!pattern.test(buffer)) {
          const { done, value } = await reader.read();
          if (done) throw new Error(`stream ended before ${String(pattern)}`);
          buffer += decoder.decode(value, { stream: true });
        }
        return buffer;
      }
      await until(/event: ready/);
      const other = rec({ created_at: NOW_S, additional_data: { data_subject: 'bsn=123' } });
      const match = rec({ created_at: NOW_S, additional_data: { data_subject: `bsn=${BSN}`, process_id: 'live-1' } });
      await txlog.write(other);
      await txlog.write(match);
      await txlog.writeCompletion({ transaction_id: match.transaction_id, direction: match.direction, status: 200, duration_ms: 7 });
      const text = await until(/event: completion\ndata: .*\n/);
      expect(text).toContain(match.transaction_id);
      expect(text).not.toContain(other.transaction_id);
      const record = /event: record\ndata: (.*)\n/.exec(text)?.[1];
      const parsed = JSON.parse(record ?? '{}') as { cells: { col: string; text: string; sub?: string }[] };
      expect(parsed.cells.find((c) => c.col === 'subjects')?.text).toBe(`bsn=${BSN}`);
      expect(parsed.cells.find((c) => c.col === 'from')).toMatchObject({ text: 'Consumer Org', sub: OIN.consumer });
      const completion = /event: completion\ndata: (.*)\n/.exec(text)?.[1];
      expect(JSON.parse(completion ?? '{}')).toMatchObject({ id: match.transaction_id, cells: [{ col: 'status', text: '200' }, { col: 'duration', text: '7 ms' }] });
      await reader.cancel();
    });
  });

  describe('shutdown', () => {
    it('close() ends open live-tail streams and refuses new ones', async () => {
      const fresh = createConsole({
        store: provider.store,
        txlog,
        admin: consoleAdminFrom({ service: provider.manager.service, store: provider.store }),
        adminToken: TOKEN,
        peerId: OIN.provider,
        logger: fed.logger,
      });
      const open = (): Promise<Response> =>
        Promise.resolve(fresh.request(`${ORIGIN}/console/traffic/stream`, { headers: { authorization: `Bearer ${TOKEN}` } }));
      const res = await open();
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toContain('event: ready');
      await fresh.close();
      let done = false;
      while (!done) done = (await reader.read()).done;
      expect(done).toBe(true);
      expect((await open()).status).toBe(503);
    });
  });

  describe('language, accessibility and headers', () => {
    it('speaks Dutch by ?lang=nl (remembered) or Accept-Language, English otherwise', async () => {
      const b = new Browser(app);
      await b.login();
      const nl = await (await b.go('/console/contracts?lang=nl')).text();
      expect(nl).toContain('<html lang="nl"');
      expect(nl).toContain('Contracten');
      expect(await (await b.go('/console/services')).text()).toContain('Diensten van deze peer');
      const viaHeader = await (await new Browser(app).go('/console/login', { headers: { 'accept-language': 'nl-NL,nl;q=0.9,en;q=0.5' } })).text();
      expect(viaHeader).toContain('Beheertoken');
      const en = await (await new Browser(app).go('/console/login', { headers: { 'accept-language': 'de-DE' } })).text();
      expect(en).toContain('<html lang="en"');
    });

    it('has a skip link, labelled fields, table headers, and a strict CSP whose nonce is on the script', async () => {
      const b = new Browser(app);
      await b.login();
      const res = await b.go('/console/traffic');
      const text = await res.text();
      expect(text).toMatch(/<a class="skip-link" href="#main">/);
      expect(text).toContain('<main id="main" tabindex="-1">');
      for (const id of ['f-from', 'f-to', 'f-service', 'f-peer', 'f-subject', 'f-process', 'f-transaction', 'f-direction']) {
        expect(text).toContain(`<label for="${id}">`);
      }
      expect(text).toMatch(/<th scope="col">Time<\/th>/);
      const csp = res.headers.get('content-security-policy') ?? '';
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeDefined();
      expect(text).toContain(`<script nonce="${nonce}">`);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
    });
  });
});
