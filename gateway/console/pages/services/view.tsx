// The services page: what this peer offers (its store's services, and whether the directory lists
// them with a healthy inway) and every service of the group as the directory lists it.
import type { FC } from 'hono/jsx';
import type { GroupService, GroupServiceHealth } from '../../../admin/index.ts';
import { formatTime } from '../../shell/format.ts';
import type { Translate } from '../../shell/i18n.ts';
import { Layout, Notice, type PageContext } from '../../shell/layout.tsx';
import type { ServicesKey } from './messages.ts';

export interface OwnServiceRow {
  name: string;
  protocol: string;
  inwayAddress: string;
  /** The directory's listing of it, when the directory could be asked and lists it. */
  listed?: GroupService;
}

export interface ServicesPageData {
  own: OwnServiceRow[];
  /** Undefined when the directory could not be reached. */
  group: GroupService[] | undefined;
  /** False when the directory was not asked (no listing available). */
  directoryAnswered: boolean;
}

const protocolLabel = (p: string): string => p.replace('PROTOCOL_TCP_', '').replace('_', '/');

export const HealthBadge: FC<{ health: GroupServiceHealth | undefined; t: Translate<ServicesKey> }> = ({ health, t }) => {
  const status = health?.status ?? 'unknown';
  return (
    <span class={`badge health-${status}`} data-health={status}>
      {t(`health.${status}`)}
    </span>
  );
};

export const ServicesPage: FC<{ page: PageContext<ServicesKey>; data: ServicesPageData }> = ({ page, data }) => {
  const { t, lang } = page;
  const checked = (h: GroupServiceHealth | undefined): string =>
    h?.checkedAt === undefined ? t('time.never') : formatTime(h.checkedAt, lang);
  return (
    <Layout page={page} section="services" title={t('services.title')}>
      <h1>{t('services.title')}</h1>

      <h2 id="own">{t('services.own')}</h2>
      {data.own.length === 0 ? (
        <p>{t('services.own.none')}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <caption>{t('services.own.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('services.col.name')}</th>
                <th scope="col">{t('services.col.protocol')}</th>
                <th scope="col">{t('services.col.inway')}</th>
                <th scope="col">{t('services.col.published')}</th>
                <th scope="col">{t('services.col.health')}</th>
                <th scope="col">{t('services.col.checked')}</th>
              </tr>
            </thead>
            <tbody>
              {data.own.map((s) => (
                <tr data-own-service={s.name}>
                  <th scope="row">{s.name}</th>
                  <td>{protocolLabel(s.protocol)}</td>
                  <td>
                    <code>{s.inwayAddress}</code>
                  </td>
                  <td>{s.listed ? t('services.published.yes') : data.directoryAnswered ? t('services.published.no') : '–'}</td>
                  <td>
                    <HealthBadge health={s.listed?.health} t={t} />
                  </td>
                  <td>{checked(s.listed?.health)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 id="group">{t('services.group')}</h2>
      {data.group === undefined ? (
        <Notice kind="error">{t('services.group.unavailable')}</Notice>
      ) : data.group.length === 0 ? (
        <p>{t('services.group.none')}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <caption>{t('services.group.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('services.col.name')}</th>
                <th scope="col">{t('services.col.peer')}</th>
                <th scope="col">{t('services.col.protocol')}</th>
                <th scope="col">{t('services.col.inway')}</th>
                <th scope="col">{t('services.col.health')}</th>
                <th scope="col">{t('services.col.checked')}</th>
              </tr>
            </thead>
            <tbody>
              {data.group.map((s) => (
                <tr data-service={`${s.peer.id}/${s.name}`}>
                  <th scope="row">{s.name}</th>
                  <td>
                    {s.peer.name} <span class="mono muted">{s.peer.id}</span>
                    {s.delegator ? (
                      <>
                        <br />
                        <span class="muted">{t('services.delegator', { name: `${s.delegator.name} (${s.delegator.id})` })}</span>
                      </>
                    ) : null}
                  </td>
                  <td>{protocolLabel(s.protocol)}</td>
                  <td>
                    <code>{s.inwayAddress ?? '–'}</code>
                  </td>
                  <td>
                    <HealthBadge health={s.health} t={t} />
                  </td>
                  <td>{checked(s.health)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
};
