// The console's request guards: which host may be used, response security headers with a per-response
// CSP nonce, the operator's language, who is logged in (session cookie or the admin bearer token), and
// CSRF checks on every form post.
import { randomBytes } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { fromAcceptLanguage, isLang, type Lang, type Translate } from './i18n.ts';
import type { NavLink, PageContext } from './layout.tsx';
import { BASE, HOME } from './layout.tsx';
import { safeEqual, type Session, type SessionStore } from './sessions.ts';

export const SESSION_COOKIE = 'koppel_console';
export const LANG_COOKIE = 'koppel_console_lang';

export interface ConsoleEnv {
  Variables: {
    page: PageContext;
    /** The operator's session, when logged in with the form. */
    session: Session | undefined;
    /** Authenticated with `Authorization: Bearer <admin token>` (scripts; no CSRF risk). */
    viaBearer: boolean;
  };
}

export type ConsoleContext = Context<ConsoleEnv>;

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1', '[::1]'];

/** The Host header without its port, lower-cased. */
export function hostName(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '');
}

function hostAllowed(host: string, allowed: readonly string[] | undefined): boolean {
  if (allowed !== undefined) return allowed.map((a) => a.toLowerCase()).includes(host);
  return LOOPBACK_HOSTS.includes(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Refuses hosts that are not this machine's names (DNS rebinding), before anything else runs. */
export function hostGuard(allowed: readonly string[] | undefined): MiddlewareHandler<ConsoleEnv> {
  return async function consoleHostGuard(c, next) {
    if (!hostAllowed(hostName(c.req.header('host') ?? new URL(c.req.url).host), allowed)) {
      return c.text('This console only answers on its own host names (e.g. localhost).', 421);
    }
    return next();
  };
}

export interface PageSetupOptions {
  peerId: string;
  peerName: string;
  sessions: SessionStore;
  adminToken: () => Promise<string>;
  /** The translator of a language, over the shell's and every page's messages. */
  translator: (lang: Lang) => Translate<string>;
  /** The pages' menu entries, in menu order; `label` is a message key. */
  nav: readonly NavLink[];
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:';
}

/**
 * Security headers, nonce, language and identity for every console request. Pages contain personal
 * data (the traffic log), so nothing is cached, framed or referred.
 */
export function pageSetup(options: PageSetupOptions): MiddlewareHandler<ConsoleEnv> {
  return async function consolePageSetup(c, next) {
    const nonce = randomBytes(16).toString('base64');
    const url = new URL(c.req.url);
    const asked = url.searchParams.get('lang');
    let lang: Lang | undefined;
    if (isLang(asked)) {
      lang = asked;
      setCookie(c, LANG_COOKIE, asked, { path: BASE, sameSite: 'Strict', httpOnly: true, secure: isHttps(c), maxAge: 365 * 86_400 });
    } else {
      const saved = getCookie(c, LANG_COOKIE);
      lang = isLang(saved) ? saved : fromAcceptLanguage(c.req.header('accept-language'));
    }
    lang ??= 'en';

    const session = options.sessions.get(getCookie(c, SESSION_COOKIE));
    const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const viaBearer = bearer !== undefined && safeEqual(bearer, await options.adminToken());
    c.set('session', session);
    c.set('viaBearer', viaBearer);
    const t = options.translator(lang);
    const page: PageContext = {
      lang,
      t,
      nonce,
      url,
      peerId: options.peerId,
      peerName: options.peerName,
      loggedIn: session !== undefined || viaBearer,
      nav: options.nav.map((item) => ({ ...item, label: t(item.label) })),
    };
    if (session !== undefined) page.csrfToken = session.csrfToken;
    c.set('page', page);

    await next();

    const h = c.res.headers;
    h.set(
      'content-security-policy',
      `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    h.set('x-content-type-options', 'nosniff');
    h.set('x-frame-options', 'DENY');
    // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts, and the
    // CSRF check needs the real origin. Nothing leaves the site either way.
    h.set('referrer-policy', 'same-origin');
    h.set('cross-origin-opener-policy', 'same-origin');
    h.set('cross-origin-resource-policy', 'same-origin');
    if (!h.has('cache-control')) h.set('cache-control', 'no-store');
    h.append('vary', 'Cookie, Accept-Language');
  };
}

/** A `next` target after login: only a console path of this site, never another origin. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith(`${BASE}/`) || /[\\\s]/.test(value)) return HOME;
  // No dot segments or encoded separators in the path either: a browser resolves `/console/../x` to `/x`.
  const path = value.split(/[?#]/, 1)[0] ?? '';
  if (/(^|\/)\.\.?(\/|$)|%2e|%2f|%5c/i.test(path)) {
    return HOME;
  }
  if (value.startsWith(`${BASE}/login`) || value.startsWith(`${BASE}/logout`)) return HOME;
  return value;
}

/**
 * Logged in (session or bearer), else: a page request goes to the login form, anything else is 401.
 * `open` paths (the login form) are for anyone.
 */
export function requireOperator(options: { open: readonly string[] }): MiddlewareHandler<ConsoleEnv> {
  return async function consoleRequireOperator(c, next) {
    if (options.open.includes(c.req.path)) return next();
    if (c.get('session') !== undefined || c.get('viaBearer')) return next();
    const hadCookie = getCookie(c, SESSION_COOKIE) !== undefined;
    if (c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html')) {
      const url = new URL(c.req.url);
      const query = new URLSearchParams({ next: `${url.pathname}${url.search}` });
      if (hadCookie) query.set('expired', '1');
      return c.redirect(`${BASE}/login?${query.toString()}`, 303);
    }
    c.header('www-authenticate', 'Bearer');
    return c.text('Log in to the console first.', 401);
  };
}

/**
 * The origin of a state-changing request must be this console: a browser sends `Origin` (and
 * `Sec-Fetch-Site`) on form posts, so a post from another site is refused even before the token check.
 */
export function sameOrigin(c: Context): boolean {
  const fetchSite = c.req.header('sec-fetch-site');
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') return false;
  const origin = c.req.header('origin');
  if (origin === undefined || origin === 'null') return origin === undefined;
  const url = new URL(c.req.url);
  return origin === `${url.protocol}//${c.req.header('host') ?? url.host}`;
}

/**
 * CSRF protection of form posts (OWASP CSRF Prevention Cheat Sheet): same origin, and with a session
 * the form's `csrf` field must be the session's synchronizer token. Requests authenticated with the
 * bearer header need neither: a browser never adds that header on its own. `open` paths (the login
 * form, which has no session yet) check the origin themselves with `sameOrigin`.
 */
export function csrfGuard(options: {
  open: readonly string[];
  onRefused: (c: ConsoleContext) => Response | Promise<Response>;
}): MiddlewareHandler<ConsoleEnv> {
  const { onRefused } = options;
  return async function consoleCsrfGuard(c, next) {
    if (c.req.method !== 'POST' || c.get('viaBearer') || options.open.includes(c.req.path)) return next();
    const session = c.get('session');
    if (!sameOrigin(c) || session === undefined) return onRefused(c);
    const body = await c.req.parseBody();
    const token = typeof body.csrf === 'string' ? body.csrf : '';
    if (!safeEqual(token, session.csrfToken)) return onRefused(c);
    await next();
  };
}
