// The login form (the admin token, posted once, never echoed back) and the plain message page used
// for errors, refused forms and unknown pages.
import type { FC } from 'hono/jsx';
import { BASE, Layout, Notice, type PageContext } from './layout.tsx';

export const LoginPage: FC<{ page: PageContext; next: string; message?: { kind: 'error' | 'info'; text: string } }> = ({ page, next, message }) => {
  const { t } = page;
  return (
    <Layout page={page} section="login" title={t('login.title')}>
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

export const MessagePage: FC<{ page: PageContext; title: string; text: string; back?: string }> = ({ page, title, text, back }) => (
  <Layout page={page} section="error" title={title}>
    <h1>{title}</h1>
    <Notice kind="error">{text}</Notice>
    {back === undefined ? null : (
      <p>
        <a href={back}>{page.t('error.back')}</a>
      </p>
    )}
  </Layout>
);
