// GET /logs of the FSC Logging extension (logging.yaml getLogs; fsc-logging Manager "Providing
// TransactionLog records"). Mounted under /v1 of the Manager API, next to the core routes, so the
// caller is known from its verified mTLS client certificate and never from the request.
import type { Context, Env } from 'hono';
import { Hono } from 'hono';
import { FscError, assertKnownHashAlgorithm } from '../../protocol/index.ts';
import { MAX_TRANSACTION_IDS, type SortOrder, type TxLog, type TxLogFilter, type TxLogPage } from '../../txlog/index.ts';
import type { ManagerEnv } from '../http-context.ts';
import { toWireLogRecord, type WireLogRecord } from './wire.ts';
import { listParam, singleParam } from '../query-params.ts';

/** logging.yaml queryPaginationLimit: default 25, 1–1000. */
export const LOGS_DEFAULT_LIMIT = 25;
export const LOGS_MAX_LIMIT = 1000;
/**
 * logging.yaml gives `sort_order` no default; the Manager API's lists default to descending
 * (manager.yaml sortOrder), and an auditor asking for "the logs" wants the newest first too.
 */
export const LOGS_DEFAULT_ORDER: SortOrder = 'SORT_ORDER_DESCENDING';
/** logging.yaml grantHash maxLength. */
const MAX_GRANT_HASH_LENGTH = 1024;
/** logging.yaml serviceName maxLength. */
const MAX_SERVICE_NAME_LENGTH = 255;
/** A transaction id is a UUID in the Koppel profile; anything far longer is not one of ours. */
const MAX_TRANSACTION_ID_LENGTH = 128;
/** Most values in one list filter, so a query cannot make the store do unbounded work. */
const MAX_LIST_VALUES = 1000;

export interface LogsRoutesOptions<E extends Env> {
  /** The peer's transaction log (only `query` is used). */
  txlog: Pick<TxLog, 'query'>;
  /** The peer id of the caller's verified client certificate. */
  peerIdOf(c: Context<E>): string;
}

/** The response body of GET /logs (logging.yaml getLogs 200). */
export interface LogsResponse {
  records: WireLogRecord[];
  pagination: { next_cursor: string };
}

function bad(message: string): FscError {
  return new FscError('ERROR_CODE_BAD_REQUEST', message, { domain: 'ERROR_DOMAIN_MANAGER', reason: 'invalid-query' });
}

/** logging.yaml `timestamp`: a non-negative int64 Unix time (seconds). */
function timestampParam(values: readonly string[] | undefined, name: string): number | undefined {
  const text = singleParam(values, name);
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) throw bad(`${name} must be a Unix timestamp in seconds`);
  return Number(text);
}

function boundedList(values: readonly string[] | undefined, name: string, maxLength: number): string[] {
  const list = [...new Set(listParam(values))];
  if (list.length > MAX_LIST_VALUES) throw bad(`at most ${MAX_LIST_VALUES} values for ${name}`);
  if (list.some((v) => v.length > maxLength)) throw bad(`a value of ${name} is longer than ${maxLength} characters`);
  return list;
}

/** The query string of GET /logs as a txlog filter and page (without the caller's visibility). */
export function parseLogsQuery(query: (name: string) => string[] | undefined): { filter: TxLogFilter; page: TxLogPage } {
  const transactionIds = boundedList(query('transaction_ids'), 'transaction_ids', MAX_TRANSACTION_ID_LENGTH);
  const sortText = singleParam(query('sort_order'), 'sort_order');
  let order: SortOrder = LOGS_DEFAULT_ORDER;
  if (sortText !== undefined && sortText !== '') {
    if (sortText !== 'SORT_ORDER_ASCENDING' && sortText !== 'SORT_ORDER_DESCENDING') {
      throw bad('sort_order must be SORT_ORDER_ASCENDING or SORT_ORDER_DESCENDING');
    }
    order = sortText;
  }
  if (transactionIds.length > 0) {
    // logging.yaml transaction_ids: "When this query parameter is set the pagination parameters and
    // other filters should be ignored". At most MAX_TRANSACTION_IDS ids, so all fit in one page.
    if (transactionIds.length > MAX_TRANSACTION_IDS) throw bad(`at most ${MAX_TRANSACTION_IDS} transaction ids`);
    return { filter: { transactionIds }, page: { limit: LOGS_MAX_LIMIT, order } };
  }
  const filter: TxLogFilter = {};
  const after = timestampParam(query('after'), 'after');
  const before = timestampParam(query('before'), 'before');
  if (after !== undefined) filter.after = after;
  if (before !== undefined) filter.before = before;
  const grantHashes = boundedList(query('grant_hash'), 'grant_hash', MAX_GRANT_HASH_LENGTH);
  for (const h of grantHashes) assertKnownHashAlgorithm(h);
  if (grantHashes.length > 0) filter.grantHashes = grantHashes;
  const serviceNames = boundedList(query('service_name'), 'service_name', MAX_SERVICE_NAME_LENGTH);
  if (serviceNames.length > 0) filter.serviceNames = serviceNames;

  const page: TxLogPage = { order };
  const limitText = singleParam(query('limit'), 'limit');
  page.limit = LOGS_DEFAULT_LIMIT;
  if (limitText !== undefined && limitText !== '') {
    const limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= LOGS_MAX_LIMIT)) throw bad(`limit must be an integer from 1 to ${LOGS_MAX_LIMIT}`);
    page.limit = limit;
  }
  // queryPaginationCursor: "Leave empty for the first page."
  const cursor = singleParam(query('cursor'), 'cursor');
  if (cursor !== undefined && cursor !== '') page.cursor = cursor;
  return { filter, page };
}

/**
 * The GET /logs route as a hono sub-app, to be mounted under `/v1` of the Manager API:
 * `v1.route('/', logsRoutes({ txlog, peerIdOf: (c) => c.get('caller').peerId }))`.
 */
export function logsRoutes<E extends Env = ManagerEnv>(options: LogsRoutesOptions<E>): Hono<E> {
  const { txlog } = options;
  const app = new Hono<E>();
  app.get('/logs', async function getLogs(c) {
    const { filter, page } = parseLogsQuery((name) => c.req.queries(name));
    // fsc-logging Manager "Providing TransactionLog records": only records where the peer of the
    // requesting certificate is the source's outway peer, the destination's service peer, or a
    // delegator on either side. `visibleTo` also holds when transaction_ids overrides the filters.
    filter.visibleTo = options.peerIdOf(c);
    const result = await txlog.query(filter, page);
    const body: LogsResponse = {
      records: result.records.map((r) => toWireLogRecord(r.record)),
      pagination: { next_cursor: filter.transactionIds ? '' : result.nextCursor },
    };
    return c.json(body);
  });
  return app;
}

/** `peerIdOf` for the Manager API: the peer of the verified client certificate. */
export function callerPeerId(c: Context<ManagerEnv>): string {
  return c.get('caller').peerId;
}
