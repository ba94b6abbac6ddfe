// Logging in and out. The login form is the one console path open to anyone: it checks the origin
// itself (there is no session, so no CSRF token yet), throttles failed attempts per client, and
// starts a new session at every login. Logging out ends the session and its pending notice.
import { deleteCookie, setCookie } from 'hono/cookie';
import type { Socket } from 'node:net';
import { definePage } from '../../shell/console-page.ts';
import { safeNext, sameOrigin, SESSION_COOKIE, type ConsoleContext } from '../../shell/guards.ts';
import { BASE } from '../../shell/layout.tsx';
import { createLoginThrottle, safeEqual } from '../../shell/sessions.ts';
import { SESSION_MESSAGES } from './messages.ts';
import { LoginPage } from './view.tsx';

function clientKey(c: ConsoleContext): string {
  const socket = (c.env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket;
  return socket?.remoteAddress ?? 'local';
}

export const sessionPage = definePage({
  id: 'session',
  messages: SESSION_MESSAGES,
  open: [`${BASE}/login`],
  routes(app, ctx) {
    const { sessions, flashes, logger, adminToken } = ctx;
    const throttle = createLoginThrottle({ clock: ctx.clock });

    app.get(`${BASE}/login`, async (c) => {
      const page = ctx.page(c);
      const next = safeNext(c.req.query('next'));
      if (page.loggedIn) return c.redirect(next, 303);
      const message = c.req.query('expired') === '1' ? { kind: 'info' as const, text: page.t('login.expired') } : undefined;
      return ctx.html(c, <LoginPage page={page} next={next} {...(message ? { message } : {})} />);
    });

    app.post(`${BASE}/login`, async (c) => {
      const page = ctx.page(c);
      if (!sameOrigin(c)) return ctx.refuse(c);
      const key = clientKey(c);
      const body = await c.req.parseBody();
      const next = safeNext(body.next);
      if (!throttle.allowed(key)) {
        logger.warn({ client: key }, 'console login throttled');
        return ctx.html(c, <LoginPage page={page} next={next} message={{ kind: 'error', text: page.t('login.throttled') }} />, 429);
      }
      const given = typeof body.token === 'string' ? body.token.trim() : '';
      if (given === '' || !safeEqual(given, await adminToken())) {
        throttle.failed(key);
        logger.info({ client: key }, 'console login failed');
        return ctx.html(c, <LoginPage page={page} next={next} message={{ kind: 'error', text: page.t('login.failed') }} />, 401);
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

    app.post(`${BASE}/logout`, (c) => {
      const session = c.get('session');
      if (session !== undefined) {
        sessions.destroy(session.id);
        flashes.delete(session.id);
      }
      deleteCookie(c, SESSION_COOKIE, { path: BASE });
      return c.redirect(`${BASE}/login`, 303);
    });
  },
});
