// The operator console: `createConsole({ store, txlog, admin, adminToken, peerId, logger, clock })`
// returns a hono app to mount at `/` of the admin listener (loopback only). Its pages live under
// /console; `/` redirects there. Server-rendered hono/jsx, no build step; the only script is the live
// tail's, inline with a CSP nonce.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { Socket } from 'node:net';
import { isFscError } from '../protocol/index.ts';
import type { StoredRecord, TxLogQueryResult } from '../txlog/index.ts';
import { ContractsPage, RevokePage, type ContractsView } from './contracts-page.tsx';
import {
  csrfGuard,
  hostGuard,
  pageSetup,
  requireOperator,
  safeNext,
  sameOrigin,
  SESSION_COOKIE,
  type ConsoleContext,
  type ConsoleEnv,
} from './console-guard.ts';
import { exportContentType, exportLines, isExportFormat } from '../txlog/index.ts';
import { shortHash } from './format.ts';
import type { MessageKey } from './i18n.ts';
import { BASE, renderDocument } from './layout.tsx';
import { liveTailResponse } from './live-tail.ts';
import { LoginPage, MessagePage } from './login-page.tsx';
import { ServicesPage, type OwnServiceRow } from './services-page.tsx';
import { createLoginThrottle, createSessionStore, safeEqual } from './sessions.ts';
import { TrafficPage } from './traffic-page.tsx';
import { parseTrafficFilter } from './traffic-filter.ts';
import { peerIdsOf, recordCells, type RowContext } from './traffic-rows.ts';
import { trafficStats } from './traffic-stats.ts';
import type { AdminContract, GroupService, SignAction } from '../admin/index.ts';
import type { ConsoleOptions } from './types.ts';

/** Rows per page of the traffic table. */
export const TRAFFIC_PAGE_SIZE = 50;
const MAX_FORM_BYTES = 16 * 1024;
const CONTRACT_HASH = /^\$\d{1,3}\$\d{1,3}\$[A-Za-z0-9_-]{16,200}$/;

/** The console app; `close()` ends live-tail streams and forgets sessions (call it before the server closes). */
export type ConsoleApp = Hono<ConsoleEnv> & { close(): Promise<void> };

interface Flash {
  kind: 'success' | 'error';
  text: string;
}

export function createConsole(options: ConsoleOptions): ConsoleApp {
  const { store, txlog, admin, peerId, logger: parentLogger } = options;
  const logger = parentLogger.child({ component: 'console' });
  const clock = options.clock ?? Date.now;
  const peerName = options.peerName ?? peerId;
  const tokenOption = options.adminToken;
  const adminToken = typeof tokenOption === 'string' ? () => Promise.resolve(tokenOption) : tokenOption;
  const sessions = createSessionStore({
    clock,
    ...(options.sessionIdleMs === undefined ? {} : { idleMs: options.sessionIdleMs }),
    ...(options.sessionMaxAgeMs === undefined ? {} : { maxAgeMs: options.sessionMaxAgeMs }),
  });
  const throttle = createLoginThrottle({ clock });
  const flashes = new Map<string, Flash>();
  const liveStreams = new Set<() => void>();
  let closed = false;

  const html = async (c: ConsoleContext, node: unknown, status: 200 | 400 | 401 | 403 | 404 | 429 | 500 = 200): Promise<Response> =>
    c.html(await renderDocument(node), status);

  const refuse = (c: ConsoleContext): Promise<Response> => {
    const page = c.get('page');
    return html(c, <MessagePage page={page} title={page.t('error.title')} text={page.t('csrf.failed')} back={`${BASE}/services`} />, 403);
  };

  function nameLookup(): (id: string) => Promise<string> {
    const cache = new Map<string, Promise<string>>([[peerId, Promise.resolve(peerName)]]);
    return (id) => {
      let hit = cache.get(id);
      if (hit === undefined) {
        hit = store.getPeer(id).then(
          (p) => p?.name ?? '',
          () => '',
        );
        cache.set(id, hit);
      }
      return hit;
    };
  }

  function clientKey(c: ConsoleContext): string {
    const socket = (c.env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket;
    return socket?.remoteAddress ?? 'local';
  }

  const app = new Hono<ConsoleEnv>();
  app.onError(async (err, c) => {
    logger.error({ err, path: c.req.path }, 'console request failed');
    const page = c.get('page') as ConsoleContext['var']['page'] | undefined;
    if (page === undefined) return c.text('internal error', 500);
    return html(c, <MessagePage page={page} title={page.t('error.title')} text={page.t('error.generic')} back={`${BASE}/services`} />, 500);
  });

  app.get('/', (c) => c.redirect(`${BASE}/services`, 302));
  app.get(BASE, (c) => c.redirect(`${BASE}/services`, 302));

  app.use(`${BASE}/*`, hostGuard(options.allowedHosts));
  app.use(`${BASE}/*`, pageSetup({ peerId, peerName, sessions, adminToken }));
  app.on('POST', `${BASE}/*`, bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.text('form too large', 413) }));

  // --- login / logout ---

  app.get(`${BASE}/login`, async (c) => {
    const page = c.get('page');
    const next = safeNext(c.req.query('next'));
    if (page.loggedIn) return c.redirect(next, 303);
    const message = c.req.query('expired') === '1' ? { kind: 'info' as const, text: page.t('login.expired') } : undefined;
    return html(c, <LoginPage page={page} next={next} {...(message ? { message } : {})} />);
  });

  app.post(`${BASE}/login`, async (c) => {
    const page = c.get('page');
    if (!sameOrigin(c)) return refuse(c);
    const key = clientKey(c);
    const body = await c.req.parseBody();
    const next = safeNext(body.next);
    if (!throttle.allowed(key)) {
      logger.warn({ client: key }, 'console login throttled');
      return html(c, <LoginPage page={page} next={next} message={{ kind: 'error', text: page.t('login.throttled') }} />, 429);
    }
    const given = typeof body.token === 'string' ? body.token.trim() : '';
    if (given === '' || !safeEqual(given, await adminToken())) {
      throttle.failed(key);
      logger.info({ client: key }, 'console login failed');
      return html(c, <LoginPage page={page} next={next} message={{ kind: 'error', text: page.t('login.failed') }} />, 401);
    }
    throttle.succeeded(key);
    // A new session id at every login (no session fixation).
    const old = c.get('session');
    if (old !== undefined) sessions.destroy(old.id);
    const session = sessions.create();
    setCookie(c, SESSION_COOKIE, session.id, {
      path: BASE,
      httpOnly: true,
      sameSite: 'Strict',
      secure: new URL(c.req.url).protocol === 'https:',
    });
    logger.info({ client: key }, 'console login');
    return c.redirect(next, 303);
  });

  // Everything below needs an operator, and every POST below passes the CSRF check.
  app.use(`${BASE}/*`, requireOperator({ except: [`${BASE}/login`] }));
  app.use(`${BASE}/*`, csrfGuard(refuse));

  app.post(`${BASE}/logout`, (c) => {
    const session = c.get('session');
    if (session !== undefined) {
      sessions.destroy(session.id);
      flashes.delete(session.id);
    }
    deleteCookie(c, SESSION_COOKIE, { path: BASE });
    return c.redirect(`${BASE}/login`, 303);
  });

  // --- services ---

  app.get(`${BASE}/services`, async (c) => {
    const page = c.get('page');
    const [own, group] = await Promise.all([
      store.listServices(),
      admin.listGroupServices().catch((err: unknown) => {
        logger.warn({ err: errInfo(err) }, 'console: the directory listing failed');
        return undefined;
      }),
    ]);
    const rows: OwnServiceRow[] = own.map((s) => {
      const row: OwnServiceRow = { name: s.name, protocol: s.protocol, inwayAddress: s.inwayAddress };
      const listed = group?.find((g: GroupService) => g.peer.id === peerId && g.name === s.name && g.delegator === undefined);
      if (listed !== undefined) row.listed = listed;
      return row;
    });
    return html(c, <ServicesPage page={page} data={{ own: rows, group, directoryAnswered: group !== undefined }} />);
  });

  // --- contracts ---

  async function contracts(): Promise<AdminContract[]> {
    const list = await admin.listContracts();
    return [...list].sort((a, b) => Number(b.pendingForMe) - Number(a.pendingForMe) || b.createdAt - a.createdAt || a.hash.localeCompare(b.hash));
  }

  app.get(`${BASE}/contracts`, async (c) => {
    const page = c.get('page');
    const all = await contracts();
    const pending = all.filter((k) => k.pendingForMe);
    const asked = c.req.query('show');
    const view: ContractsView = asked === 'pending' || asked === 'all' ? asked : pending.length > 0 ? 'pending' : 'all';
    const session = c.get('session');
    const flash = session === undefined ? undefined : flashes.get(session.id);
    if (session !== undefined) flashes.delete(session.id);
    return html(
      c,
      <ContractsPage
        page={page}
        data={{
          view,
          contracts: view === 'pending' ? pending : all,
          pendingCount: pending.length,
          totalCount: all.length,
          ...(flash === undefined ? {} : { flash }),
        }}
      />,
    );
  });

  async function findContract(hash: string): Promise<AdminContract | undefined> {
    if (!CONTRACT_HASH.test(hash)) return undefined;
    return (await admin.listContracts()).find((k) => k.hash === hash);
  }

  const notFound = (c: ConsoleContext, key: MessageKey = 'notfound.title'): Promise<Response> => {
    const page = c.get('page');
    return html(c, <MessagePage page={page} title={page.t('notfound.title')} text={page.t(key)} back={`${BASE}/contracts`} />, 404);
  };

  app.get(`${BASE}/contracts/:hash/revoke`, async (c) => {
    const contract = await findContract(c.req.param('hash'));
    if (contract === undefined) return notFound(c, 'contracts.unknown');
    return html(c, <RevokePage page={c.get('page')} contract={contract} />);
  });

  app.post(`${BASE}/contracts/:hash/:action{accept|reject|revoke}`, async (c) => {
    const page = c.get('page');
    const hash = c.req.param('hash');
    const action = c.req.param('action') as SignAction;
    const contract = await findContract(hash);
    if (contract === undefined) return notFound(c, 'contracts.unknown');
    const session = c.get('session');
    let flash: Flash;
    try {
      await admin.signContract(hash, action);
      logger.info({ contract: hash, action }, 'console contract signed');
      flash = { kind: 'success', text: page.t(`contracts.done.${action}`, { hash: shortHash(hash) }) };
    } catch (err) {
      logger.warn({ contract: hash, action, err: errInfo(err) }, 'console contract signing failed');
      // FscError messages are written for clients (never secrets); anything else stays in the log.
      const reason = isFscError(err) ? err.message : page.t('error.generic');
      flash = { kind: 'error', text: page.t('contracts.failed', { reason }) };
    }
    if (session !== undefined) flashes.set(session.id, flash);
    return c.redirect(`${BASE}/contracts?show=all`, 303);
  });

  // --- traffic ---

  app.get(`${BASE}/traffic`, async (c) => {
    const page = c.get('page');
    const parsed = parseTrafficFilter((name) => c.req.query(name));
    const cursorText = c.req.query('cursor');
    const cursor = cursorText === undefined || cursorText === '' ? undefined : cursorText;
    let result: TxLogQueryResult;
    try {
      result = await txlog.query(parsed.filter, { limit: TRAFFIC_PAGE_SIZE, order: 'SORT_ORDER_DESCENDING', ...(cursor === undefined ? {} : { cursor }) });
    } catch (err) {
      if (!isFscError(err) || err.status !== 400) throw err;
      parsed.errors.push({ field: 'transaction', message: err.message });
      result = { records: [], nextCursor: '' };
    }
    const end = parsed.toSeconds ?? Math.floor(clock() / 1000);
    const stats = await trafficStats(txlog, parsed.filter, end);
    const lookup = nameLookup();
    const names = new Map<string, string>();
    for (const id of peerIdsOf(result.records.map((r) => r.record))) names.set(id, await lookup(id));
    const ctx: RowContext = { t: page.t, lang: page.lang, nameOf: (id) => names.get(id) ?? '' };
    const rows = result.records.map((s: StoredRecord) => ({
      id: s.record.transaction_id,
      direction: s.record.direction,
      cells: recordCells(s.record, s.completion, ctx),
    }));
    const services = new Set<string>((await store.listServices()).map((s) => s.name));
    for (const s of stats.series) if (s.service !== '…') services.add(s.service);
    for (const s of result.records) services.add(s.record.service_name);
    return html(
      c,
      <TrafficPage
        page={page}
        data={{ parsed, rows, nextCursor: result.nextCursor, cursor, stats, services: [...services].sort() }}
      />,
    );
  });

  app.get(`${BASE}/traffic/stream`, (c) => {
    const page = c.get('page');
    if (closed) return c.text('closing', 503);
    const parsed = parseTrafficFilter((name) => c.req.query(name));
    const lookup = nameLookup();
    c.header('cache-control', 'no-store');
    return liveTailResponse(c, {
      txlog,
      filter: parsed.filter,
      row: { t: page.t, lang: page.lang },
      nameOf: lookup,
      keepAliveMs: options.liveKeepAliveMs ?? 15_000,
      onClose(end) {
        liveStreams.add(end);
        return () => liveStreams.delete(end);
      },
    });
  });

  app.get(`${BASE}/traffic/export`, (c) => {
    const format = c.req.query('format');
    if (!isExportFormat(format)) return c.text('format must be jsonl or csv', 400);
    const parsed = parseTrafficFilter((name) => c.req.query(name));
    // An export of personal data is worth an audit line; the filter values themselves may be personal data.
    logger.info({ format, filters: Object.keys(parsed.form) }, 'console export');
    const lines = exportLines(txlog.stream(parsed.filter, { order: 'SORT_ORDER_ASCENDING' }), format)[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await lines.next();
          if (done) controller.close();
          else controller.enqueue(encoder.encode(value));
        } catch (err) {
          logger.error({ err: errInfo(err) }, 'console export failed');
          controller.error(err);
        }
      },
      async cancel() {
        await lines.return?.(undefined);
      },
    });
    const stamp = new Date(clock()).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    return c.body(body, 200, {
      'content-type': exportContentType(format),
      'content-disposition': `attachment; filename="koppel-log-${peerId.replace(/[^A-Za-z0-9]/g, '')}-${stamp}.${format}"`,
      'cache-control': 'no-store',
    });
  });

  app.all(`${BASE}/*`, (c) => notFound(c));

  return Object.assign(app, {
    close(): Promise<void> {
      closed = true;
      for (const end of [...liveStreams]) end();
      liveStreams.clear();
      sessions.clear();
      flashes.clear();
      return Promise.resolve();
    },
  });
}

function errInfo(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(code === undefined ? {} : { code }) };
  }
  return { message: String(err) };
}
