// The traffic log page: a filter form (GET, so every view is a link), the export links, per-minute
// charts, the live view, and the paginated table of calls, newest first. The only page that shows
// data subjects, and only to a logged-in operator.
import type { FC } from 'hono/jsx';
import { toLocalInputValue } from '../../../txlog/index.ts';
import { timeZoneName } from '../../shell/format.ts';
import type { Translate } from '../../shell/i18n.ts';
import { BASE, Layout, Notice, type PageContext } from '../../shell/layout.tsx';
import { TrafficCharts } from './chart.tsx';
import { filterQuery, type FilterField, type ParsedFilter } from './filter.ts';
import { LIVE_TAIL_SCRIPT } from './live-tail.ts';
import type { TrafficKey } from './messages.ts';
import { TRAFFIC_COLUMNS, type Cell, type TrafficColumn } from './rows.ts';
import type { TrafficStats } from './stats.ts';

export interface TrafficPageData {
  parsed: ParsedFilter;
  rows: { id: string; direction: string; cells: Cell[] }[];
  nextCursor: string;
  /** The cursor this page was opened with (not the first page when set). */
  cursor: string | undefined;
  stats: TrafficStats;
  /** Service names for the filter's suggestions. */
  services: string[];
}

const COLUMN_LABEL: Record<TrafficColumn, TrafficKey> = {
  time: 'traffic.col.time',
  direction: 'traffic.col.direction',
  service: 'traffic.col.service',
  from: 'traffic.col.from',
  to: 'traffic.col.to',
  status: 'traffic.col.status',
  duration: 'traffic.col.duration',
  process: 'traffic.col.process',
  subjects: 'traffic.col.subjects',
  transaction: 'traffic.col.transaction',
};

const FIELD_LABEL: Record<FilterField, TrafficKey> = {
  from: 'traffic.filter.from',
  to: 'traffic.filter.to',
  service: 'traffic.filter.service',
  peer: 'traffic.filter.peer',
  transaction: 'traffic.filter.transaction',
  subject: 'traffic.filter.subject',
  process: 'traffic.filter.process',
  direction: 'traffic.filter.direction',
};

export const CellView: FC<{ cell: Cell }> = ({ cell }) => (
  <td class={cell.cls} data-col={cell.col}>
    {cell.href === undefined ? (
      cell.text
    ) : (
      <a href={cell.href} aria-label={cell.label} title={cell.title}>
        {cell.text}
      </a>
    )}
    {cell.sub === undefined ? null : (
      <>
        <br />
        <span class="muted">{cell.sub}</span>
      </>
    )}
  </td>
);

const TextField: FC<{ name: FilterField; value: string | undefined; t: Translate<TrafficKey>; hint?: string; list?: string; invalid: boolean }> = ({
  name,
  value,
  t,
  hint,
  list,
  invalid,
}) => (
  <div class="field">
    <label for={`f-${name}`}>{t(FIELD_LABEL[name])}</label>
    <input
      type="text"
      id={`f-${name}`}
      name={name}
      value={value ?? ''}
      list={list}
      autocomplete="off"
      spellcheck={false}
      aria-describedby={hint === undefined ? undefined : `f-${name}-hint`}
      aria-invalid={invalid ? 'true' : undefined}
    />
    {hint === undefined ? null : (
      <span class="hint" id={`f-${name}-hint`}>
        {hint}
      </span>
    )}
  </div>
);

export const TrafficPage: FC<{ page: PageContext<TrafficKey>; data: TrafficPageData }> = ({ page, data }) => {
  const { t } = page;
  const { form, errors } = data.parsed;
  const invalid = (f: FilterField): boolean => errors.some((e) => e.field === f);
  const timeValue = (seconds: number | undefined, typed: string | undefined): string =>
    seconds !== undefined ? toLocalInputValue(seconds) : (typed ?? '');
  const firstPage = data.cursor === undefined;
  const streamUrl = `${BASE}/traffic/stream${filterQuery(form)}`;
  return (
    <Layout page={page} section="traffic" title={t('traffic.title')}>
      <h1>{t('traffic.title')}</h1>
      <form method="get" action={`${BASE}/traffic`} role="search" aria-label={t('traffic.filter')}>
        <fieldset>
          <legend>{t('traffic.filter')}</legend>
          <div class="filters">
            <div class="field">
              <label for="f-from">{t('traffic.filter.from')}</label>
              <input type="datetime-local" id="f-from" name="from" value={timeValue(data.parsed.fromSeconds, form.from)} aria-invalid={invalid('from') ? 'true' : undefined} />
            </div>
            <div class="field">
              <label for="f-to">{t('traffic.filter.to')}</label>
              <input type="datetime-local" id="f-to" name="to" value={timeValue(data.parsed.toSeconds, form.to)} aria-invalid={invalid('to') ? 'true' : undefined} />
            </div>
            <TextField name="service" value={form.service} t={t} list="known-services" invalid={invalid('service')} />
            <TextField name="peer" value={form.peer} t={t} invalid={invalid('peer')} />
            <TextField name="subject" value={form.subject} t={t} hint={t('traffic.filter.subject.hint')} invalid={invalid('subject')} />
            <TextField name="process" value={form.process} t={t} invalid={invalid('process')} />
            <TextField name="transaction" value={form.transaction} t={t} invalid={invalid('transaction')} />
            <div class="field">
              <label for="f-direction">{t('traffic.filter.direction')}</label>
              <select id="f-direction" name="direction">
                <option value="">{t('traffic.filter.direction.any')}</option>
                {(['DIRECTION_OUTGOING', 'DIRECTION_INCOMING'] as const).map((d) => (
                  <option value={d} selected={form.direction === d}>
                    {t(`traffic.direction.${d}`)}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <datalist id="known-services">
            {data.services.map((s) => (
              <option value={s} />
            ))}
          </datalist>
          <div class="form-buttons">
            <button type="submit">{t('traffic.filter.apply')}</button>
            <a href={`${BASE}/traffic`}>{t('traffic.filter.reset')}</a>
          </div>
        </fieldset>
      </form>
      {errors.length > 0 ? (
        <Notice kind="error">
          <ul class="plain">
            {errors.map((e) => (
              <li>{t('traffic.filter.invalid', { reason: `${t(FIELD_LABEL[e.field])}: ${e.message}` })}</li>
            ))}
          </ul>
        </Notice>
      ) : null}

      <section aria-labelledby="export-heading">
        <h2 id="export-heading" class="visually-hidden">
          {t('traffic.export')}
        </h2>
        <p class="export">
          <a class="button secondary" href={`${BASE}/traffic/export${filterQuery(form, { format: 'csv' })}`} download>
            {t('traffic.export.csv')}
          </a>
          <a class="button secondary" href={`${BASE}/traffic/export${filterQuery(form, { format: 'jsonl' })}`} download>
            {t('traffic.export.jsonl')}
          </a>
          <span class="muted">{t('traffic.export.note')}</span>
        </p>
      </section>

      <TrafficCharts stats={data.stats} page={page} />

      {firstPage ? (
        <>
          <section
            id="live"
            class="live"
            hidden
            aria-labelledby="live-heading"
            data-stream={streamUrl}
            data-connecting={t('traffic.live.status.connecting')}
            data-on={t('traffic.live.status.on')}
            data-off={t('traffic.live.status.off')}
            data-new-label={t('traffic.live.new')}
          >
            <h2 id="live-heading">{t('traffic.live.title')}</h2>
            <p>{t('traffic.live.intro')}</p>
            <p class="live-status" id="live-status" role="status" aria-live="polite" />
          </section>
          <noscript>
            <p class="muted">{t('traffic.live.noscript')}</p>
          </noscript>
        </>
      ) : null}

      <p class="muted">{t('traffic.times', { zone: timeZoneName() })}</p>
      <div class="table-scroll">
        <table id="log-table" class="log">
          <caption>{t('traffic.table.caption')}</caption>
          <thead>
            <tr>
              {TRAFFIC_COLUMNS.map((col) => (
                <th scope="col" class={col === 'duration' ? 'num' : undefined}>
                  {t(COLUMN_LABEL[col])}
                </th>
              ))}
            </tr>
          </thead>
          <tbody id="log-rows">
            {data.rows.length === 0 ? (
              <tr id="log-empty">
                <td colspan={TRAFFIC_COLUMNS.length}>{t('traffic.none')}</td>
              </tr>
            ) : (
              data.rows.map((row) => (
                <tr data-tx={row.id} data-dir={row.direction}>
                  {row.cells.map((cell) => (
                    <CellView cell={cell} />
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label={t('traffic.table.caption')}>
        {firstPage ? null : <a href={`${BASE}/traffic${filterQuery(form)}`}>{t('traffic.first')}</a>}
        {data.nextCursor === '' ? null : (
          <a href={`${BASE}/traffic${filterQuery(form, { cursor: data.nextCursor })}`} rel="next">
            {t('traffic.next')}
          </a>
        )}
      </nav>
      {firstPage ? <script nonce={page.nonce} dangerouslySetInnerHTML={{ __html: LIVE_TAIL_SCRIPT }} /> : null}
    </Layout>
  );
};
