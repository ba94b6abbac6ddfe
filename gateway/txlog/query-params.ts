// Query checks shared by both stores, so a cursor and a limit mean the same in SQLite and Redis. A cursor
// is the seq of the last record of a page, base64url-encoded (opaque to callers); the next page holds the
// records strictly after it in the requested order (logging.yaml queryPaginationCursor).
import { FscError } from '../protocol/index.ts';
import { isPartyTo, normaliseDataSubject, processIdOf, subjectsOf } from './index-terms.ts';
import type { LogRecord, SortOrder, TxLogFilter, TxLogPage } from './types.ts';

/** logging.yaml queryPaginationLimit: default 25, 1–1000. */
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 1000;
/** Most transaction ids in one `transaction_ids` query. */
export const MAX_TRANSACTION_IDS = 1000;

function badRequest(message: string, reason: string): FscError {
  return new FscError('ERROR_CODE_BAD_REQUEST', message, { domain: 'ERROR_DOMAIN_MANAGER', reason });
}

export function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) throw badRequest('the pagination cursor is not valid', 'invalid-cursor');
  const m = /^s:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m?.[1]) throw badRequest('the pagination cursor is not valid', 'invalid-cursor');
  return Number(m[1]);
}

/** A query after its checks: limits applied, values normalised. */
export interface NormalisedQuery {
  filter: TxLogFilter;
  ascending: boolean;
  limit: number;
  /** Seq of the last record of the previous page. */
  after: number | undefined;
}

export function normaliseQuery(filter: TxLogFilter, page: TxLogPage = {}): NormalisedQuery {
  const limit = page.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw badRequest(`limit must be an integer from 1 to ${MAX_LIMIT}`, 'invalid-limit');
  }
  const order: SortOrder = page.order ?? 'SORT_ORDER_ASCENDING';
  if (order !== 'SORT_ORDER_ASCENDING' && order !== 'SORT_ORDER_DESCENDING')
    throw badRequest('sort_order is not valid', 'invalid-order');
  for (const t of [filter.after, filter.before]) {
    if (t !== undefined && (!Number.isSafeInteger(t) || t < 0))
      throw badRequest('after and before are Unix seconds', 'invalid-time');
  }
  if (filter.transactionIds && filter.transactionIds.length > MAX_TRANSACTION_IDS) {
    throw badRequest(`at most ${MAX_TRANSACTION_IDS} transaction ids per query`, 'too-many-ids');
  }
  const f: TxLogFilter = { ...filter };
  if (f.transactionIds) f.transactionIds = [...new Set(f.transactionIds.map((t) => t.toLowerCase()))];
  if (f.dataSubject !== undefined) {
    const s = normaliseDataSubject(f.dataSubject);
    if (s === undefined) throw badRequest('the data subject is empty', 'invalid-subject');
    f.dataSubject = s;
  }
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  return { filter: f, ascending: order === 'SORT_ORDER_ASCENDING', limit, after };
}

/** The filter as a predicate, for stores that filter after an index lookup (and for tail consumers). */
export function matchesFilter(record: LogRecord, f: TxLogFilter): boolean {
  if (f.visibleTo !== undefined && !isPartyTo(record, f.visibleTo)) return false;
  if (f.transactionIds) return f.transactionIds.includes(record.transaction_id);
  if (f.after !== undefined && !(record.created_at > f.after)) return false;
  if (f.before !== undefined && !(record.created_at < f.before)) return false;
  if (f.grantHashes && !f.grantHashes.includes(record.grant_hash)) return false;
  if (f.serviceNames && !f.serviceNames.includes(record.service_name)) return false;
  if (f.peerId !== undefined && !isPartyTo(record, f.peerId)) return false;
  if (f.direction !== undefined && record.direction !== f.direction) return false;
  if (f.processId !== undefined && processIdOf(record) !== f.processId) return false;
  if (f.dataSubject !== undefined) {
    const wanted = normaliseDataSubject(f.dataSubject);
    if (wanted === undefined || !subjectsOf(record).includes(wanted)) return false;
  }
  return true;
}
