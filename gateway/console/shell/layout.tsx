// The page shell every console page shares: skip link, header with the peer and language switch,
// the main navigation (built from the pages' menu entries), and the inline stylesheet (with the
// response's CSP nonce).
import type { Child, FC } from 'hono/jsx';
import type { Lang, Translate } from './i18n.ts';
import { LANGS } from './i18n.ts';
import type { ShellKey } from './messages.ts';
import { CONSOLE_CSS } from './styles.ts';

export const BASE = '/console';
/** Where the console opens: `/`, `/console`, the brand link, errors' way back and a login without `next`. */
export const HOME = `${BASE}/services`;

/** One entry of the main navigation, in the operator's language. */
export interface NavLink {
  /** The id of the page it opens; marked current when the page shows that section. */
  section: string;
  href: string;
  label: string;
}

/**
 * What every view gets about the request. `K` are the message keys of the page rendering it (the
 * shell's own keys are always there).
 */
export interface PageContext<K extends string = never> {
  lang: Lang;
  t: Translate<ShellKey | K>;
  nonce: string;
  /** Path and query of the current request (for the language links). */
  url: URL;
  peerId: string;
  peerName: string;
  /** Present when an operator is logged in with a session (forms then need it). */
  csrfToken?: string;
  loggedIn: boolean;
  /** The main navigation, in menu order. */
  nav: readonly NavLink[];
}

/** The current URL with `lang` set, for the language switch. */
function langHref(url: URL, lang: Lang): string {
  const next = new URL(url.toString());
  next.searchParams.set('lang', lang);
  return `${next.pathname}${next.search}`;
}

export const CsrfField: FC<{ token: string | undefined }> = ({ token }) =>
  token === undefined ? null : <input type="hidden" name="csrf" value={token} />;

export const Notice: FC<{ kind?: 'info' | 'error' | 'success'; children?: Child }> = ({ kind = 'info', children }) => (
  <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {children}
  </div>
);

/** `section` is the id of the page shown (its menu entry is marked current), or e.g. `error`. */
export const Layout: FC<{ page: PageContext; section: string; title: string; children?: Child }> = ({ page, section, title, children }) => {
  const { t } = page;
  return (
    <html lang={page.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${title} – ${t('app.title')}`}</title>
        <style nonce={page.nonce} dangerouslySetInnerHTML={{ __html: CONSOLE_CSS }} />
      </head>
      <body>
        <a class="skip-link" href="#main">
          {t('skip.main')}
        </a>
        <header class="site">
          <div class="bar">
            <a class="brand" href={HOME}>
              {t('app.title')}
            </a>
            <span class="peer">{t('header.peer', { name: page.peerName, id: page.peerId })}</span>
            <div class="lang" role="group" aria-label={t('lang.label')}>
              {LANGS.map((l) => (
                <a href={langHref(page.url, l)} lang={l} hreflang={l} aria-current={l === page.lang ? 'true' : undefined}>
                  {t(`lang.${l}`)}
                </a>
              ))}
            </div>
            {page.loggedIn && page.csrfToken !== undefined ? (
              <form method="post" action={`${BASE}/logout`}>
                <CsrfField token={page.csrfToken} />
                <button type="submit" class="linklike">
                  {t('logout')}
                </button>
              </form>
            ) : null}
          </div>
          {page.loggedIn ? (
            <nav class="main" aria-label={t('nav.label')}>
              <ul>
                {page.nav.map((item) => (
                  <li>
                    <a href={item.href} aria-current={section === item.section ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
        </header>
        <main id="main" tabindex={-1}>
          {children}
        </main>
      </body>
    </html>
  );
};

/** `<!doctype html>` plus the rendered page. */
export async function renderDocument(node: unknown): Promise<string> {
  return `<!doctype html>${String(await (node as Promise<unknown> | string))}`;
}
