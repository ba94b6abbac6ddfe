// The operator console: `createConsole({ store, txlog, admin, adminToken, peerId, logger, clock })`
// returns a hono app to mount at `/` of the admin listener (loopback only). Its pages live under
// /console; `/` redirects there. Server-rendered hono/jsx, no build step; the only script is the live
// tail's, inline with a CSP nonce.
//
// Here is only the shell: the shared context, the guards every request passes (in this order: host,
// headers/language/identity, form size, login, CSRF), then each page of pages.ts adds its own routes,
// and whatever is left is a 404.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { catalogueOf } from './catalogue.ts';
import { PAGES } from './pages.ts';
import type { ConsolePage, ConsolePageContext, HtmlStatus } from './shell/console-page.ts';
import { createFlashStore } from './shell/flash.ts';
import { csrfGuard, hostGuard, pageSetup, requireOperator, type ConsoleContext, type ConsoleEnv } from './shell/guards.ts';
import { createTranslator, type Lang } from './shell/i18n.ts';
import { BASE, HOME, renderDocument, type NavLink, type PageContext } from './shell/layout.tsx';
import { MessagePage } from './shell/message-page.tsx';
import { createSessionStore } from './shell/sessions.ts';
import type { ConsoleOptions } from './types.ts';

const MAX_FORM_BYTES = 16 * 1024;

/** The console app; `close()` ends live-tail streams and forgets sessions (call it before the server closes). */
export type ConsoleApp = Hono<ConsoleEnv> & { close(): Promise<void> };

export function createConsole(options: ConsoleOptions): ConsoleApp {
  const pages: readonly ConsolePage[] = PAGES;
  const logger = options.logger.child({ component: 'console' });
  const clock = options.clock ?? Date.now;
  const tokenOption = options.adminToken;
  const adminToken = typeof tokenOption === 'string' ? () => Promise.resolve(tokenOption) : tokenOption;
  const sessions = createSessionStore({
    clock,
    ...(options.sessionIdleMs === undefined ? {} : { idleMs: options.sessionIdleMs }),
    ...(options.sessionMaxAgeMs === undefined ? {} : { maxAgeMs: options.sessionMaxAgeMs }),
  });
  const flashes = createFlashStore();
  const closeHooks = new Set<() => void>();
  let closed = false;

  const catalogue = catalogueOf(pages);
  const translator = (lang: Lang) => createTranslator(catalogue[lang]);
  const nav: NavLink[] = pages
    .flatMap((p) => (p.nav === undefined ? [] : [{ ...p.nav, section: p.id }]))
    .sort((a, b) => a.order - b.order)
    .map(({ section, path, label }) => ({ section, href: path, label }));
  const open = pages.flatMap((p) => p.open ?? []);

  const html = async (c: ConsoleContext, node: unknown, status: HtmlStatus = 200): Promise<Response> =>
    c.html(await renderDocument(node), status);
  const message = (c: ConsoleContext, status: HtmlStatus, content: { title: string; text: string; back?: string }): Promise<Response> =>
    html(c, <MessagePage page={c.get('page')} {...content} />, status);
  const refuse = (c: ConsoleContext): Promise<Response> => {
    const { t } = c.get('page');
    return message(c, 403, { title: t('error.title'), text: t('csrf.failed'), back: HOME });
  };

  const shared: ConsolePageContext<string> = {
    options,
    store: options.store,
    txlog: options.txlog,
    admin: options.admin,
    peerId: options.peerId,
    peerName: options.peerName ?? options.peerId,
    logger,
    clock,
    adminToken,
    sessions,
    flashes,
    // The request's translator covers the messages of every page registered here (catalogueOf(pages)).
    page: (c) => c.get('page') as PageContext<string>,
    html,
    message,
    refuse,
    onClose(end) {
      closeHooks.add(end);
      return () => closeHooks.delete(end);
    },
    get closed() {
      return closed;
    },
  };

  const app = new Hono<ConsoleEnv>();
  app.onError(async (err, c) => {
    logger.error({ err, path: c.req.path }, 'console request failed');
    const page = c.get('page') as ConsoleContext['var']['page'] | undefined;
    if (page === undefined) return c.text('internal error', 500);
    return message(c, 500, { title: page.t('error.title'), text: page.t('error.generic'), back: HOME });
  });

  app.get('/', (c) => c.redirect(HOME, 302));
  app.get(BASE, (c) => c.redirect(HOME, 302));

  app.use(`${BASE}/*`, hostGuard(options.allowedHosts));
  app.use(`${BASE}/*`, pageSetup({ peerId: shared.peerId, peerName: shared.peerName, sessions, adminToken, translator, nav }));
  app.on('POST', `${BASE}/*`, bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.text('form too large', 413) }));
  // Every path but the pages' open ones needs an operator, and every POST passes the CSRF check.
  app.use(`${BASE}/*`, requireOperator({ open }));
  app.use(`${BASE}/*`, csrfGuard({ open, onRefused: refuse }));

  for (const page of pages) page.routes(app, shared);

  app.all(`${BASE}/*`, (c) => {
    const { t } = c.get('page');
    return message(c, 404, { title: t('notfound.title'), text: t('notfound.title'), back: `${BASE}/contracts` });
  });

  return Object.assign(app, {
    close(): Promise<void> {
      closed = true;
      for (const end of [...closeHooks]) end();
      closeHooks.clear();
      sessions.clear();
      flashes.clear();
      return Promise.resolve();
    },
  });
}
