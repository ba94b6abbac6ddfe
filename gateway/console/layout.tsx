// The page shell every console page shares: skip link, header with the peer and language switch,
// the main navigation, and the inline stylesheet (with the response's CSP nonce).
import type { Child, FC } from 'hono/jsx';
import type { Lang, Translate } from './i18n.ts';
import { LANGS } from './i18n.ts';
import { CONSOLE_CSS } from './styles.ts';

export const BASE = '/console';

export type Section = 'services' | 'contracts' | 'traffic' | 'login' | 'error';

export interface PageContext {
  lang: Lang;
  t: Translate;
  nonce: string;
  /** Path and query of the current request (for the language links). */
  url: URL;
  peerId: string;
  peerName: string;
  /** Present when an operator is logged in with a session (forms then need it). */
  csrfToken?: string;
  loggedIn: boolean;
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

export const Layout: FC<{ page: PageContext; section: Section; title: string; children?: Child }> = ({ page, section, title, children }) => {
  const { t } = page;
  const navItem = (key: 'services' | 'contracts' | 'traffic', label: string) => (
    <li>
      <a href={`${BASE}/${key}`} aria-current={section === key ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
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
            <a class="brand" href={`${BASE}/services`}>
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
                {navItem('services', t('nav.services'))}
                {navItem('contracts', t('nav.contracts'))}
                {navItem('traffic', t('nav.traffic'))}
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
