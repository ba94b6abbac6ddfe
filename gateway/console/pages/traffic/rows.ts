// One logged call as the cells of a table row. The server renders the page's rows from these cells
// and the live tail sends the same cells as JSON, so a live row looks exactly like a rendered one.
import type { CompletionInfo, LogRecord } from '../../../txlog/index.ts';
import { DATA_SUBJECT_KEY, PROCESS_ID_KEY, partiesOf } from '../../../txlog/index.ts';
import { formatDuration, formatTime } from '../../shell/format.ts';
import type { Lang, Translate } from '../../shell/i18n.ts';
import { BASE } from '../../shell/layout.tsx';
import type { TrafficKey } from './messages.ts';

export const TRAFFIC_COLUMNS = [
  'time',
  'direction',
  'service',
  'from',
  'to',
  'status',
  'duration',
  'process',
  'subjects',
  'transaction',
] as const;
export type TrafficColumn = (typeof TRAFFIC_COLUMNS)[number];

export interface Cell {
  col: TrafficColumn;
  text: string;
  /** A second, smaller line (e.g. the OIN under a name). */
  sub?: string;
  cls?: string;
  href?: string;
  /** Accessible name of the link, when the text alone is not enough. */
  label?: string;
  /** Tooltip of the link (the full value of a shortened text). */
  title?: string;
}

export interface RowContext {
  t: Translate<TrafficKey>;
  lang: Lang;
  /** Display name of a peer id (empty when unknown). */
  nameOf(id: string): string;
}

/** A gateway error: no response (status 0), a 5xx, or an error the gateway itself answered with. */
export function isErrorOutcome(c: Pick<CompletionInfo, 'status' | 'error_code'> | undefined): boolean {
  return c !== undefined && (c.status === 0 || c.status >= 500 || c.error_code !== undefined);
}

function peerCell(col: 'from' | 'to', id: string, delegator: string | undefined, ctx: RowContext): Cell {
  const name = ctx.nameOf(id);
  const cell: Cell = { col, text: name === '' ? id : name };
  const sub = [name === '' ? '' : id, delegator === undefined ? '' : ctx.t('traffic.on.behalf', { id: ctx.nameOf(delegator) || delegator })]
    .filter((s) => s !== '')
    .join(' · ');
  if (sub !== '') cell.sub = sub;
  return cell;
}

export function statusCell(c: Pick<CompletionInfo, 'status' | 'error_code'> | undefined, t: Translate<TrafficKey>): Cell {
  if (c === undefined) return { col: 'status', text: t('traffic.pending'), cls: 'status-pending' };
  const text = c.status === 0 ? '–' : String(c.status);
  const cell: Cell = { col: 'status', text, cls: isErrorOutcome(c) ? 'status-error' : 'status-ok' };
  if (c.error_code !== undefined) cell.sub = c.error_code;
  return cell;
}

export function durationCell(c: Pick<CompletionInfo, 'duration_ms'> | undefined): Cell {
  return { col: 'duration', text: c === undefined ? '' : formatDuration(c.duration_ms), cls: 'num nowrap' };
}

export function recordCells(record: LogRecord, completion: CompletionInfo | undefined, ctx: RowContext): Cell[] {
  const { t } = ctx;
  const source = record.source;
  const destination = record.destination;
  const subjects = record.additional_data?.[DATA_SUBJECT_KEY] ?? '';
  return [
    { col: 'time', text: formatTime(record.created_at, ctx.lang), cls: 'nowrap' },
    { col: 'direction', text: t(`traffic.direction.${record.direction}`) },
    { col: 'service', text: record.service_name },
    peerCell('from', source.outway_peer_id, source.type === 'SOURCE_TYPE_DELEGATED_SOURCE' ? source.delegator_peer_id : undefined, ctx),
    peerCell(
      'to',
      destination.service_peer_id,
      destination.type === 'DESTINATION_TYPE_DELEGATED_DESTINATION' ? destination.delegator_peer_id : undefined,
      ctx,
    ),
    statusCell(completion, t),
    durationCell(completion),
    { col: 'process', text: record.additional_data?.[PROCESS_ID_KEY] ?? '' },
    { col: 'subjects', text: subjects },
    {
      // Shortened in the table (the full id is the link's accessible name and tooltip, and in exports).
      col: 'transaction',
      text: record.transaction_id.length > 16 ? `${record.transaction_id.slice(0, 13)}…` : record.transaction_id,
      title: record.transaction_id,
      cls: 'mono nowrap',
      href: `${BASE}/traffic?transaction=${encodeURIComponent(record.transaction_id)}`,
      label: t('traffic.filter.by.transaction', { id: record.transaction_id }),
    },
  ];
}

/** Peer ids that appear on these records (to look their names up once). */
export function peerIdsOf(records: readonly LogRecord[]): Set<string> {
  const ids = new Set<string>();
  for (const r of records) for (const p of partiesOf(r)) ids.add(p);
  return ids;
}
