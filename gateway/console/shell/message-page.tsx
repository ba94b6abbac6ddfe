// The plain message page used for errors, refused forms and unknown pages.
import type { FC } from 'hono/jsx';
import { Layout, Notice, type PageContext } from './layout.tsx';

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
