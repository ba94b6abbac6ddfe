// The login form: the admin token, posted once, never echoed back.
import type { FC } from 'hono/jsx';
import { BASE, Layout, Notice, type PageContext } from '../../shell/layout.tsx';
import type { SessionKey } from './messages.ts';

export const LoginPage: FC<{ page: PageContext<SessionKey>; next: string; message?: { kind: 'error' | 'info'; text: string } }> = ({ page, next, message }) => {
  const { t } = page;
  return (
    <Layout page={page} section="session" title={t('login.title')}>
      <div class="login">
        <h1>{t('login.title')}</h1>
        {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
        <p>{t('login.intro')}</p>
        <form method="post" action={`${BASE}/login`}>
          <input type="hidden" name="next" value={next} />
          <label for="token">{t('login.token')}</label>
          <input
            type="password"
            id="token"
            name="token"
            required
            autocomplete="current-password"
            autofocus
            aria-invalid={message?.kind === 'error' ? 'true' : undefined}
          />
          <button type="submit">{t('login.submit')}</button>
        </form>
      </div>
    </Layout>
  );
};
