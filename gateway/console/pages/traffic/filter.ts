// The traffic page's filter: the query string of the form (and of the export and live-tail links) as a
// txlog filter. Invalid values are reported and left out, never guessed.
import type { TxLogFilter } from '../../../txlog/index.ts';
import { normaliseDataSubject } from '../../../txlog/index.ts';
import { parseTimeInput, TimeInputError } from '../../../txlog/index.ts';

/** The form's fields, as typed (re-filled into the form as they were). */
export const FILTER_FIELDS = ['from', 'to', 'service', 'peer', 'transaction', 'subject', 'process', 'direction'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
export type FilterForm = Partial<Record<FilterField, string>>;

export interface ParsedFilter {
  form: FilterForm;
  filter: TxLogFilter;
  /** Unix seconds, inclusive, when given. */
  fromSeconds?: number;
  toSeconds?: number;
  /** Per field, what is wrong with it (in English; the page wraps it in the operator's language). */
  errors: { field: FilterField; message: string }[];
}

const SERVICE_NAME = /^[a-zA-Z0-9._-]{1,255}$/;
const PEER_ID = /^\S{3,255}$/;
const TRANSACTION_ID = /^[0-9A-Za-z-]{1,128}$/;
const MAX_FIELD = 1024;
/** A datetime-local value is to the minute: "to 09:30" means up to and including 09:30:59. */
const MINUTE_PRECISION = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$/;

export function parseTrafficFilter(get: (name: string) => string | undefined): ParsedFilter {
  const form: FilterForm = {};
  for (const field of FILTER_FIELDS) {
    const value = get(field)?.trim();
    if (value !== undefined && value !== '') form[field] = value.slice(0, MAX_FIELD);
  }
  const filter: TxLogFilter = {};
  const errors: ParsedFilter['errors'] = [];
  const result: ParsedFilter = { form, filter, errors };

  const time = (field: 'from' | 'to'): number | undefined => {
    const text = form[field];
    if (text === undefined) return undefined;
    try {
      const seconds = parseTimeInput(text);
      return field === 'to' && MINUTE_PRECISION.test(text) ? seconds + 59 : seconds;
    } catch (err) {
      if (!(err instanceof TimeInputError)) throw err;
      errors.push({ field, message: err.message });
      return undefined;
    }
  };
  const from = time('from');
  const to = time('to');
  if (from !== undefined && to !== undefined && from > to) {
    errors.push({ field: 'to', message: '"to" is before "from"' });
  } else {
    // The txlog's bounds are exclusive, the form's inclusive.
    if (from !== undefined) {
      result.fromSeconds = from;
      filter.after = from - 1;
    }
    if (to !== undefined) {
      result.toSeconds = to;
      filter.before = to + 1;
    }
  }
  if (form.service !== undefined) {
    if (SERVICE_NAME.test(form.service)) filter.serviceNames = [form.service];
    else errors.push({ field: 'service', message: 'not a service name' });
  }
  if (form.peer !== undefined) {
    if (PEER_ID.test(form.peer)) filter.peerId = form.peer;
    else errors.push({ field: 'peer', message: 'not a peer id (OIN)' });
  }
  if (form.subject !== undefined) {
    const subject = normaliseDataSubject(form.subject);
    if (subject !== undefined && /^[^=]+=.+$/.test(subject)) filter.dataSubject = subject;
    else errors.push({ field: 'subject', message: 'a data subject is type=value, e.g. bsn=999993653' });
  }
  if (form.process !== undefined) filter.processId = form.process;
  if (form.direction !== undefined) {
    if (form.direction === 'DIRECTION_INCOMING' || form.direction === 'DIRECTION_OUTGOING') filter.direction = form.direction;
    else errors.push({ field: 'direction', message: 'not a direction' });
  }
  if (form.transaction !== undefined) {
    // logging.yaml: a transaction id lookup overrides the other filters; the form behaves the same.
    if (TRANSACTION_ID.test(form.transaction)) filter.transactionIds = [form.transaction];
    else errors.push({ field: 'transaction', message: 'not a transaction id' });
  }
  return result;
}

/** The query string for a filter form, plus extra parameters (page cursor, export format). */
export function filterQuery(form: FilterForm, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const field of FILTER_FIELDS) {
    const value = form[field];
    if (value !== undefined) params.set(field, value);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
